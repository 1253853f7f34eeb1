// Snapshot -> metric families. Pure: the same snapshot, options and clock give the same output.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "core/text_piece.h"
#include "core/version.h"
#include "snapshot/registry.h"
#include "snapshot/snapshot.h"

namespace farrier {

std::vector<prometheus::MetricFamily> RenderSnapshot(const Snapshot& snapshot, const SourceOptions& options,
                                                     std::chrono::steady_clock::time_point now);

// The one family of RenderSnapshot that changes between polls: nats_exporter_snapshot_age_seconds.
prometheus::MetricFamily SnapshotAgeFamily(const Snapshot& snapshot, std::chrono::steady_clock::time_point now);

// RenderSnapshot without the age family, capped at `max_series_per_family` (core/series_limit.h)
// and serialized in the Prometheus text format, rendered once per snapshot: every scrape of one
// snapshot gets the same bytes (with thousands of consumers that is megabytes, which a render per
// scrape would rebuild each time). Thread-safe if `current` is; concurrent scrapes of a new
// snapshot wait for one render.
class SnapshotExposition {
 public:
  using SnapshotSource = std::function<std::shared_ptr<const Snapshot>()>;
  struct Text {
    std::shared_ptr<const Snapshot> snapshot;  // null before the first poll: body empty
    TextPieces body;                           // each piece's gzip form compressed at most once, too
    std::map<std::string, uint64_t> dropped;   // LimitSeries' count per family
  };

  SnapshotExposition(SourceOptions options, size_t max_series_per_family, SnapshotSource current)
      : options_(std::move(options)), max_series_per_family_(max_series_per_family), current_(std::move(current)) {}

  Text Current() const;
  // Renders so far (tests: one per snapshot, however many scrapes).
  uint64_t renders() const;

 private:
  const SourceOptions options_;
  const size_t max_series_per_family_;
  const SnapshotSource current_;
  mutable std::mutex mu_;
  mutable Text cached_;
  mutable bool cached_valid_ = false;
  mutable uint64_t renders_ = 0;
};

}  // namespace farrier
