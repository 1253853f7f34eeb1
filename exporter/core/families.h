// Building prometheus-cpp MetricFamily values from a snapshot.
//
// Families are built fresh at every scrape from the immutable snapshot (prometheus-cpp's
// Collectable model), so a series that is not in the snapshot cannot be exported: no stale
// series by construction.
#pragma once

#include <deque>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

#include "core/histogram.h"

namespace farrier {

using Label = std::pair<std::string, std::string>;
using Labels = std::vector<Label>;

// One family under construction. Add() appends a sample; labels are written in the order given.
class FamilyBuilder {
 public:
  FamilyBuilder(prometheus::MetricFamily* family, const Labels* common = nullptr) : family_(family), common_(common) {}
  FamilyBuilder& Add(double value, const Labels& labels = {});
  // For histogram families: one series with cumulative buckets, +Inf included.
  FamilyBuilder& AddHistogram(const Histogram& h, const Labels& labels = {});

 private:
  void AddLabels(prometheus::ClientMetric& metric, const Labels& labels) const;
  prometheus::MetricFamily* family_;
  const Labels* common_;  // written before each sample's own labels; may be null
};

// An ordered set of families. Asking twice for the same name returns the same family, so two
// renderers can contribute samples to one family. Families that end up with no sample are left
// out of Take(): an empty family carries no information and confuses some linters.
class Families {
 public:
  FamilyBuilder Gauge(const std::string& name, const std::string& help);
  FamilyBuilder Counter(const std::string& name, const std::string& help);
  FamilyBuilder Histogram(const std::string& name, const std::string& help);
  std::vector<prometheus::MetricFamily> Take();
  // Labels every sample added from now on starts with, until changed: how one server's series
  // get its server_name and cluster in cluster mode while its renderers stay unaware.
  void SetCommonLabels(Labels labels) { common_ = std::move(labels); }

 private:
  FamilyBuilder Get(const std::string& name, const std::string& help, prometheus::MetricType type);
  std::deque<prometheus::MetricFamily> families_;  // deque: stable addresses for builders
  Labels common_;
};

}  // namespace farrier
