#include "services/service_latency.h"

#include "core/json_fields.h"

namespace farrier {
namespace {

using namespace json_fields;

// A Go time.Duration field (int64 nanoseconds) in seconds. The server never sends a negative
// latency (it clamps its estimates at 0), so one is a broken upstream, not a value to keep.
double NanosAsSeconds(const Json& obj, std::string_view key, std::string_view path, bool required) {
  const std::string where = std::string(path) + "." + std::string(key);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) throw SchemaError(where + ": expected integer nanoseconds, field missing");
    return 0;
  }
  if (!it->is_number_integer()) {
    throw SchemaError(where + ": expected integer nanoseconds, got " + it->type_name());
  }
  if (it->is_number_unsigned()) return static_cast<double>(it->get<uint64_t>()) / 1e9;
  const int64_t ns = it->get<int64_t>();
  if (ns < 0) {
    throw SchemaError(where + ": expected non-negative integer nanoseconds, got " + std::to_string(ns));
  }
  return static_cast<double>(ns) / 1e9;
}

// The rtt of `requestor`/`responder`; 0 when the client object is absent.
double ClientRttSeconds(const Json& event, std::string_view key) {
  const Json& client = Object(event, key, "$");
  if (client.is_null()) return 0;
  return NanosAsSeconds(client, "rtt", "$." + std::string(key), /*required=*/false);
}

}  // namespace

Result<ServiceLatencyEvent> ParseServiceLatency(std::string_view json) {
  return ParseWith<ServiceLatencyEvent>("service_latency", json, [](const Json& j) {
    const std::string type = Str(j, "type", "$", /*required=*/true);
    if (type != kServiceLatencyType) {
      throw SchemaError("$.type: expected \"" + std::string(kServiceLatencyType) + "\", got \"" + type + "\"");
    }
    ServiceLatencyEvent e;
    const int64_t status = I64(j, "status", "$", /*required=*/true);
    if (status < 100 || status > 599) {
      throw SchemaError("$.status: expected an HTTP-like status 100-599, got " + std::to_string(status));
    }
    e.status = static_cast<int>(status);
    e.error = Str(j, "description", "$");
    e.service_seconds = NanosAsSeconds(j, "service", "$", /*required=*/true);
    e.system_seconds = NanosAsSeconds(j, "system", "$", /*required=*/true);
    e.total_seconds = NanosAsSeconds(j, "total", "$", /*required=*/true);
    e.requestor_rtt_seconds = ClientRttSeconds(j, "requestor");
    e.responder_rtt_seconds = ClientRttSeconds(j, "responder");
    return e;
  });
}

}  // namespace farrier
