// Snapshot -> metric families. Pure: the same snapshot, options and clock give the same output.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "core/version.h"
#include "snapshot/registry.h"
#include "snapshot/snapshot.h"

namespace farrier {

std::vector<prometheus::MetricFamily> RenderSnapshot(const Snapshot& snapshot, const SourceOptions& options,
                                                     std::chrono::steady_clock::time_point now);

// The prometheus-cpp face of the above: reads whatever snapshot `current` returns at collect
// time. Thread-safe if `current` is.
class SnapshotCollector : public prometheus::Collectable {
 public:
  using SnapshotSource = std::function<std::shared_ptr<const Snapshot>()>;
  SnapshotCollector(SourceOptions options, SnapshotSource current)
      : options_(std::move(options)), current_(std::move(current)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SourceOptions options_;
  SnapshotSource current_;
};


}  // namespace farrier
