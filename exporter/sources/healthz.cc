#include "sources/healthz.h"

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

Result<Healthz> ParseHealthz(std::string_view body) {
  return ParseWith<Healthz>("healthz", body, [](const Json& j) {
    Healthz h;
    h.healthy = Str(j, "status", "$", /*required=*/true) == "ok";
    h.error = Str(j, "error", "$");
    return h;
  });
}

void RenderHealthz(const Healthz& h, Families& out) {
  out.Gauge("nats_server_healthy",
            "1 when the server reports itself healthy (/healthz status \"ok\"), else 0.")
      .Add(h.healthy ? 1 : 0);
}

}  // namespace farrier
