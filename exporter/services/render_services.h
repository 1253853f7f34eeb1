// ServicesSnapshot -> metric families (pure), and the prometheus-cpp Collectable that reads
// the prober's current snapshot at scrape time.
#pragma once

#include <functional>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "core/families.h"
#include "services/service_stats.h"

namespace farrier {

void RenderServices(const ServicesSnapshot& snapshot, Families& out);

class ServicesCollector : public prometheus::Collectable {
 public:
  using SnapshotSource = std::function<ServicesSnapshot()>;
  explicit ServicesCollector(SnapshotSource current) : current_(std::move(current)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SnapshotSource current_;
};

}  // namespace farrier
