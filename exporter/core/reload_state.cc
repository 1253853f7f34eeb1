#include "core/reload_state.h"

#include "core/families.h"

namespace farrier {

std::vector<prometheus::MetricFamily> ReloadStateFamilies(bool last_reload_ok,
                                                          std::chrono::system_clock::time_point last_success) {
  Families f;
  f.Gauge("nats_exporter_config_last_reload_successful",
          "Whether the last configuration reload (SIGHUP or POST /-/reload) succeeded; 1 before any (farrier itself).")
      .Add(last_reload_ok ? 1 : 0);
  f.Gauge("nats_exporter_config_last_reload_success_timestamp_seconds",
          "Unix time of the last successful configuration load, at start or by reload (farrier itself).")
      .Add(std::chrono::duration<double>(last_success.time_since_epoch()).count());
  return f.Take();
}

}  // namespace farrier
