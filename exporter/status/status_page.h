// The status page at /: every source up or down with its last error and that error's age; every
// server (one in a sidecar, all of them in cluster mode) with its version and connections; per
// service current vs. desired workers, utilization, predicted and observed timeout ratio and
// probe latency; per consumer lag and desired workers; each figure with a chart of the last 15
// minutes (status/history.h). Server-rendered, no external assets; a small inline script
// replaces the page's content every poll interval (the page works without it).
#pragma once

#include <chrono>
#include <string>

#include "status/history.h"

namespace farrier {

struct StatusPageContext {
  std::string version;  // Farrier's
  std::string polled;   // what is polled: the monitoring URL, or "every server over $SYS"
  std::chrono::milliseconds poll_interval{0};
  bool scaling_api = false;  // /api/v1/scaling answers (services or consumers configured)
};

std::string RenderStatusPage(const StatusState& state, const StatusPageContext& context, SteadyTime now);

// The Content-Security-Policy header to send with the page: nothing loads from anywhere, and the
// only style and script that run are the page's own (by hash), so even a name that escaped the
// escaping could not run a script.
const std::string& StatusPageContentSecurityPolicy();

}  // namespace farrier
