// Why reading a monitoring endpoint failed: a closed list, set where the failure happens (the
// fetcher for transport and HTTP, the parsers for the body) and never recovered from message
// text. The labels are the `reason` values of nats_exporter_poll_errors_total, documented in
// docs/production.md ("When things go wrong"); keep the list closed.
#pragma once

#include <array>
#include <string_view>

namespace farrier {

enum class ErrorKind {
  kConnect,       // refused, unreachable, DNS
  kTimeout,       // --poll.timeout exceeded
  kRead,          // the connection broke mid-response
  kTls,           // handshake or verification
  kHttpStatus,    // an unexpected HTTP status
  kBodyTooLarge,  // over --poll.max-body-bytes
  kInvalidJson,   // not JSON, truncated, empty
  kSchema,        // JSON of an unexpected shape
};

inline constexpr std::array<ErrorKind, 8> kAllErrorKinds = {
    ErrorKind::kConnect,    ErrorKind::kTimeout,      ErrorKind::kRead,        ErrorKind::kTls,
    ErrorKind::kHttpStatus, ErrorKind::kBodyTooLarge, ErrorKind::kInvalidJson, ErrorKind::kSchema};

constexpr std::string_view ReasonLabel(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect: return "connect";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kRead: return "read";
    case ErrorKind::kTls: return "tls";
    case ErrorKind::kHttpStatus: return "http_status";
    case ErrorKind::kBodyTooLarge: return "body_too_large";
    case ErrorKind::kInvalidJson: return "invalid_json";
    case ErrorKind::kSchema: return "schema";
  }
  return "schema";
}

}  // namespace farrier
