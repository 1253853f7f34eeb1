// One configured JetStream consumer's capacity signal, poll after poll (docs/capacity.md,
// "JetStream consumers"): from the leader's /jsz figures only, a window of lag and ack floor
// gives the ack and incoming rates, ConsumerDesiredWorkers (model.h) the answer, a
// DesiredSmoother the signal. A paused consumer holds its last answer. Time comes in with each
// poll. Not thread-safe (one owner).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "capacity/model.h"
#include "capacity/sample_window.h"
#include "capacity/scaling_options.h"
#include "capacity/signals.h"
#include "sources/jsz.h"

namespace farrier::capacity {

struct ConsumerSample {
  std::chrono::steady_clock::time_point at;
  uint64_t lag = 0;        // num_pending + num_ack_pending
  uint64_t ack_floor = 0;  // ack_floor.consumer_seq
};

using ConsumerWindow = SampleWindow<ConsumerSample>;

struct ConsumerRates {
  double seconds = 0;        // newest − oldest sample; 0 until the window holds two
  double ack_rate = 0;       // ack floor advance per second
  double incoming_rate = 0;  // ack_rate + lag growth per second, at least 0
};

ConsumerRates WindowRates(const ConsumerWindow& window);

class ConsumerScaler {
 public:
  // `options` gives the windows; `consumer` is one of its consumers.
  ConsumerScaler(const ConsumerConfig& consumer, const ScalingOptions& options);

  // One poll: `jsz` is this poll's /jsz (null when it failed), `server_name` this server's.
  ConsumerSignal Observe(const Jsz* jsz, std::string_view server_name, std::chrono::steady_clock::time_point now);
  // Whether `server_name`'s /jsz lists this consumer as led by that server (cluster mode: which
  // server's view to Observe).
  bool LedBy(const Jsz& jsz, std::string_view server_name) const;

 private:
  const JszConsumer* Find(const Jsz& jsz) const;

  ConsumerConfig config_;
  ConsumerWindow window_;
  DesiredSmoother smoother_;
};

}  // namespace farrier::capacity
