// Families about configuration reloads (SIGHUP, POST /-/reload), named as Prometheus names its
// own: whether the last reload worked and when a configuration was last loaded.
#pragma once

#include <chrono>
#include <vector>

#include <prometheus/metric_family.h>

namespace farrier {

std::vector<prometheus::MetricFamily> ReloadStateFamilies(bool last_reload_ok,
                                                          std::chrono::system_clock::time_point last_success);

}  // namespace farrier
