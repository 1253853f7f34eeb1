// ScalingSnapshot -> metric families and the /api/v1/scaling JSON (both pure; `now` is passed
// in), plus the prometheus-cpp Collectable reading the tracker's current snapshot.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>

#include "capacity/signals.h"
#include "core/families.h"

namespace farrier {

void RenderScaling(const ScalingSnapshot& s, Families& out);
void RenderConsumerScaling(const ScalingSnapshot& s, Families& out);

// The JSON body and HTTP status for GET /api/v1/scaling (service empty) or
// /api/v1/scaling/services/<service>. 200 when fresh; 503 (body still complete, "stale": true
// with reasons) when the figures are older than `max_age` or a source they need is down, so an
// autoscaler never reads a silent zero; 404 for an unknown service.
struct ScalingResponse {
  int status = 200;
  std::string body;
};
ScalingResponse ScalingJson(const ScalingSnapshot& s, const std::string& service,
                            std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration max_age);

class ScalingCollector : public prometheus::Collectable {
 public:
  using SnapshotSource = std::function<std::shared_ptr<const ScalingSnapshot>()>;
  explicit ScalingCollector(SnapshotSource current) : current_(std::move(current)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SnapshotSource current_;
};

}  // namespace farrier
