#include "capacity/model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace farrier::capacity {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// p99: the quantile the latency objective and the evidence are stated for.
constexpr double kLatencyQuantile = 0.99;
// Rates measured from counter differences carry a few percent of noise: an estimated-capacity
// consumer counts as falling behind only when it needs more than this above its ack rate.
constexpr double kBehindTolerance = 0.05;

// x <= limit, forgiving the last bits of floating point (1.4 / 2 vs 0.7).
bool AtMost(double x, double limit) { return x <= limit + 1e-9 * std::max(1.0, std::fabs(limit)); }

// ceil(x) forgiving the last bits: 2.0000000000004 is 2.
int CeilCount(double x) {
  double c = std::ceil(x - 1e-9 * std::max(1.0, std::fabs(x)));
  if (c >= static_cast<double>(std::numeric_limits<int>::max())) return std::numeric_limits<int>::max();
  return static_cast<int>(c);
}

// Smallest n in [1, hi] with ok(n), for ok monotone (false...false true...true); hi + 1 when
// even hi is not enough.
int SmallestMeeting(int hi, const std::function<bool(int)>& ok) {
  if (!ok(hi)) return hi + 1;
  int lo = 1;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (ok(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

void AddEvidence(std::string& list, const char* what) {
  if (!list.empty()) list += ",";
  list += what;
}

}  // namespace

double ErlangB(double a, int c) {
  if (std::isnan(a)) return kNaN;
  if (c < 1) return 1;
  if (a <= 0) return 0;
  if (std::isinf(a)) return 1;
  double b = 1;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  return b;
}

double ErlangC(double a, int c) {
  if (std::isnan(a)) return kNaN;
  if (c < 1) return 1;
  if (a <= 0) return 0;
  if (a >= c) return 1;
  double b = ErlangB(a, c);
  return c * b / (c - a * (1 - b));
}

double MeanWaitSeconds(double lambda, double s, int c) {
  if (std::isnan(lambda) || std::isnan(s)) return kNaN;
  if (lambda <= 0 || s <= 0) return 0;
  c = std::max(c, 1);
  double a = lambda * s;
  if (a >= c) return kInf;
  return ErlangC(a, c) * s / (c - a);
}

double WaitQuantileSeconds(double lambda, double s, int c, double q) {
  if (std::isnan(lambda) || std::isnan(s) || std::isnan(q)) return kNaN;
  if (lambda <= 0 || s <= 0 || q <= 0) return 0;
  c = std::max(c, 1);
  double a = lambda * s;
  if (a >= c || q >= 1) return kInf;
  double waits = ErlangC(a, c);
  if (waits <= 1 - q) return 0;
  return s / (c - a) * std::log(waits / (1 - q));
}

double BinomialTailAtLeast(long long n, long long k, double p) {
  if (k <= 0) return 1;
  if (k > n || std::isnan(p) || p <= 0) return 0;
  if (p >= 1) return 1;
  // Sum the pmf from k up, in logs (p^k underflows for large n); terms shrink past the mode.
  const double mode = std::floor((n + 1) * p);
  const double log_p = std::log(p), log_q = std::log1p(-p);
  double sum = 0;
  for (long long j = k; j <= n; ++j) {
    double term = std::exp(std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0) + j * log_p +
                           (n - j) * log_q);
    sum += term;
    if (j > mode && term < 1e-17 * sum) break;
  }
  return std::min(sum, 1.0);
}

PoolAssessment Assess(const PoolInputs& in) {
  PoolAssessment out;
  const Objectives& obj = in.objectives;
  const int c = std::max(in.concurrency, 1);
  const int n = std::max(in.workers, 0);
  const int min_w = std::max(obj.min_workers, 0);
  const int max_w = std::max(obj.max_workers, min_w);
  const double lambda = in.arrival_rate;
  const double s = in.service_seconds;
  const bool lambda_known = std::isfinite(lambda);
  const bool load = lambda_known && lambda > 0;
  const bool s_known = std::isfinite(s) && s > 0;
  const double slo = obj.latency_slo_seconds;
  const bool queue = in.overflow == Overflow::kQueue;

  // The pool as it is now.
  if (!lambda_known || (load && !s_known)) {
    out.utilization = out.predicted_wait_seconds = out.predicted_p99_wait_seconds = out.demand_workers = kNaN;
    out.predicted_timeout_ratio = load && n == 0 ? 1 : kNaN;
  } else if (load) {
    const double offered = lambda * s;  // erlangs offered to the whole local pool
    out.demand_workers = offered / c;
    if (n == 0) {
      out.utilization = kInf;
      out.predicted_timeout_ratio = 1;  // nobody to answer: every request fails (no responders)
      out.predicted_wait_seconds = out.predicted_p99_wait_seconds = queue ? kInf : 0;
    } else {
      out.utilization = offered / (static_cast<double>(n) * c);
      const double per_worker = lambda / n;  // NATS picks a member at random
      if (queue) {
        // Below saturation nothing is lost, requests wait; above it the excess never gets served.
        out.predicted_timeout_ratio = out.utilization >= 1 ? 1 - 1 / out.utilization : 0;
        out.predicted_wait_seconds = MeanWaitSeconds(per_worker, s, c);
        out.predicted_p99_wait_seconds = WaitQuantileSeconds(per_worker, s, c, kLatencyQuantile);
      } else {
        out.predicted_timeout_ratio = ErlangB(per_worker * s, c);
      }
    }
  }

  // What the objectives alone ask for.
  if (!lambda_known || (load && !s_known)) {
    out.model_workers = std::clamp(n, min_w, max_w);
    out.limited_by = "no_data";
  } else if (!load) {
    out.model_workers = min_w;
    out.limited_by = "min_workers";
  } else {
    const double offered = lambda * s;
    const int hi = std::max(max_w, 1);
    int need = 0;
    std::string why = "utilization";
    auto consider = [&](int required, const char* name) {
      if (required > need) {
        need = required;
        why = name;
      }
    };
    double rho_star = std::min(obj.target_utilization, 1.0);
    if (rho_star > 0) {
      consider(SmallestMeeting(hi, [&](int k) { return AtMost(offered / (static_cast<double>(k) * c), rho_star); }),
               "utilization");
    }
    if (!queue && obj.max_timeout_ratio > 0 && obj.max_timeout_ratio < 1) {
      consider(SmallestMeeting(hi, [&](int k) { return AtMost(ErlangB(offered / k, c), obj.max_timeout_ratio); }),
               "timeout_ratio");
    }
    if (queue && slo > 0) {
      const double budget = std::max(0.0, slo - s);  // what the SLO leaves for waiting
      consider(SmallestMeeting(
                   hi, [&](int k) { return AtMost(WaitQuantileSeconds(lambda / k, s, c, kLatencyQuantile), budget); }),
               "latency_slo");
    }
    need = std::max(need, 1);  // load needs somebody, whatever the objectives say
    if (need < min_w) {
      out.model_workers = min_w;
      out.limited_by = "min_workers";
    } else if (need > max_w) {
      out.model_workers = max_w;
      out.limited_by = "max_workers";
    } else {
      out.model_workers = need;
      out.limited_by = why;
    }
  }

  // Evidence that the model is low: it can only raise desired above the current size.
  if (in.observed_timeout_ratio > obj.max_timeout_ratio) {
    const double attempts = std::isfinite(in.observed_attempts) ? std::floor(in.observed_attempts + 0.5) : 0;
    const bool significant = attempts < 1 ||
                             BinomialTailAtLeast(
                                 static_cast<long long>(attempts),
                                 static_cast<long long>(std::floor(in.observed_timeout_ratio * attempts + 0.5)),
                                 std::max(obj.max_timeout_ratio, 0.0)) < kEvidenceSignificance;
    if (significant) AddEvidence(out.evidence, "timeouts");
  }
  if (slo > 0 && in.observed_p99_seconds > slo && (!s_known || s < slo)) AddEvidence(out.evidence, "p99_above_slo");
  if (in.no_responders_with_load) AddEvidence(out.evidence, "no_responders");
  if (n == 0 && load) AddEvidence(out.evidence, "no_members");

  out.desired_workers = out.model_workers;
  if (!out.evidence.empty()) {
    const double step = std::max(obj.evidence_step, 0.0);
    const long long evidence_floor = n + std::max<long long>(1, CeilCount(n * step));
    if (evidence_floor > out.desired_workers) {
      if (evidence_floor > max_w) {
        out.desired_workers = max_w;
        out.limited_by = "max_workers";
      } else {
        out.desired_workers = static_cast<int>(evidence_floor);
        out.limited_by = "evidence";
      }
    }
  }

  out.saturated = !out.evidence.empty() || out.utilization >= 1;  // NaN (unknown) compares false
  return out;
}

DesiredSmoother::DesiredSmoother(std::chrono::steady_clock::duration up_window,
                                 std::chrono::steady_clock::duration down_window)
    : up_window_(std::max(up_window, std::chrono::steady_clock::duration::zero())),
      down_window_(std::max(down_window, std::chrono::steady_clock::duration::zero())) {}

int DesiredSmoother::Update(int raw_desired, std::chrono::steady_clock::time_point now) {
  history_.emplace_back(now, raw_desired);
  const auto horizon = std::max(up_window_, down_window_);
  while (!history_.empty() && now - history_.front().first > horizon) history_.pop_front();
  if (!started_) {
    started_ = true;
    current_ = raw_desired;
    return current_;
  }
  int up_level = raw_desired;    // lowest raw value within up_window: sustained that long
  int down_level = raw_desired;  // highest raw value within down_window
  for (const auto& [at, raw] : history_) {
    if (now - at <= up_window_) up_level = std::min(up_level, raw);
    if (now - at <= down_window_) down_level = std::max(down_level, raw);
  }
  if (up_level > current_) {
    current_ = up_level;
  } else if (down_level < current_) {
    current_ = down_level;
  }
  return current_;
}

int ConsumerDesiredWorkers(const ConsumerInputs& in) {
  auto clean = [](double x) { return std::isfinite(x) && x > 0 ? x : 0.0; };
  const double lag = clean(in.lag);
  const double ack = clean(in.ack_rate);
  const double incoming = clean(in.incoming_rate);
  const int workers = std::max(in.workers, 0);
  const int min_w = std::max(in.min_workers, 0);
  const int max_w = std::max(in.max_workers, min_w);
  auto bounded = [&](long long k) { return static_cast<int>(std::clamp<long long>(k, min_w, max_w)); };

  if (in.lag_threshold > 0) return bounded(CeilCount(lag / in.lag_threshold));

  const double drain = in.drain_seconds > 0 ? in.drain_seconds : 60;
  const double need = incoming + lag / drain;  // msgs/s to keep up and drain in time
  if (need <= 0) return min_w;
  const double capacity = clean(in.per_worker_rate);
  if (capacity > 0) return bounded(std::max(1, CeilCount(need / capacity)));
  // Capacity unknown: ack_rate / workers is what each worker does now, a lower bound of what it
  // can do. Sizing from it is right only when the workers are falling behind (busy); otherwise
  // it would ask for more workers at every step and run away, so hold.
  if (workers == 0) return bounded(1);
  if (ack <= 0) return bounded(workers);
  if (need > ack * (1 + kBehindTolerance)) return bounded(CeilCount(need / (ack / workers)));
  return bounded(workers);
}

}  // namespace farrier::capacity
