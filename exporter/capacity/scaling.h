// Capacity signals per service (and, later, per JetStream consumer), built from successive
// snapshots: the poller's (queue-group members and delivered requests) and the prober's
// (probe latency, timeouts, micro stats). Rates need a window of samples, so this is the one
// stateful step between the immutable snapshots and the pure capacity model (model.h).
//
// Thread-safety: Observe() from one thread (the poller's); Current() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "capacity/model.h"
#include "capacity/scaling_options.h"
#include "core/snapshot.h"
#include "services/service_stats.h"

namespace farrier {

struct ServiceSignal {
  std::string name;
  int concurrency = 1;
  bool members_known = false;  // this poll's queue-group view succeeded
  int workers = 0;             // local queue subscriptions in the group
  uint64_t delivered_total = 0;  // requests delivered to local members since farrier started
  uint64_t replies_total = 0;    // messages the members' connections published (their replies)
  bool replies_known = false;    // /connz answered this poll
  uint64_t pending_bytes = 0;    // summed over the members' connections
  bool pending_known = false;
  // Window figures (0 until two samples span some time).
  double window_seconds = 0;
  double arrival_rate = 0;       // λ, requests/s delivered to local members
  double service_seconds = 0;    // S estimate; 0 = unknown
  std::string service_time_source;  // "micro", "probe" or "" (unknown)
  // What $SRV.STATS said S was when it was set aside because the fastest probe took far longer
  // (MicroServiceTimeImplausible); 0 otherwise.
  double micro_service_seconds_ignored = 0;
  double p99_seconds = 0;        // from probe latency in the window; 0 = unknown
  double observed_timeout_ratio = 0;
  capacity::PoolAssessment assessment;  // desired_workers there is the raw (unsmoothed) answer
  int desired_workers = 0;              // smoothed, what autoscalers should follow
  bool warming_up = false;              // the window is not half full yet: desired holds
  int proven_too_small = 0;             // evidence memory (see State); 0 when none
};

struct ConsumerSignal {
  std::string stream, consumer;
  bool found = false;  // listed in this poll's /jsz
  bool led_here = false;  // this server leads it: only then are the figures current
  bool paused = false;    // paused (2.11+): desired_workers holds its last answer
  uint64_t lag = 0;       // num_pending + num_ack_pending
  uint64_t num_pending = 0, num_ack_pending = 0;
  double window_seconds = 0;
  double ack_rate = 0;       // acks/s (ack floor advance) over the window
  double incoming_rate = 0;  // ack_rate + lag growth
  int desired_workers = 0;   // smoothed
};

struct ScalingSnapshot {
  std::chrono::steady_clock::time_point taken_at{};
  std::chrono::system_clock::time_point taken_at_wall{};
  bool observed = false;            // false until the first poll was observed
  std::vector<std::string> stale_reasons;  // why the figures cannot be trusted right now
  std::vector<ServiceSignal> services;
  std::vector<ConsumerSignal> consumers;
};

// Scale-down band: a smaller pool than the one held must meet the objectives at this multiple
// of the measured arrival rate (10 %, the same tolerance as Kubernetes' HPA).
inline constexpr double kScaleDownLoadMargin = 1.1;

class ScalingTracker {
 public:
  using ServicesSource = std::function<ServicesSnapshot()>;  // empty without services
  ScalingTracker(ScalingOptions options, ServicesSource services);

  void Observe(const Snapshot& snapshot, std::chrono::steady_clock::time_point now,
               std::chrono::system_clock::time_point wall);
  std::shared_ptr<const ScalingSnapshot> Current() const { return current_.load(); }

 private:
  struct Sample {
    std::chrono::steady_clock::time_point at;
    uint64_t delivered = 0;
    uint64_t micro_requests = 0;
    double micro_seconds = 0;
    bool micro = false;  // micro figures present in this sample
    Histogram latency;   // probe latency histogram (cumulative since start)
    uint64_t probes = 0, timeouts = 0, no_responders = 0;
  };
  struct State {
    std::map<std::pair<uint64_t, std::string>, uint64_t> last_msgs;  // (cid, sid) -> msgs
    uint64_t delivered_total = 0;
    std::map<uint64_t, uint64_t> last_in_msgs;  // member connection cid -> in_msgs
    uint64_t replies_total = 0;
    std::deque<Sample> window;
    capacity::DesiredSmoother smoother;
    // Evidence memory: the pool size at which the last evidence (timeouts, SLO breach) was
    // seen, and the lowest arrival rate it was seen at. While λ stays above 85 % of that, the
    // model's answer is not allowed back down to that size (it proved too small at this load).
    int insufficient_at = 0;
    double insufficient_lambda = 0;
    explicit State(const ScalingOptions& o);
  };

  struct ConsumerSample {
    std::chrono::steady_clock::time_point at;
    uint64_t lag = 0, ack_floor = 0;
  };
  struct ConsumerState {
    std::deque<ConsumerSample> window;
    capacity::DesiredSmoother smoother;
    explicit ConsumerState(const ScalingOptions& o);
  };
  void ObserveConsumers(const Snapshot& snapshot, std::chrono::steady_clock::time_point now, ScalingSnapshot* out);

  const ScalingOptions options_;
  std::vector<ConsumerState> consumer_state_;
  ServicesSource services_source_;
  std::vector<State> state_;  // per configured service, same order
  std::atomic<std::shared_ptr<const ScalingSnapshot>> current_;
};

// Linear interpolation inside the bucket holding quantile q, as Prometheus' histogram_quantile
// does; `counts` are per bucket (not cumulative), bounds.size() + 1 entries. 0 when empty; the
// largest finite bound when q falls in +Inf.
// The fastest observation counted in `counts` (a histogram's per-bucket increments over a window)
// took at least this long: the upper bound of the bucket below the lowest one that gained a count.
double FastestAtLeast(const std::vector<double>& bounds, const std::vector<uint64_t>& counts);

// Whether a service time from $SRV.STATS cannot be right next to the probes: every probe is
// answered by a worker, so none is faster than one service time. A micro figure under a tenth of
// the fastest probe, when that probe took 2 ms or more (well past a network round trip), times
// something other than the work: nats.go's micro times the handler, and a handler that hands the
// request to a goroutine and returns reports microseconds.
bool MicroServiceTimeImplausible(double micro_seconds, double fastest_probe_at_least);

double HistogramQuantile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double q);

}  // namespace farrier
