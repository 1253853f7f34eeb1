// JetStream advisories and metrics: the JSON nats-server publishes on $JS.EVENT.ADVISORY.> and
// $JS.EVENT.METRIC.> in the account that owns the stream or consumer (server/jetstream_events.go).
// Every release from 2.9.10 to 2.15 publishes the types named below with the fields read here
// (captures: tests/fixtures/advisories/nats-<version>/); newer types (consumer_pause,
// domain_leader_elected, api_limit_reached, ...) parse as kOther with their `type` kept.
//
// Facts (2.9.10 ... 2.15.3):
//  * `account` is set only on leader-elected and quorum-lost advisories; an API audit names the
//    caller's account in `client.acc`. Elsewhere the account is the one the event was published
//    in, which the event does not say.
//  * An API audit's `response` is the API reply as a JSON string; an error reply has
//    `error: {code, err_code, description}` (err_code: JetStream's own error number, e.g. 10059
//    stream not found).
//  * A consumer creation's audit (`$JS.API.CONSUMER.CREATE.*`, `...DURABLE.CREATE.*`) carries
//    the consumer_create_response: `stream_name`, `name` and `config.durable_name`, empty for an
//    ephemeral consumer. It is the only advisory that tells an ephemeral consumer from a durable.
//  * consumer_ack (a metric, only for consumers with `sample_freq`) has `ack_time` in integer
//    nanoseconds from delivery to the ack.
//
// Pure: parses one message payload, no I/O. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace farrier {

enum class JsAdvisoryKind {
  kApiAudit,
  kStreamAction,
  kConsumerAction,
  kMaxDeliver,
  kNak,
  kTerminated,
  kSnapshotCreate,
  kSnapshotComplete,
  kRestoreCreate,
  kRestoreComplete,
  kStreamLeaderElected,
  kStreamQuorumLost,
  kConsumerLeaderElected,
  kConsumerQuorumLost,
  kConsumerAck,  // io.nats.jetstream.metric.v1.consumer_ack
  kOther,        // a well-formed event of a type not listed here
};

struct JsAdvisory {
  JsAdvisoryKind kind = JsAdvisoryKind::kOther;
  std::string type;                       // as published, e.g. io.nats.jetstream.advisory.v1.max_deliver
  std::string account, stream, consumer;  // empty where the event does not name them
  std::string action;                     // stream/consumer_action: create, delete, modify
  std::optional<int64_t> api_error_code;  // api_audit whose response is an error: its err_code
  // api_audit of a successful consumer creation (stream and consumer set from the response):
  // whether the consumer is durable.
  std::optional<bool> created_durable;
  double ack_seconds = 0;  // consumer_ack: ack_time
};

// The type's last dotted part: "max_deliver" for io.nats.jetstream.advisory.v1.max_deliver.
std::string_view JsAdvisoryShortType(std::string_view type);

// Errors start with "js_advisory: " and name the JSON path, e.g.
// "js_advisory: $.stream: expected a string, got number".
Result<JsAdvisory> ParseJsAdvisory(std::string_view json);

}  // namespace farrier
