// Service-latency events: the io.nats.server.metric.v1.service_latency messages nats-server
// publishes for a service export with latency tracking (exports: [{service: ..., latency:
// {sampling: 100, subject: "latency.echo"}}]), one per sampled request, in the exporting account.
//
// Facts from nats-server 2.9.10 (tests/fixtures/nats-2.9.10/service-latency-*.json):
//  * `status` is HTTP-like: 200 answered; 400 no reply subject; 408 the requester's reply
//    interest went away first; 503 nobody in the exporting account was subscribed; 504 the
//    export's response threshold passed without an answer. Non-200 events carry a
//    `description` ("Service Timeout", ...), no `responder`, and zero latencies.
//  * `service`, `system`, `total` and both `rtt`s are integer nanoseconds (Go time.Duration);
//    on 200, total = requestor.rtt + responder.rtt + service + system.
//
// Pure: parses one message payload, no I/O. Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace farrier {

inline constexpr std::string_view kServiceLatencyType = "io.nats.server.metric.v1.service_latency";

struct ServiceLatencyEvent {
  int status = 0;
  std::string error;  // the event's `description`; empty on 200
  double service_seconds = 0, system_seconds = 0, total_seconds = 0;
  // 0 when the event has no requestor/responder (non-200 events have no responder).
  double requestor_rtt_seconds = 0, responder_rtt_seconds = 0;
};

// Errors start with "service_latency: " and name the JSON path and what was expected, e.g.
// "service_latency: $.service: expected integer nanoseconds, got string".
Result<ServiceLatencyEvent> ParseServiceLatency(std::string_view json);

}  // namespace farrier
