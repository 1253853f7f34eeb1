// What the capacity signals need to know, and nothing more: the windows of --scaling.* and the
// services and consumers to size. The caller builds it from the configuration
// (app/pipeline.cc), so capacity/ depends on no option table.
#pragma once

#include <chrono>
#include <vector>

#include "services/definitions.h"

namespace farrier {

struct ScalingOptions {
  std::chrono::milliseconds window{};       // --scaling.window: rates are taken over this
  std::chrono::milliseconds up_window{};    // --scaling.up-window (DesiredSmoother)
  std::chrono::milliseconds down_window{};  // --scaling.down-window (DesiredSmoother)
  // In the prober's order: the tracker reads ServicesSnapshot::stats[i] for services[i].
  std::vector<ServiceConfig> services;
  std::vector<ConsumerConfig> consumers;
};

}  // namespace farrier
