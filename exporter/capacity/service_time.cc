#include "capacity/service_time.h"

#include <algorithm>

namespace farrier::capacity {

ServiceTimeEstimate EstimateServiceTime(const MicroDelta& micro, const ProbeLatencyDelta& probes) {
  ServiceTimeEstimate out;
  if (micro.requests > 0) {
    out.seconds = micro.seconds / static_cast<double>(micro.requests);
    out.source = "micro";
  }
  if (probes.answered == 0) return out;
  if (out.seconds > 0 && MicroServiceTimeImplausible(out.seconds, FastestAtLeast(probes.bounds, probes.counts))) {
    out.micro_ignored_seconds = out.seconds;
    out.seconds = 0;  // the probes' figure below: an overestimate, which errs towards more workers
  }
  if (out.seconds == 0) {
    out.seconds = probes.seconds / static_cast<double>(probes.answered);
    out.source = "probe";
  }
  return out;
}

double FastestAtLeast(const std::vector<double>& bounds, const std::vector<uint64_t>& counts) {
  for (size_t i = 0; i < counts.size(); ++i) {
    // Bucket i holds (bounds[i-1], bounds[i]]; the last one, past every bound, (bounds.back(), +Inf).
    if (counts[i] > 0) return i == 0 || bounds.empty() ? 0 : bounds[std::min(i, bounds.size()) - 1];
  }
  return 0;
}

bool MicroServiceTimeImplausible(double micro_seconds, double fastest_probe_at_least) {
  return fastest_probe_at_least >= 0.002 && micro_seconds * 10 < fastest_probe_at_least;
}

}  // namespace farrier::capacity
