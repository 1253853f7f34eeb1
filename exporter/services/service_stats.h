// What the prober has measured per service, as plain data: the prober updates it under its lock
// and hands out copies (ServicesSnapshot) that the renderer and the capacity model read.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/histogram.h"
#include "services/definitions.h"
#include "services/js_account_info.h"
#include "services/micro_stats.h"

namespace farrier {

// Why a probe failed. `error`: not sent (disconnected, publish failed).
enum class ProbeFailure { kTimeout = 0, kNoResponders = 1, kError = 2 };
inline constexpr std::array<std::string_view, 3> kProbeFailureNames = {"timeout", "no_responders", "error"};

struct ServiceStats {
  // Active probes: every completed probe is counted once in `probes` and either observed in
  // `latency` (answered) or counted in `failures`.
  uint64_t probes = 0;
  std::array<uint64_t, 3> failures{};
  Histogram latency;
  bool probed = false;  // a probe has completed
  bool up = false;      // the last completed probe was answered
  double last_latency_seconds = 0;
  int consecutive_failures = 0;  // probes failed since the last answer

  // $SRV.STATS.<micro_service> (when configured).
  bool micro_polled = false;
  bool micro_up = false;       // the last round got at least one valid answer
  uint64_t micro_invalid = 0;  // answers that did not parse
  MicroCounters micro;

  // Service-latency events on latency_subject (when configured).
  Histogram observed_service, observed_system, observed_total;
  std::map<int, uint64_t> observed_status;  // status code -> events
  uint64_t observed_invalid = 0;
};

struct ServicesSnapshot {
  bool nats_configured = false;  // services exist, so a NATS connection is kept
  bool nats_connected = false;
  uint64_t nats_reconnects = 0;
  std::vector<ServiceConfig> services;  // configuration, in file order
  std::vector<ServiceStats> stats;      // same order
  // $JS.API.INFO of the connection's account (--jetstream.account-info), when asked for.
  std::optional<JsAccountInfoStats> account_info;
};

}  // namespace farrier
