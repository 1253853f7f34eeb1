// Building prometheus-cpp MetricFamily values from a snapshot.
//
// Families are built fresh from the immutable snapshot (prometheus-cpp's Collectable model; the
// snapshot's once per snapshot, snapshot/render.h), so a series that is not in the snapshot
// cannot be exported: no stale series by construction.
#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

#include "core/histogram.h"
#include "core/text_piece.h"

namespace farrier {

using Label = std::pair<std::string, std::string>;
using Labels = std::vector<Label>;

class Families;

// One family under construction. Add() appends a sample; labels are written in the order given.
class FamilyBuilder {
 public:
  FamilyBuilder& Add(double value, const Labels& labels = {});
  // For histogram families: one series with cumulative buckets, +Inf included.
  FamilyBuilder& AddHistogram(const Histogram& h, const Labels& labels = {});

 private:
  friend class Families;
  struct Family;
  FamilyBuilder(Family* family, const Labels* common) : family_(family), common_(common) {}
  void AppendLabels(const Labels& labels);
  uint32_t LabelsEnd() const;
  Family* family_;
  const Labels* common_;  // written before each sample's own labels; may be null
};

// An ordered set of families. Asking twice for the same name returns the same family, so two
// renderers can contribute samples to one family. Families that end up with no sample are left
// out of Take() and Serialize(): an empty family carries no information and confuses some linters.
//
// Samples are held compactly (their labels in one buffer per family) and become prometheus-cpp
// objects only when taken: 10,000 consumers render to ~120,000 series, ~50 MB as ClientMetrics
// but ~7 MB here, and Serialize() builds the ClientMetrics of one family at a time.
class Families {
 public:
  Families();
  ~Families();
  Families(Families&&) noexcept;
  Families& operator=(Families&&) noexcept;

  FamilyBuilder Gauge(const std::string& name, const std::string& help);
  FamilyBuilder Counter(const std::string& name, const std::string& help);
  FamilyBuilder Histogram(const std::string& name, const std::string& help);
  std::vector<prometheus::MetricFamily> Take();
  // Everything in the Prometheus text format (prometheus-cpp's TextSerializer, one family at a
  // time), at most `max_per_family` series per family (0: no limit) as LimitSeries would keep
  // (core/series_limit.h), with what was left out per family in `dropped`. Empties the set.
  // The text comes in pieces of a few hundred kilobytes, to be written one after the other.
  TextPieces Serialize(size_t max_per_family, std::map<std::string, uint64_t>* dropped);
  // Labels every sample added from now on starts with, until changed: how one server's series
  // get its server_name and cluster in cluster mode while its renderers stay unaware.
  void SetCommonLabels(Labels labels) { common_ = std::move(labels); }

 private:
  FamilyBuilder Get(const std::string& name, const std::string& help, prometheus::MetricType type);
  std::deque<FamilyBuilder::Family> families_;  // deque: stable addresses for builders
  Labels common_;
};

}  // namespace farrier
