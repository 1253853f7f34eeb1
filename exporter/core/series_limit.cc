#include "core/series_limit.h"

namespace farrier {

uint64_t LimitSeries(std::vector<prometheus::MetricFamily>& families, size_t max_per_family,
                     std::map<std::string, uint64_t>& dropped) {
  if (max_per_family == 0) return 0;
  uint64_t total = 0;
  for (prometheus::MetricFamily& family : families) {
    if (family.metric.size() <= max_per_family) continue;
    uint64_t n = family.metric.size() - max_per_family;
    family.metric.resize(max_per_family);
    dropped[family.name] += n;
    total += n;
  }
  return total;
}

prometheus::MetricFamily SeriesDroppedFamily(const std::map<std::string, uint64_t>& dropped) {
  prometheus::MetricFamily f;
  f.name = "nats_exporter_series_dropped_total";
  f.help = "Series left out of scrapes by --metrics.max-series-per-family, summed over scrapes (farrier itself).";
  f.type = prometheus::MetricType::Counter;
  for (const auto& [family, n] : dropped) {
    prometheus::ClientMetric m;
    m.label.push_back({"family", family});
    m.counter.value = static_cast<double>(n);
    f.metric.push_back(std::move(m));
  }
  return f;
}

}  // namespace farrier
