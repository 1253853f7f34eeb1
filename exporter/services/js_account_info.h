// An account's JetStream use against its limits, as a client of the account is told by the
// JetStream API ($JS.API.INFO, empty body; --jetstream.account-info), and which account that is
// ($SYS.REQ.USER.INFO, 2.10+). /jsz shows an account's max_mem/max_file but never its
// max_streams/max_consumers, which is why farrier asks the API at all.
//
// Pure: the prober sends the requests on its thread and keeps JsAccountInfoStats under its lock;
// parsing and rendering here have no NATS code, so unit tests run them on captures
// (tests/fixtures/account-info/).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/families.h"
#include "core/result.h"

namespace farrier {

inline constexpr std::string_view kJsAccountInfoSubject = "$JS.API.INFO";
inline constexpr std::string_view kUserInfoSubject = "$SYS.REQ.USER.INFO";

// io.nats.jetstream.api.v1.account_info_response without an error. Limits are -1 when
// unlimited. Newer releases add domain, tiers, reserved_*: not read (tiered limits exist only
// for JWT accounts, and farrier reports the account's non-tiered limits).
struct JsAccountInfo {
  uint64_t memory_bytes = 0, storage_bytes = 0, streams = 0, consumers = 0;
  int64_t max_memory = -1, max_storage = -1, max_streams = -1, max_consumers = -1;
};

// The JetStream API's own error answer ({"error": {"code", "err_code", "description"}}).
struct JsApiError {
  int64_t code = 0;      // HTTP-like status, e.g. 503
  int64_t err_code = 0;  // JetStream error code, e.g. 10039 "jetstream not enabled for account"
  std::string description;
};
inline constexpr int64_t kJsNotEnabledForAccount = 10039;

// One answer: the info, or the API's error (a valid answer too: not a parse failure).
struct JsAccountInfoAnswer {
  std::optional<JsAccountInfo> info;
  std::optional<JsApiError> error;
};

// Errors have kind invalid_json (not JSON) or schema (wrong type, missing count or limit) and
// messages "account info: $.path: ...".
Result<JsAccountInfoAnswer> ParseJsAccountInfo(std::string_view body);
// The account of a $SYS.REQ.USER.INFO answer ($.data.account; "user info: ..." errors).
Result<std::string> ParseUserInfoAccount(std::string_view body);

// Why an account-info request gave no info: the `reason` label of
// nats_exporter_jetstream_account_info_errors_total, every one exported from the start.
enum class AccountInfoFailure { kNotSent, kTimeout, kNoResponders, kNotEnabled, kApiError, kInvalid };
inline constexpr std::array<std::string_view, 6> kAccountInfoFailureNames = {
    "not_sent", "timeout", "no_responders", "not_enabled", "api_error", "invalid"};
constexpr std::string_view ReasonLabel(AccountInfoFailure f) {
  return kAccountInfoFailureNames[static_cast<size_t>(f)];
}
// not_enabled for err_code 10039, api_error for any other.
AccountInfoFailure FailureOf(const JsApiError& e);

// What the prober knows, handed out by value in its snapshot.
struct JsAccountInfoStats {
  bool asked = false;  // a request has completed (answered or failed)
  bool up = false;     // the last one was answered with info
  // The last answer's info; cleared by a failure, so no stale series outlive the answer.
  std::optional<JsAccountInfo> info;
  // The account from $SYS.REQ.USER.INFO, "" where the release does not answer it (2.9);
  // nullopt until this connection's answer (or its absence) is known.
  std::optional<std::string> account;
  std::array<uint64_t, kAccountInfoFailureNames.size()> errors{};
};

// nats_exporter_jetstream_account_info_{up,errors_total} and, while info and account are known,
// nats_jetstream_account_info_* {account}; a limit of -1 (unlimited) gives no sample.
void RenderJsAccountInfo(const JsAccountInfoStats& stats, Families& out);

}  // namespace farrier
