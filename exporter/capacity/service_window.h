// A service's rate window (a SampleWindow of ServiceSample) and what it says: λ, the probes'
// latency and outcomes, and the $SRV.STATS counts over the window. docs/capacity.md,
// "Definitions" and "Evidence".
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "capacity/sample_window.h"
#include "capacity/service_time.h"
#include "core/histogram.h"
#include "services/service_stats.h"

namespace farrier::capacity {

// Cumulative counts as they stood at one poll.
struct ServiceSample {
  std::chrono::steady_clock::time_point at;
  uint64_t delivered = 0;  // DeliveredCounter::delivered_total()
  int workers = 0;         // members at this poll
  bool micro = false;      // $SRV.STATS polled: the micro figures are present
  uint64_t micro_requests = 0;
  double micro_seconds = 0;
  Histogram latency;  // answered probes (cumulative since the prober started)
  uint64_t probes = 0, timeouts = 0, no_responders = 0;
};

// The sample of one poll: `delivered` from the DeliveredCounter, `workers` the members, the rest
// from the prober's figures for the service (null: no probes, no micro stats).
ServiceSample MakeServiceSample(std::chrono::steady_clock::time_point at, uint64_t delivered, int workers,
                                const ServiceStats* probes);

using ServiceWindow = SampleWindow<ServiceSample>;

// With fewer answers in the window the 99th percentile is just the maximum: p99 stays unknown.
inline constexpr uint64_t kMinAnswersForP99 = 100;

struct ServiceWindowFigures {
  double seconds = 0;  // newest − oldest sample; 0 until the window holds two
  // λ, requests/s delivered to the members. Unknown (NaN), not zero, until two samples span some
  // time: the model reads 0 as "no load" and would answer min_workers.
  double arrival_rate = std::nan("");
  MicroDelta micro;
  ProbeLatencyDelta probe_latency;
  double p99_seconds = 0;      // of the answered probes, from kMinAnswersForP99 or more; 0 = unknown
  uint64_t probes = 0;         // probes completed (answered or failed) in the window
  double timeout_ratio = 0;    // timeouts / probes; 0 without probes
  bool no_responders = false;  // a probe got "no responders" in the window
  // The fewest members any sample of the window saw: the pool size its evidence is attributed
  // to. Timeouts still in the window after the pool grew were seen at the smaller size.
  int fewest_workers = 0;
};

ServiceWindowFigures WindowFigures(const ServiceWindow& window);

// Linear interpolation inside the bucket holding quantile q, as Prometheus' histogram_quantile
// does; `counts` are per bucket (not cumulative), bounds.size() + 1 entries. 0 when empty; the
// largest finite bound when q falls in +Inf.
double HistogramQuantile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double q);

}  // namespace farrier::capacity
