// /healthz: the server's own readiness verdict (200 "ok", 503 with an error when not ready).
#pragma once

#include <string>
#include <string_view>

#include "core/families.h"
#include "core/result.h"

namespace farrier {

struct Healthz {
  bool healthy = false;
  std::string error;  // the server's reason when unhealthy; logged, never a label
};

Result<Healthz> ParseHealthz(std::string_view body);
void RenderHealthz(const Healthz& healthz, Families& out);

}  // namespace farrier
