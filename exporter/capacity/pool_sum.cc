#include "capacity/pool_sum.h"

#include <algorithm>
#include <limits>
#include <set>
#include <sstream>
#include <string>

namespace farrier::capacity {
namespace {

int Bounded(int desired, const ServiceConfig& s) { return std::clamp(desired, s.min_workers, s.max_workers); }

}  // namespace

ServiceSignal SumServiceSignals(const ServiceConfig& service, const std::vector<ServiceSignal>& parts) {
  ServiceSignal sum;
  sum.name = service.name;
  sum.concurrency = service.worker_concurrency;
  sum.members_known = !parts.empty();
  sum.replies_known = sum.pending_known = !parts.empty();
  sum.window_seconds = parts.empty() ? 0 : std::numeric_limits<double>::infinity();
  double weighted_s = 0, weighted_timeout = 0, weighted_wait = 0, lambda_with_s = 0;
  const ServiceSignal* busiest = nullptr;  // the part with the most load and a known S
  const ServiceSignal* largest = nullptr;  // the part asking for the most workers
  std::set<std::string> evidence;
  int raw_desired = 0, desired = 0;
  for (const ServiceSignal& p : parts) {
    sum.members_known = sum.members_known && p.members_known;
    sum.replies_known = sum.replies_known && p.replies_known;
    sum.pending_known = sum.pending_known && p.pending_known;
    sum.workers += p.workers;
    sum.delivered_total += p.delivered_total;
    sum.replies_total += p.replies_total;
    sum.pending_bytes += p.pending_bytes;
    sum.window_seconds = std::min(sum.window_seconds, p.window_seconds);
    sum.arrival_rate += p.arrival_rate;
    sum.p99_seconds = std::max(sum.p99_seconds, p.p99_seconds);
    sum.observed_timeout_ratio = std::max(sum.observed_timeout_ratio, p.observed_timeout_ratio);
    sum.micro_service_seconds_ignored = std::max(sum.micro_service_seconds_ignored, p.micro_service_seconds_ignored);
    sum.warming_up = sum.warming_up || p.warming_up;
    sum.proven_too_small += p.proven_too_small;
    if (p.service_seconds > 0) {
      weighted_s += p.arrival_rate * p.service_seconds;
      lambda_with_s += p.arrival_rate;
      if (!busiest || p.arrival_rate > busiest->arrival_rate) busiest = &p;
    }
    const PoolAssessment& a = p.assessment;
    sum.assessment.demand_workers += a.demand_workers;
    sum.assessment.model_workers += a.model_workers;
    sum.assessment.saturated = sum.assessment.saturated || a.saturated;
    sum.assessment.predicted_p99_wait_seconds = std::max(sum.assessment.predicted_p99_wait_seconds,
                                                         a.predicted_p99_wait_seconds);
    weighted_timeout += p.arrival_rate * a.predicted_timeout_ratio;
    weighted_wait += p.arrival_rate * a.predicted_wait_seconds;
    raw_desired += a.desired_workers;
    desired += p.desired_workers;
    if (!largest || a.desired_workers > largest->assessment.desired_workers) largest = &p;
    std::stringstream items(a.evidence);
    for (std::string item; std::getline(items, item, ',');) {
      if (!item.empty()) evidence.insert(item);
    }
  }
  if (parts.empty()) sum.window_seconds = 0;
  if (busiest) {
    sum.service_seconds = lambda_with_s > 0 ? weighted_s / lambda_with_s : busiest->service_seconds;
    sum.service_time_source = busiest->service_time_source;
  }
  PoolAssessment& a = sum.assessment;
  if (sum.arrival_rate > 0) {
    a.predicted_timeout_ratio = weighted_timeout / sum.arrival_rate;
    a.predicted_wait_seconds = weighted_wait / sum.arrival_rate;
  }
  a.utilization = sum.workers > 0        ? a.demand_workers / sum.workers
                  : a.demand_workers > 0 ? std::numeric_limits<double>::infinity()
                                         : 0;
  a.model_workers = Bounded(a.model_workers, service);
  a.desired_workers = Bounded(raw_desired, service);
  a.limited_by = a.desired_workers != raw_desired ? (raw_desired < service.min_workers ? "min_workers" : "max_workers")
                 : largest                        ? largest->assessment.limited_by
                                                  : "no_data";
  for (const std::string& item : evidence) a.evidence += (a.evidence.empty() ? "" : ",") + item;
  sum.desired_workers = Bounded(desired, service);
  return sum;
}

}  // namespace farrier::capacity
