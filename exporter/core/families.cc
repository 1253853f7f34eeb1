#include "core/families.h"

#include <limits>
#include <stdexcept>

namespace farrier {

void FamilyBuilder::AddLabels(prometheus::ClientMetric& metric, const Labels& labels) const {
  metric.label.reserve(labels.size() + (common_ ? common_->size() : 0));
  const size_t common = common_ ? common_->size() : 0;
  if (common_) {
    for (const auto& [name, val] : *common_) metric.label.push_back({name, val});
  }
  for (const auto& [name, val] : labels) {
    // A renderer's own label of the same name (nats_server_info's server_name) says the same.
    bool dup = false;
    for (size_t i = 0; i < common && !dup; ++i) dup = metric.label[i].name == name;
    if (!dup) metric.label.push_back({name, val});
  }
}

FamilyBuilder& FamilyBuilder::Add(double value, const Labels& labels) {
  prometheus::ClientMetric metric;
  AddLabels(metric, labels);
  switch (family_->type) {
    case prometheus::MetricType::Counter: metric.counter.value = value; break;
    case prometheus::MetricType::Gauge: metric.gauge.value = value; break;
    default: metric.untyped.value = value;
  }
  family_->metric.push_back(std::move(metric));
  return *this;
}

FamilyBuilder& FamilyBuilder::AddHistogram(const farrier::Histogram& h, const Labels& labels) {
  prometheus::ClientMetric metric;
  AddLabels(metric, labels);
  metric.histogram.sample_count = h.count;
  metric.histogram.sample_sum = h.sum;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    double bound = i < h.bounds.size() ? h.bounds[i] : std::numeric_limits<double>::infinity();
    metric.histogram.bucket.push_back({cumulative, bound});
  }
  family_->metric.push_back(std::move(metric));
  return *this;
}

FamilyBuilder Families::Histogram(const std::string& name, const std::string& help) {
  return Get(name, help, prometheus::MetricType::Histogram);
}

FamilyBuilder Families::Gauge(const std::string& name, const std::string& help) {
  return Get(name, help, prometheus::MetricType::Gauge);
}

FamilyBuilder Families::Counter(const std::string& name, const std::string& help) {
  return Get(name, help, prometheus::MetricType::Counter);
}

FamilyBuilder Families::Get(const std::string& name, const std::string& help, prometheus::MetricType type) {
  for (auto& f : families_) {
    if (f.name == name) {
      // Two renderers disagreeing on a family's type is a programming error caught by tests.
      if (f.type != type) throw std::logic_error("metric family " + name + " registered twice");
      return FamilyBuilder(&f, &common_);
    }
  }
  families_.push_back(prometheus::MetricFamily{name, help, type, {}});
  return FamilyBuilder(&families_.back(), &common_);
}

std::vector<prometheus::MetricFamily> Families::Take() {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families_.size());
  for (auto& f : families_) {
    if (!f.metric.empty()) out.push_back(std::move(f));
  }
  families_.clear();
  return out;
}

}  // namespace farrier
