// Capacity signals per service and per JetStream consumer, built from successive snapshots: the
// poller's (queue-group members and delivered requests, /jsz) and the prober's (probe latency,
// timeouts, micro stats). Rates need a window of samples, so this is the one stateful step
// between the immutable snapshots and the pure capacity model (model.h). The state lives in one
// ServiceScaler per service and one ConsumerScaler per consumer; this publishes what they say.
//
// Thread-safety: Observe() from one thread (the poller's); Current() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "capacity/consumer_scaler.h"
#include "capacity/scaling_options.h"
#include "capacity/service_scaler.h"
#include "capacity/signals.h"
#include "services/service_stats.h"
#include "snapshot/snapshot.h"

namespace farrier {

class ScalingTracker {
 public:
  using ServicesSource = std::function<ServicesSnapshot()>;  // empty without services
  ScalingTracker(const ScalingOptions& options, ServicesSource services);

  // One poll's snapshot, with the prober's figures as they are now; `now` is when it was taken.
  void Observe(const Snapshot& snapshot, std::chrono::steady_clock::time_point now,
               std::chrono::system_clock::time_point wall);
  std::shared_ptr<const ScalingSnapshot> Current() const { return current_.load(); }

 private:
  // Cluster mode: each service sized per server (a scaler per server and service, as a sidecar
  // per server would, with min_workers 0) and summed (capacity/pool_sum.h).
  void ObserveServicesPerServer(const Snapshot& snapshot, const ServicesSnapshot& probes,
                                std::chrono::steady_clock::time_point now, ScalingSnapshot& out);

  ScalingOptions options_;
  ServicesSource services_source_;
  std::vector<capacity::ServiceScaler> services_;  // per configured service, same order
  // Cluster mode, by server id: the scalers of every service, and their last signals (a server
  // that stops answering keeps its delivered totals in the sums, so counters never go down).
  std::map<std::string, std::vector<capacity::ServiceScaler>> per_server_;
  std::map<std::string, std::vector<ServiceSignal>> last_per_server_;
  std::vector<capacity::ConsumerScaler> consumers_;  // per configured consumer, same order
  std::atomic<std::shared_ptr<const ScalingSnapshot>> current_;
};

}  // namespace farrier
