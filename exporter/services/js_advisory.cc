#include "services/js_advisory.h"

#include <array>
#include <utility>

#include "core/json_fields.h"

namespace farrier {
namespace {

using namespace json_fields;

constexpr std::array<std::pair<std::string_view, JsAdvisoryKind>, 15> kKinds{{
    {"io.nats.jetstream.advisory.v1.api_audit", JsAdvisoryKind::kApiAudit},
    {"io.nats.jetstream.advisory.v1.stream_action", JsAdvisoryKind::kStreamAction},
    {"io.nats.jetstream.advisory.v1.consumer_action", JsAdvisoryKind::kConsumerAction},
    {"io.nats.jetstream.advisory.v1.max_deliver", JsAdvisoryKind::kMaxDeliver},
    {"io.nats.jetstream.advisory.v1.nak", JsAdvisoryKind::kNak},
    {"io.nats.jetstream.advisory.v1.terminated", JsAdvisoryKind::kTerminated},
    {"io.nats.jetstream.advisory.v1.snapshot_create", JsAdvisoryKind::kSnapshotCreate},
    {"io.nats.jetstream.advisory.v1.snapshot_complete", JsAdvisoryKind::kSnapshotComplete},
    {"io.nats.jetstream.advisory.v1.restore_create", JsAdvisoryKind::kRestoreCreate},
    {"io.nats.jetstream.advisory.v1.restore_complete", JsAdvisoryKind::kRestoreComplete},
    {"io.nats.jetstream.advisory.v1.stream_leader_elected", JsAdvisoryKind::kStreamLeaderElected},
    {"io.nats.jetstream.advisory.v1.stream_quorum_lost", JsAdvisoryKind::kStreamQuorumLost},
    {"io.nats.jetstream.advisory.v1.consumer_leader_elected", JsAdvisoryKind::kConsumerLeaderElected},
    {"io.nats.jetstream.advisory.v1.consumer_quorum_lost", JsAdvisoryKind::kConsumerQuorumLost},
    {"io.nats.jetstream.metric.v1.consumer_ack", JsAdvisoryKind::kConsumerAck},
}};

bool NamesConsumer(JsAdvisoryKind k) {
  switch (k) {
    case JsAdvisoryKind::kConsumerAction:
    case JsAdvisoryKind::kMaxDeliver:
    case JsAdvisoryKind::kNak:
    case JsAdvisoryKind::kTerminated:
    case JsAdvisoryKind::kConsumerLeaderElected:
    case JsAdvisoryKind::kConsumerQuorumLost:
    case JsAdvisoryKind::kConsumerAck: return true;
    default: return false;
  }
}

constexpr std::string_view kConsumerCreateResponse = "io.nats.jetstream.api.v1.consumer_create_response";

// What an API audit's `response` (the API reply as a JSON string) says: the err_code of an
// error, or the consumer a successful creation made.
void ReadApiResponse(const Json& j, JsAdvisory& a) {
  const std::string response = Str(j, "response", "$");
  if (response.empty()) return;
  Json reply = Json::parse(response, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object()) {
    throw SchemaError("$.response: expected the API reply as a JSON object in a string");
  }
  const Json& error = Object(reply, "error", "$.response");
  if (!error.is_null()) {
    // err_code since 2.2; a reply with only `code` counts by that.
    const bool has_err_code = error.contains("err_code");
    a.api_error_code = I64(error, has_err_code ? "err_code" : "code", "$.response.error", /*required=*/true);
    return;
  }
  if (Str(reply, "type", "$.response") != kConsumerCreateResponse) return;
  a.stream = Str(reply, "stream_name", "$.response", /*required=*/true);
  a.consumer = Str(reply, "name", "$.response", /*required=*/true);
  const Json& config = Object(reply, "config", "$.response");
  a.created_durable = !config.is_null() && !Str(config, "durable_name", "$.response.config").empty();
}

}  // namespace

std::string_view JsAdvisoryShortType(std::string_view type) {
  const size_t dot = type.rfind('.');
  return dot == std::string_view::npos ? type : type.substr(dot + 1);
}

Result<JsAdvisory> ParseJsAdvisory(std::string_view json) {
  return ParseWith<JsAdvisory>("js_advisory", json, [](const Json& j) {
    JsAdvisory a;
    a.type = Str(j, "type", "$", /*required=*/true);
    if (a.type.empty()) throw SchemaError("$.type: expected a non-empty event type, got \"\"");
    for (const auto& [type, kind] : kKinds) {
      if (a.type == type) a.kind = kind;
    }
    if (a.kind == JsAdvisoryKind::kOther) return a;
    a.account = Str(j, "account", "$");
    if (a.kind == JsAdvisoryKind::kApiAudit) {
      const Json& client = Object(j, "client", "$");
      if (!client.is_null() && a.account.empty()) a.account = Str(client, "acc", "$.client");
      ReadApiResponse(j, a);
      return a;
    }
    a.stream = Str(j, "stream", "$", /*required=*/true);
    if (NamesConsumer(a.kind)) a.consumer = Str(j, "consumer", "$", /*required=*/true);
    if (a.kind == JsAdvisoryKind::kStreamAction || a.kind == JsAdvisoryKind::kConsumerAction) {
      a.action = Str(j, "action", "$", /*required=*/true);
      if (a.action != "create" && a.action != "delete" && a.action != "modify") {
        throw SchemaError("$.action: expected create, delete or modify, got \"" + a.action + "\"");
      }
    }
    if (a.kind == JsAdvisoryKind::kConsumerAck) {
      const int64_t ns = I64(j, "ack_time", "$", /*required=*/true);
      if (ns < 0) throw SchemaError("$.ack_time: expected non-negative nanoseconds, got " + std::to_string(ns));
      a.ack_seconds = static_cast<double>(ns) / 1e9;
    }
    return a;
  });
}

}  // namespace farrier
