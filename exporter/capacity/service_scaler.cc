#include "capacity/service_scaler.h"

#include <cmath>

namespace farrier::capacity {
namespace {

PoolInputs ModelInputs(const ServiceConfig& c, int workers, const ServiceWindowFigures& w, double service_seconds) {
  PoolInputs in;
  in.arrival_rate = w.arrival_rate;
  in.service_seconds = service_seconds;
  in.workers = workers;
  in.concurrency = c.worker_concurrency;
  in.overflow = c.overflow;
  in.objectives.target_utilization = c.target_utilization;
  in.objectives.max_timeout_ratio = c.max_timeout_ratio;
  in.objectives.latency_slo_seconds = std::chrono::duration<double>(c.latency_slo).count();
  in.objectives.min_workers = c.min_workers;
  in.objectives.max_workers = c.max_workers;
  in.observed_timeout_ratio = w.timeout_ratio;
  in.observed_attempts = static_cast<double>(w.probes);
  in.observed_p99_seconds = w.p99_seconds;
  in.no_responders_with_load = w.no_responders;
  return in;
}

}  // namespace

ServiceScaler::ServiceScaler(const ServiceConfig& service, const ScalingOptions& options)
    : config_(service), window_(options.window), desired_(options.up_window, options.down_window) {}

ServiceSignal ServiceScaler::Observe(const QueueGroupView* members, const Connz* connz, const ServiceStats* probes,
                                     std::chrono::steady_clock::time_point now) {
  ServiceSignal sig;
  sig.name = config_.name;
  sig.concurrency = config_.worker_concurrency;
  if (members) {
    sig.members_known = true;
    sig.workers = static_cast<int>(members->members.size());
    sig.pending_bytes = delivered_.Update(*members, connz);
    sig.pending_known = sig.replies_known = connz != nullptr;
  }
  sig.delivered_total = delivered_.delivered_total();
  sig.replies_total = delivered_.replies_total();

  // Only polls with the members known feed λ.
  if (members) {
    window_.Add(MakeServiceSample(now, sig.delivered_total, sig.workers, probes));
  } else {
    window_.Trim(now);
  }
  const ServiceWindowFigures w = WindowFigures(window_);
  const ServiceTimeEstimate s = EstimateServiceTime(w.micro, w.probe_latency);
  sig.window_seconds = w.seconds;
  sig.arrival_rate = std::isnan(w.arrival_rate) ? 0 : w.arrival_rate;
  sig.service_seconds = s.seconds;
  sig.service_time_source = s.source;
  sig.micro_service_seconds_ignored = s.micro_ignored_seconds;
  sig.p99_seconds = w.p99_seconds;
  sig.observed_timeout_ratio = w.timeout_ratio;

  const PoolInputs in = ModelInputs(config_, sig.workers, w, s.seconds);
  sig.assessment = Assess(in);
  // Evidence is remembered at the fewest members of the window: with timeouts still in it after
  // the pool grew, the present size would be remembered as too small though it never was.
  memory_.Observe(!sig.assessment.evidence.empty(), members ? w.fewest_workers : 0, w.arrival_rate);
  memory_.Apply(sig.assessment, config_.min_workers, config_.max_workers);
  sig.proven_too_small = memory_.proven_too_small();

  // Until the window is half full, and whenever the members are unknown, the answer holds.
  sig.warming_up = !window_.half_full();
  sig.desired_workers = desired_.Update(in, sig.assessment.desired_workers, !sig.members_known || sig.warming_up, now);
  return sig;
}

}  // namespace farrier::capacity
