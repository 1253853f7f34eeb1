#include "sources/healthz.h"

#include <algorithm>
#include <cctype>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

namespace {

std::string TypeLabel(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view known : kHealthzErrorTypes) {
    if (type == known) return type;
  }
  return "other";
}

}  // namespace

Result<Healthz> ParseHealthz(std::string_view body) {
  return ParseWith<Healthz>("healthz", body, [](const Json& j) {
    Healthz h;
    h.healthy = Str(j, "status", "$", /*required=*/true) == "ok";
    h.error = Str(j, "error", "$");
    const Json& errors = Array(j, "errors", "$");
    if (errors.is_null()) return h;
    for (size_t i = 0; i < errors.size(); ++i) {
      const std::string path = "$.errors[" + std::to_string(i) + "]";
      const Json& e = errors[i];
      ++h.errors_by_type[TypeLabel(Str(e, "type", path, /*required=*/true))];
      // The first few reasons are enough for one log line; a server with a thousand broken
      // consumers would otherwise log a thousand.
      if (i < 3) {
        if (!h.error.empty()) h.error += "; ";
        h.error += Str(e, "type", path) + ": " + Str(e, "error", path);
      } else if (i == 3) {
        h.error += "; and " + std::to_string(errors.size() - 3) + " more";
      }
    }
    return h;
  });
}

void RenderHealthz(const Healthz& h, bool has_details, Families& out) {
  out.Gauge("nats_server_healthy", "1 when the server reports itself healthy (/healthz status \"ok\"), else 0.")
      .Add(h.healthy ? 1 : 0);
  if (!has_details) return;
  auto errors = out.Gauge("nats_server_health_errors",
                          "Problems the server's health check reports now, by type "
                          "(/healthz?details=true errors[].type; 2.10+).");
  for (std::string_view type : kHealthzErrorTypes) {
    auto it = h.errors_by_type.find(type);
    errors.Add(it == h.errors_by_type.end() ? 0 : it->second, {{"type", std::string(type)}});
  }
  if (auto it = h.errors_by_type.find("other"); it != h.errors_by_type.end()) {
    errors.Add(it->second, {{"type", "other"}});
  }
}

}  // namespace farrier
