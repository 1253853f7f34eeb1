// /varz: the server's identity and its general counters.
//
// Fields added after 2.9 are optional here: a server that does not print one has no series for
// it (absent, never a made-up zero). Which release added what: docs/versions.md and
// docs/metrics.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/families.h"
#include "core/result.h"

namespace farrier {

// A count kept apart per kind of connection (/varz slow_consumer_stats, stale_connection_stats).
struct CountsByKind {
  uint64_t clients = 0, routes = 0, gateways = 0, leafnodes = 0;
};

struct Varz {
  std::string server_id;
  std::string server_name;
  std::string version;
  std::string cluster;            // cluster.name; empty when not clustered
  double start_time_seconds = 0;  // Unix time the server started
  uint64_t connections = 0;       // clients only; leaf nodes, routes and gateways are apart
  uint64_t total_connections = 0;
  uint64_t routes = 0;   // route connections: one per peer on 2.9, a pool per peer since 2.10
  uint64_t remotes = 0;  // peers with at least one route, on every version
  uint64_t leafnodes = 0;
  uint64_t subscriptions = 0;
  uint64_t in_msgs = 0;
  uint64_t out_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
  uint64_t slow_consumers = 0;
  uint64_t mem_bytes = 0;
  double cpu_percent = 0;  // the server prints percent of one core
  uint64_t cores = 0;
  uint64_t max_connections = 0;
  uint64_t max_payload_bytes = 0;
  uint64_t max_pending_bytes = 0;

  // Added after 2.9 (absent on servers that do not print them).
  std::optional<CountsByKind> slow_consumers_by_kind;     // slow_consumer_stats, 2.10
  std::optional<uint64_t> stale_connections;              // 2.12
  std::optional<CountsByKind> stale_connections_by_kind;  // stale_connection_stats, 2.12
  std::optional<uint64_t> stalled_clients;                // 2.12
  // Traffic with clients only (in_msgs/out_msgs also count routes, gateways and leaf nodes):
  // in_client_msgs, in_client_bytes, out_client_msgs, out_client_bytes (2.12.9, 2.14.x).
  std::optional<uint64_t> in_client_msgs, in_client_bytes, out_client_msgs, out_client_bytes;
  double config_load_time_seconds = 0;            // config_load_time (Unix time); 0 when absent
  std::string config_digest;                      // config_digest, "sha256:..." (2.11); empty when absent
  std::optional<uint64_t> go_memory_limit_bytes;  // gomemlimit, printed only when set
  // When each listener's TLS certificate expires (tls_cert_not_after, 2.11.12, 2.12.4): "client" for the
  // top level, then "cluster", "gateway", "leafnode", "mqtt", "websocket" from their blocks; only
  // listeners with a certificate are listed.
  std::vector<std::pair<std::string, double>> tls_cert_not_after_seconds;
  struct DiskIoWait {  // disk_io_wait_stats (2.14): JetStream's disk I/O semaphore
    uint64_t waiters = 0;
    uint64_t waits = 0;
    double wait_seconds = 0;      // wait_time, nanoseconds on the wire
    double max_wait_seconds = 0;  // max_wait_time, nanoseconds on the wire
  };
  std::optional<DiskIoWait> disk_io_wait;
};

Result<Varz> ParseVarz(std::string_view body);
void RenderVarz(const Varz& varz, Families& out);

}  // namespace farrier
