#include "core/series_limit.h"

namespace farrier {

std::map<std::string, uint64_t> LimitSeries(std::vector<prometheus::MetricFamily>& families, size_t max_per_family) {
  std::map<std::string, uint64_t> dropped;
  if (max_per_family == 0) return dropped;
  for (prometheus::MetricFamily& family : families) {
    if (family.metric.size() <= max_per_family) continue;
    dropped[family.name] += family.metric.size() - max_per_family;
    family.metric.resize(max_per_family);
  }
  return dropped;
}

prometheus::MetricFamily SeriesDroppedFamily(const std::map<std::string, uint64_t>& dropped) {
  prometheus::MetricFamily f;
  f.name = "nats_exporter_series_dropped";
  f.help = "Series of this family left out of this scrape by --metrics.max-series-per-family (farrier itself).";
  f.type = prometheus::MetricType::Gauge;
  for (const auto& [family, n] : dropped) {
    prometheus::ClientMetric m;
    m.label.push_back({"family", family});
    m.gauge.value = static_cast<double>(n);
    f.metric.push_back(std::move(m));
  }
  return f;
}

}  // namespace farrier
