#include "services/js_account_info.h"

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

namespace {

constexpr std::string_view kAccountInfoType = "io.nats.jetstream.api.v1.account_info_response";

// A limit: -1 (unlimited) or a non-negative integer; anything below -1 is a broken answer.
int64_t Limit(const Json& limits, std::string_view key) {
  int64_t v = I64(limits, key, "$.limits", /*required=*/true);
  if (v < -1) {
    throw SchemaError("$.limits." + std::string(key) + ": expected -1 (unlimited) or a limit, got " +
                      Got(limits.at(key)));
  }
  return v;
}

}  // namespace

Result<JsAccountInfoAnswer> ParseJsAccountInfo(std::string_view body) {
  return ParseWith<JsAccountInfoAnswer>("account info", body, [](const Json& j) {
    // Every release sets the type, the error answer included; a missing one is tolerated (the
    // fields below decide), another one is not this API's answer.
    if (std::string type = Str(j, "type", "$"); !type.empty() && type != kAccountInfoType) {
      throw SchemaError("$.type: expected \"" + std::string(kAccountInfoType) + "\", got " + Json(type).dump());
    }
    JsAccountInfoAnswer a;
    if (const Json& e = Object(j, "error", "$"); !e.is_null()) {
      a.error = JsApiError{I64(e, "code", "$.error", /*required=*/true), I64(e, "err_code", "$.error"),
                           Str(e, "description", "$.error")};
      return a;
    }
    const Json& limits = Object(j, "limits", "$");
    if (limits.is_null()) throw SchemaError("$.limits: expected object, field missing");
    JsAccountInfo info;
    // Go omits no field of this struct: counts are required, so a truncated object is no zero.
    info.memory_bytes = U64(j, "memory", "$", /*required=*/true);
    info.storage_bytes = U64(j, "storage", "$", /*required=*/true);
    info.streams = U64(j, "streams", "$", /*required=*/true);
    info.consumers = U64(j, "consumers", "$", /*required=*/true);
    info.max_memory = Limit(limits, "max_memory");
    info.max_storage = Limit(limits, "max_storage");
    info.max_streams = Limit(limits, "max_streams");
    info.max_consumers = Limit(limits, "max_consumers");
    a.info = info;
    return a;
  });
}

Result<std::string> ParseUserInfoAccount(std::string_view body) {
  return ParseWith<std::string>("user info", body, [](const Json& j) {
    if (const Json& e = Object(j, "error", "$"); !e.is_null()) {
      throw SchemaError("$.error: the server answered an error: " + e.dump());
    }
    const Json& data = Object(j, "data", "$");
    if (data.is_null()) throw SchemaError("$.data: expected object, field missing");
    return Str(data, "account", "$.data", /*required=*/true);
  });
}

AccountInfoFailure FailureOf(const JsApiError& e) {
  return e.err_code == kJsNotEnabledForAccount ? AccountInfoFailure::kNotEnabled : AccountInfoFailure::kApiError;
}

void RenderJsAccountInfo(const JsAccountInfoStats& s, Families& out) {
  out.Gauge("nats_exporter_jetstream_account_info_up",
            "1 when the last $JS.API.INFO request of --jetstream.account-info was answered with the account's "
            "info, else 0.")
      .Add(s.up ? 1 : 0);
  auto errors = out.Counter("nats_exporter_jetstream_account_info_errors_total",
                            "$JS.API.INFO requests that gave no account info, by reason.");
  for (size_t i = 0; i < s.errors.size(); ++i)
    errors.Add(static_cast<double>(s.errors[i]), {{"reason", std::string(kAccountInfoFailureNames[i])}});
  // Only with both the answer and the account known: a series never changes its label.
  if (!s.info || !s.account) return;
  const JsAccountInfo& i = *s.info;
  const Labels account{{"account", *s.account}};
  out.Gauge("nats_jetstream_account_info_streams", "Streams of the account ($JS.API.INFO streams).")
      .Add(static_cast<double>(i.streams), account);
  out.Gauge("nats_jetstream_account_info_consumers", "Consumers of the account ($JS.API.INFO consumers).")
      .Add(static_cast<double>(i.consumers), account);
  if (i.max_streams >= 0) {
    out.Gauge("nats_jetstream_account_info_max_streams",
              "The account's JetStream stream limit, absent when unlimited ($JS.API.INFO limits.max_streams).")
        .Add(static_cast<double>(i.max_streams), account);
  }
  if (i.max_consumers >= 0) {
    out.Gauge("nats_jetstream_account_info_max_consumers",
              "The account's JetStream consumer limit, absent when unlimited ($JS.API.INFO limits.max_consumers).")
        .Add(static_cast<double>(i.max_consumers), account);
  }
}

}  // namespace farrier
