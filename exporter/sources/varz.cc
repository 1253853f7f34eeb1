#include "sources/varz.h"

#include <algorithm>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

namespace {

std::optional<CountsByKind> ParseCountsByKind(const Json& j, std::string_view key) {
  const Json& o = Object(j, key, "$");
  if (o.is_null()) return std::nullopt;
  const std::string path = "$." + std::string(key);
  CountsByKind c;
  c.clients = U64(o, "clients", path);
  c.routes = U64(o, "routes", path);
  c.gateways = U64(o, "gateways", path);
  c.leafnodes = U64(o, "leafs", path);
  return c;
}

// tls_cert_not_after of the top level (the client listener) and of each listener's block. Go
// omits the field when the listener has no certificate (omitzero).
void ParseCertificateExpiry(const Json& j, Varz& v) {
  auto add = [&v](const Json& o, const std::string& path, const char* listener) {
    std::string text = Str(o, "tls_cert_not_after", path);
    if (text.empty()) return;
    double seconds = Rfc3339Seconds(text);
    if (seconds < 0) {
      throw SchemaError(path + ".tls_cert_not_after: expected an RFC 3339 time, got \"" + text + "\"");
    }
    v.tls_cert_not_after_seconds.emplace_back(listener, seconds);
  };
  add(j, "$", "client");
  static const std::pair<const char*, const char*> kBlocks[] = {{"cluster", "cluster"},
                                                                {"gateway", "gateway"},
                                                                {"leaf", "leafnode"},
                                                                {"mqtt", "mqtt"},
                                                                {"websocket", "websocket"}};
  for (const auto& [key, listener] : kBlocks) {
    const Json& block = Object(j, key, "$");
    if (!block.is_null()) add(block, std::string("$.") + key, listener);
  }
}

}  // namespace

Result<Varz> ParseVarz(std::string_view body) {
  return ParseWith<Varz>("varz", body, [](const Json& j) {
    Varz v;
    v.server_id = Str(j, "server_id", "$", /*required=*/true);
    v.server_name = Str(j, "server_name", "$");
    v.version = Str(j, "version", "$", true);
    const Json& cluster = Object(j, "cluster", "$");
    if (!cluster.is_null()) v.cluster = Str(cluster, "name", "$.cluster");
    v.start_time_seconds = Rfc3339Seconds(Str(j, "start", "$"));
    // The counters below are present on every version since 2.9; connections is the sanity anchor.
    v.connections = U64(j, "connections", "$", true);
    v.total_connections = U64(j, "total_connections", "$");
    v.routes = U64(j, "routes", "$");
    v.remotes = U64(j, "remotes", "$");
    v.leafnodes = U64(j, "leafnodes", "$");
    v.subscriptions = U64(j, "subscriptions", "$");
    v.in_msgs = U64(j, "in_msgs", "$", true);
    v.out_msgs = U64(j, "out_msgs", "$", true);
    v.in_bytes = U64(j, "in_bytes", "$", true);
    v.out_bytes = U64(j, "out_bytes", "$", true);
    v.slow_consumers = U64(j, "slow_consumers", "$");
    v.mem_bytes = U64(j, "mem", "$");
    v.cpu_percent = F64(j, "cpu", "$");
    v.cores = U64(j, "cores", "$");
    v.max_connections = U64(j, "max_connections", "$");
    v.max_payload_bytes = U64(j, "max_payload", "$");
    v.max_pending_bytes = U64(j, "max_pending", "$");

    v.slow_consumers_by_kind = ParseCountsByKind(j, "slow_consumer_stats");
    v.stale_connections = OptU64(j, "stale_connections", "$");
    v.stale_connections_by_kind = ParseCountsByKind(j, "stale_connection_stats");
    v.stalled_clients = OptU64(j, "stalled_clients", "$");
    v.in_client_msgs = OptU64(j, "in_client_msgs", "$");
    v.in_client_bytes = OptU64(j, "in_client_bytes", "$");
    v.out_client_msgs = OptU64(j, "out_client_msgs", "$");
    v.out_client_bytes = OptU64(j, "out_client_bytes", "$");
    std::string load_time = Str(j, "config_load_time", "$");
    if (!load_time.empty()) v.config_load_time_seconds = std::max(0.0, Rfc3339Seconds(load_time));
    v.config_digest = Str(j, "config_digest", "$");
    v.go_memory_limit_bytes = OptU64(j, "gomemlimit", "$");
    ParseCertificateExpiry(j, v);
    const Json& dio = Object(j, "disk_io_wait_stats", "$");
    if (!dio.is_null()) {
      Varz::DiskIoWait d;
      d.waiters = U64(dio, "waiters", "$.disk_io_wait_stats");
      d.waits = U64(dio, "waits", "$.disk_io_wait_stats");
      d.wait_seconds = static_cast<double>(U64(dio, "wait_time", "$.disk_io_wait_stats")) / 1e9;
      d.max_wait_seconds = static_cast<double>(U64(dio, "max_wait_time", "$.disk_io_wait_stats")) / 1e9;
      v.disk_io_wait = d;
    }
    return v;
  });
}

namespace {

void RenderByKind(Families& out, const std::string& name, const std::string& help, const CountsByKind& c) {
  out.Counter(name, help)
      .Add(c.clients, {{"kind", "client"}})
      .Add(c.routes, {{"kind", "route"}})
      .Add(c.gateways, {{"kind", "gateway"}})
      .Add(c.leafnodes, {{"kind", "leafnode"}});
}

// Series of fields that not every version prints; each is absent where the field is.
void RenderNewerFields(const Varz& v, Families& out) {
  if (v.slow_consumers_by_kind) {
    RenderByKind(out, "nats_server_slow_consumers_by_kind_total",
                 "Slow consumers since start by connection kind: client, route, gateway, leafnode "
                 "(/varz slow_consumer_stats.{clients,routes,gateways,leafs}; 2.10+).",
                 *v.slow_consumers_by_kind);
  }
  if (v.stale_connections) {
    out.Counter("nats_server_stale_connections_total",
                "Connections closed as stale (unanswered PINGs) since start (/varz stale_connections; 2.12+).")
        .Add(*v.stale_connections);
  }
  if (v.stale_connections_by_kind) {
    RenderByKind(out, "nats_server_stale_connections_by_kind_total",
                 "Stale connections since start by connection kind (/varz "
                 "stale_connection_stats.{clients,routes,gateways,leafs}; 2.12+).",
                 *v.stale_connections_by_kind);
  }
  if (v.stalled_clients) {
    out.Counter("nats_server_stalled_clients_total",
                "Times clients were held back until a slow receiver drained its buffer "
                "(/varz stalled_clients; 2.12+).")
        .Add(*v.stalled_clients);
  }
  struct ClientTraffic {
    const std::optional<uint64_t>& value;
    const char* name;
    const char* help;
  };
  for (const ClientTraffic& t : {ClientTraffic{v.in_client_msgs, "nats_server_client_messages_received_total",
                                               "Messages received from clients only (/varz in_client_msgs)."},
                                 ClientTraffic{v.out_client_msgs, "nats_server_client_messages_sent_total",
                                               "Messages sent to clients only (/varz out_client_msgs)."},
                                 ClientTraffic{v.in_client_bytes, "nats_server_client_bytes_received_total",
                                               "Payload bytes received from clients only (/varz in_client_bytes)."},
                                 ClientTraffic{v.out_client_bytes, "nats_server_client_bytes_sent_total",
                                               "Payload bytes sent to clients only (/varz out_client_bytes)."}}) {
    if (t.value) out.Counter(t.name, t.help).Add(*t.value);
  }
  if (v.config_load_time_seconds > 0) {
    out.Gauge("nats_server_config_load_time_seconds",
              "Unix time the configuration was last loaded or reloaded (/varz config_load_time).")
        .Add(v.config_load_time_seconds);
  }
  if (!v.config_digest.empty()) {
    out.Gauge("nats_server_config_info",
              "The loaded configuration's digest, value 1; a new digest means a changed configuration "
              "(/varz config_digest; 2.11+).")
        .Add(1, {{"digest", v.config_digest}});
  }
  if (v.go_memory_limit_bytes) {
    out.Gauge("nats_server_go_memory_limit_bytes",
              "The Go runtime's soft memory limit, when one is set (/varz gomemlimit).")
        .Add(*v.go_memory_limit_bytes);
  }
  if (!v.tls_cert_not_after_seconds.empty()) {
    auto expiry = out.Gauge("nats_server_tls_cert_not_after_timestamp_seconds",
                            "Unix time the listener's TLS certificate expires (/varz tls_cert_not_after "
                            "and {cluster,gateway,leaf,mqtt,websocket}.tls_cert_not_after; 2.11.12+, 2.12.4+).");
    for (const auto& [listener, seconds] : v.tls_cert_not_after_seconds) {
      expiry.Add(seconds, {{"listener", listener}});
    }
  }
  if (v.disk_io_wait) {
    const Varz::DiskIoWait& d = *v.disk_io_wait;
    out.Gauge("nats_server_disk_io_waiters",
              "Goroutines waiting for JetStream's disk I/O semaphore now (/varz disk_io_wait_stats.waiters).")
        .Add(d.waiters);
    out.Counter("nats_server_disk_io_waits_total",
                "Disk I/O semaphore acquisitions that had to wait (/varz disk_io_wait_stats.waits).")
        .Add(d.waits);
    out.Counter("nats_server_disk_io_wait_seconds_total",
                "Time spent waiting for the disk I/O semaphore (/varz disk_io_wait_stats.wait_time).")
        .Add(d.wait_seconds);
    out.Gauge("nats_server_disk_io_max_wait_seconds",
              "Longest wait for the disk I/O semaphore since start (/varz disk_io_wait_stats.max_wait_time).")
        .Add(d.max_wait_seconds);
  }
}

}  // namespace

void RenderVarz(const Varz& v, Families& out) {
  out.Gauge("nats_server_info", "Server identity, value 1 (/varz server_id, server_name, version, cluster.name).")
      .Add(
          1,
          {{"server_id", v.server_id}, {"server_name", v.server_name}, {"version", v.version}, {"cluster", v.cluster}});
  if (v.start_time_seconds > 0) {
    out.Gauge("nats_server_start_time_seconds", "Unix time the server started (/varz start); a change means a restart.")
        .Add(v.start_time_seconds);
  }
  out.Gauge("nats_server_connections",
            "Current client connections; leaf nodes, routes and gateways not included (/varz connections).")
      .Add(v.connections);
  out.Counter("nats_server_connections_total", "Client connections accepted since start (/varz total_connections).")
      .Add(v.total_connections);
  out.Gauge("nats_server_routes",
            "Current route connections: one per peer on 2.9, a pool per peer since 2.10, about 4 by "
            "default (/varz routes). Count peers with nats_server_remotes.")
      .Add(v.routes);
  out.Gauge("nats_server_remotes", "Cluster peers this server has at least one route to (/varz remotes).")
      .Add(v.remotes);
  out.Gauge("nats_server_leafnodes", "Current leaf node connections (/varz leafnodes).").Add(v.leafnodes);
  out.Gauge("nats_server_subscriptions", "Current subscriptions (/varz subscriptions).").Add(v.subscriptions);
  out.Counter("nats_server_messages_received_total",
              "Messages received from clients, routes, gateways and leaf nodes (/varz in_msgs).")
      .Add(v.in_msgs);
  out.Counter("nats_server_messages_sent_total",
              "Messages sent to clients, routes, gateways and leaf nodes (/varz out_msgs).")
      .Add(v.out_msgs);
  out.Counter("nats_server_bytes_received_total", "Payload bytes received (/varz in_bytes).").Add(v.in_bytes);
  out.Counter("nats_server_bytes_sent_total", "Payload bytes sent (/varz out_bytes).").Add(v.out_bytes);
  out.Counter("nats_server_slow_consumers_total",
              "Connections closed or flagged as slow consumers since start (/varz slow_consumers).")
      .Add(v.slow_consumers);
  out.Gauge("nats_server_memory_bytes", "Resident memory of the server process (/varz mem).").Add(v.mem_bytes);
  out.Gauge("nats_server_cpu_ratio", "Server CPU use in cores, 1 = one core busy (/varz cpu, percent / 100).")
      .Add(v.cpu_percent / 100.0);
  out.Gauge("nats_server_cores", "CPU cores the server sees (/varz cores).").Add(v.cores);
  out.Gauge("nats_server_max_connections", "Configured connection limit (/varz max_connections).")
      .Add(v.max_connections);
  out.Gauge("nats_server_max_payload_bytes", "Configured maximum message payload (/varz max_payload).")
      .Add(v.max_payload_bytes);
  out.Gauge("nats_server_max_pending_bytes", "Configured per-connection pending-bytes limit (/varz max_pending).")
      .Add(v.max_pending_bytes);
  RenderNewerFields(v, out);
}

}  // namespace farrier
