// /healthz?details=true: the server's own readiness verdict.
//
// The HTTP status of an unhealthy answer changed: 2.9 answers 503 for every failure; since 2.10 a
// server that is not ready for connections (starting, or in lame-duck mode with its client
// listener closed) answers 500, other failures 503. Both are answers with a JSON verdict, not a
// failed poll (registry.cc). Since 2.10 `details=true` adds errors[] with a `type` each, counted
// here by type; 2.9 ignores the parameter.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/families.h"
#include "core/result.h"

namespace farrier {

struct Healthz {
  bool healthy = false;
  // The server's reason when unhealthy (error, or errors[].error joined); logged, never a label.
  std::string error;
  // errors[] by type, lower case: connection, bad_request, jetstream, account, stream, consumer;
  // "other" for a type this version of Farrier does not know.
  std::map<std::string, uint64_t, std::less<>> errors_by_type;
};

Result<Healthz> ParseHealthz(std::string_view body);

// The error types /healthz?details=true can report (HealthZErrorType in the server's sources).
inline constexpr std::string_view kHealthzErrorTypes[] = {"connection", "bad_request", "jetstream",
                                                          "account",    "stream",      "consumer"};

// `has_details`: whether this server breaks errors down by type (HealthzHasDetails); without it
// the per-type series are left out instead of claiming zero.
void RenderHealthz(const Healthz& healthz, bool has_details, Families& out);

}  // namespace farrier
