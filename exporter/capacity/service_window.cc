#include "capacity/service_window.h"

#include <algorithm>

namespace farrier::capacity {

ServiceSample MakeServiceSample(std::chrono::steady_clock::time_point at, uint64_t delivered, int workers,
                                const ServiceStats* probes) {
  ServiceSample s;
  s.at = at;
  s.delivered = delivered;
  s.workers = workers;
  if (!probes) return s;
  s.latency = probes->latency;
  s.probes = probes->probes;
  s.timeouts = probes->failures[static_cast<size_t>(ProbeFailure::kTimeout)];
  s.no_responders = probes->failures[static_cast<size_t>(ProbeFailure::kNoResponders)];
  if (probes->micro_polled) {
    s.micro = true;
    for (const auto& e : probes->micro.Totals()) {
      s.micro_requests += e.requests;
      s.micro_seconds += e.processing_seconds;
    }
  }
  return s;
}

ServiceWindowFigures WindowFigures(const ServiceWindow& window) {
  ServiceWindowFigures f;
  if (window.size() == 0) return f;
  f.fewest_workers = window.oldest().workers;
  for (const ServiceSample& s : window.samples()) f.fewest_workers = std::min(f.fewest_workers, s.workers);
  if (!window.has_rate()) return f;
  const ServiceSample& a = window.oldest();
  const ServiceSample& b = window.newest();
  f.seconds = window.seconds();
  if (f.seconds > 0) f.arrival_rate = static_cast<double>(b.delivered - a.delivered) / f.seconds;
  if (a.micro && b.micro && b.micro_requests > a.micro_requests) {
    f.micro = {b.micro_requests - a.micro_requests, b.micro_seconds - a.micro_seconds};
  }
  const uint64_t answered = b.latency.count - std::min(a.latency.count, b.latency.count);
  if (answered > 0 && b.latency.counts.size() == a.latency.counts.size()) {
    ProbeLatencyDelta& d = f.probe_latency;
    d.answered = answered;
    d.seconds = b.latency.sum - a.latency.sum;
    d.bounds = b.latency.bounds;
    d.counts.resize(b.latency.counts.size());
    for (size_t k = 0; k < d.counts.size(); ++k) d.counts[k] = b.latency.counts[k] - a.latency.counts[k];
    if (answered >= kMinAnswersForP99) f.p99_seconds = HistogramQuantile(d.bounds, d.counts, 0.99);
  }
  f.probes = b.probes - std::min(a.probes, b.probes);
  if (f.probes > 0) f.timeout_ratio = static_cast<double>(b.timeouts - a.timeouts) / static_cast<double>(f.probes);
  f.no_responders = b.no_responders > a.no_responders;
  return f;
}

double HistogramQuantile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double q) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0 || bounds.empty()) return 0;
  double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (static_cast<double>(below + counts[i]) >= rank && counts[i] > 0) {
      if (i >= bounds.size()) return bounds.back();
      double lower = i == 0 ? 0 : bounds[i - 1];
      double fraction = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
      return lower + (bounds[i] - lower) * std::clamp(fraction, 0.0, 1.0);
    }
    below += counts[i];
  }
  return bounds.back();
}

}  // namespace farrier::capacity
