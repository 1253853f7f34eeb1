// The mean service time S of a service over the rate window: the workers' own processing time
// from $SRV.STATS when they offer it and it is plausible, else the mean latency of the answered
// probes, an overestimate (it adds the round trip and any wait), which errs towards more
// workers. docs/capacity.md, "Definitions". Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace farrier::capacity {

// What $SRV.STATS counted over the window, summed over the instances. requests 0: unknown (not
// polled at both ends of the window, or no request in it).
struct MicroDelta {
  uint64_t requests = 0;
  double seconds = 0;  // processing time
};

// The probes answered over the window: how many, their summed latency, and the per-bucket
// increments of the latency histogram (`counts` has bounds.size() + 1 entries, the last for
// +Inf). answered 0: none, or the histogram is not comparable across the window.
struct ProbeLatencyDelta {
  uint64_t answered = 0;
  double seconds = 0;
  std::vector<double> bounds;
  std::vector<uint64_t> counts;
};

struct ServiceTimeEstimate {
  double seconds = 0;  // S; 0 = unknown
  std::string source;  // "micro", "probe" or "" (unknown)
  // The $SRV.STATS figure when it was set aside as implausible (MicroServiceTimeImplausible); 0
  // otherwise.
  double micro_ignored_seconds = 0;
};

ServiceTimeEstimate EstimateServiceTime(const MicroDelta& micro, const ProbeLatencyDelta& probes);

// The fastest observation counted in `counts` (a histogram's per-bucket increments over a window)
// took at least this long: the upper bound of the bucket below the lowest one that gained a count.
double FastestAtLeast(const std::vector<double>& bounds, const std::vector<uint64_t>& counts);

// Whether a service time from $SRV.STATS cannot be right next to the probes: every probe is
// answered by a worker, so none is faster than one service time. A micro figure under a tenth of
// the fastest probe, when that probe took 2 ms or more (well past a network round trip), times
// something other than the work: nats.go's micro times the handler, and a handler that hands the
// request to a goroutine and returns reports microseconds.
bool MicroServiceTimeImplausible(double micro_seconds, double fastest_probe_at_least);

}  // namespace farrier::capacity
