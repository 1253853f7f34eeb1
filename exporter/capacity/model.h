// The capacity model: how busy a queue-group worker pool is, what it is predicted to lose or
// make wait, and how many workers it should have; plus JetStream consumer sizing and the
// smoothing that keeps the desired-workers signal from flapping. docs/capacity.md derives and
// justifies every formula and rule here, with a worked example.
//
// Pure code: no I/O, no clock of its own (time comes in as arguments). Functions are
// thread-safe; a DesiredSmoother is not (one owner updates and reads it).
//
// Unknown inputs: NaN (or, for service time, 0) means "not measured". Outputs are NaN when they
// cannot be known and +Inf when they are infinite (a pool with load and no members); both are
// legal Prometheus sample values. desired_workers is always a finite integer in [min, max].
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <utility>

#include "services/definitions.h"

namespace farrier::capacity {

using ::farrier::Overflow;  // kDrop: a full worker ignores the request; kQueue: it waits

// Erlang B: probability that an arrival finds all `c` servers busy (and is lost) when `a`
// erlangs are offered. Stable recurrence B(0)=1, B(k)=a·B(k-1)/(k+a·B(k-1)); exact for any
// service-time distribution (M/G/c/c). 0 when a <= 0, 1 when c < 1.
double ErlangB(double a, int c);

// Erlang C: probability that an arrival waits in an M/M/c queue; 1 when a >= c, 0 when a <= 0.
double ErlangC(double a, int c);

// Mean time in queue W_q = C(a,c)·s/(c−a), a = lambda·s, for M/M/c. 0 without load or with
// s <= 0; +Inf when a >= c (the queue grows without bound).
double MeanWaitSeconds(double lambda, double s, int c);

// The q-quantile (0 < q < 1) of the M/M/c wait, from P(W_q > t) = C(a,c)·exp(−(c−a)·t/s):
// t_q = s/(c−a)·ln(C/(1−q)), or 0 when at most a fraction 1−q waits at all. +Inf when a >= c.
double WaitQuantileSeconds(double lambda, double s, int c, double q);

struct Objectives {
  double target_utilization = 0.7;  // ρ*; values > 1 count as 1, <= 0 turn the objective off
  double max_timeout_ratio = 0.01;  // drop pools: Erlang-B loss bound; 0: see docs (evidence only)
  double latency_slo_seconds = 1;   // queue pools: p99 wait + S within this; <= 0 turns it off
  int min_workers = 1;
  int max_workers = 100;  // raised to min_workers if below it
  // Evidence steps desired to at least current + max(1, ceil(current · evidence_step)).
  double evidence_step = 0.5;
};

struct PoolInputs {
  double arrival_rate = 0;     // λ, requests/s offered to this sidecar's local members; NaN = unknown
  double service_seconds = 0;  // S, mean service time; 0 or NaN = unknown
  int workers = 0;             // N, current local members
  int concurrency = 1;         // C, requests one worker handles at once (< 1 counts as 1)
  Overflow overflow = Overflow::kDrop;
  Objectives objectives;
  // Evidence that the prediction is low (a saturated pool censors S).
  double observed_timeout_ratio = 0;  // timeouts / attempts over the window
  // Attempts behind observed_timeout_ratio; 0 = unknown (the ratio is then taken as it is).
  // When known, the timeouts count as evidence only if they are significantly above
  // max_timeout_ratio (binomial tail below kEvidenceSignificance).
  double observed_attempts = 0;
  double observed_p99_seconds = 0;       // 0 = unknown
  bool no_responders_with_load = false;  // requests arrive but nobody is in the group
};

struct PoolAssessment {
  // At the current N. NaN when λ is unknown, or λ > 0 with S unknown.
  double utilization = 0;  // λ·S/(N·C); +Inf when N = 0 with load
  double predicted_timeout_ratio =
      0;  // drop: ErlangB(λ·S/N, C); queue: 0, or 1 − 1/ρ when ρ >= 1; 1 when N = 0 with load
  double predicted_wait_seconds = 0;      // queue: MeanWaitSeconds(λ/N, S, C); drop: 0; +Inf when ρ >= 1 or N = 0
  double predicted_p99_wait_seconds = 0;  // queue: WaitQuantileSeconds(λ/N, S, C, 0.99); drop: 0
  double demand_workers = 0;              // λ·S/C (busy-worker equivalent), additive across sidecars
  int model_workers = 0;                  // the objectives alone, before evidence, within [min, max]
  int desired_workers = 0;                // model_workers, pushed up by evidence, within [min, max]
  bool saturated = false;                 // ρ >= 1 (N = 0 with load included) or any evidence
  // What set desired_workers: "utilization", "timeout_ratio", "latency_slo", "evidence",
  // "min_workers", "max_workers" or "no_data" (holding current: λ unknown, or S unknown with load).
  std::string limited_by;
  // Evidence seen, comma-separated: "timeouts", "p99_above_slo", "no_responders", "no_members".
  std::string evidence;
};

// One-sided significance level for timeout evidence: P(at least this many timeouts | the pool
// loses exactly max_timeout_ratio) must be below this.
inline constexpr double kEvidenceSignificance = 0.001;

PoolAssessment Assess(const PoolInputs& in);

// P(X >= k) for X ~ Binomial(n, p): how surprising k timeouts in n attempts are at loss p.
double BinomialTailAtLeast(long long n, long long k, double p);

// Smoothing + hysteresis over successive raw desired values (HPA-style stabilization windows):
// the output rises to the lowest raw value of the last `up_window` (0: at once) and falls to
// the highest raw value of the last `down_window`, never further. So a rise needs the raw
// value to stay up for up_window, a fall needs it to stay down for down_window, and an input
// alternating faster than that holds its high level. Windows are inclusive: a sample exactly
// `window` old still counts. The first Update returns its raw value.
class DesiredSmoother {
 public:
  static constexpr std::chrono::seconds kDefaultUpWindow{0};
  static constexpr std::chrono::seconds kDefaultDownWindow{300};

  DesiredSmoother(std::chrono::steady_clock::duration up_window = kDefaultUpWindow,
                  std::chrono::steady_clock::duration down_window = kDefaultDownWindow);
  int Update(int raw_desired, std::chrono::steady_clock::time_point now);
  int current() const { return current_; }  // 0 before the first Update
  bool started() const { return started_; }

 private:
  std::chrono::steady_clock::duration up_window_, down_window_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, int>> history_;
  int current_ = 0;
  bool started_ = false;
};

// JetStream consumer sizing. Rates are per second over the scaling window; NaN or negative
// counts as 0.
struct ConsumerInputs {
  double lag = 0;            // num_pending + num_ack_pending, from the consumer leader
  double ack_rate = 0;       // messages acked per second
  double incoming_rate = 0;  // messages per second arriving for this consumer
  int workers = 0;           // current consumers (pulling clients / pods)
  // Capacity of one worker when busy, msgs/s (configured, or measured while a backlog kept the
  // workers busy). 0 = unknown: then ack_rate / workers is used, which is only a lower bound,
  // so the rate mode scales up but never down (see docs/capacity.md).
  double per_worker_rate = 0;
  double drain_seconds = 60;  // drain the backlog within this (<= 0: 60)
  double lag_threshold = 0;   // > 0: KEDA-compatible mode, desired = ceil(lag / lag_threshold)
  int min_workers = 0;
  int max_workers = 100;
};

// Rate mode: need = incoming + lag / drain; desired = ceil(need / per_worker_rate); 0 need ->
// min_workers. KEDA mode: ceil(lag / lag_threshold). Always within [min, max].
int ConsumerDesiredWorkers(const ConsumerInputs& in);

}  // namespace farrier::capacity
