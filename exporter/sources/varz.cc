#include "sources/varz.h"

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

Result<Varz> ParseVarz(std::string_view body) {
  return ParseWith<Varz>("varz", body, [](const Json& j) {
    Varz v;
    v.server_id = Str(j, "server_id", "$", /*required=*/true);
    v.server_name = Str(j, "server_name", "$");
    v.version = Str(j, "version", "$", true);
    const Json& cluster = Object(j, "cluster", "$");
    if (!cluster.is_null()) v.cluster = Str(cluster, "name", "$.cluster");
    v.start_time_seconds = Rfc3339Seconds(Str(j, "start", "$"));
    // The counters below are always present on 2.9; connections is the sanity anchor.
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
    return v;
  });
}

void RenderVarz(const Varz& v, Families& out) {
  out.Gauge("nats_server_info",
            "Server identity, value 1 (/varz server_id, server_name, version, cluster.name).")
      .Add(1, {{"server_id", v.server_id},
               {"server_name", v.server_name},
               {"version", v.version},
               {"cluster", v.cluster}});
  if (v.start_time_seconds > 0) {
    out.Gauge("nats_server_start_time_seconds",
              "Unix time the server started (/varz start); a change means a restart.")
        .Add(v.start_time_seconds);
  }
  out.Gauge("nats_server_connections", "Current client connections (/varz connections).")
      .Add(v.connections);
  out.Counter("nats_server_connections_total",
              "Client connections accepted since start (/varz total_connections).")
      .Add(v.total_connections);
  out.Gauge("nats_server_routes", "Current cluster routes (/varz routes).").Add(v.routes);
  out.Gauge("nats_server_remotes", "Configured remote cluster routes (/varz remotes).")
      .Add(v.remotes);
  out.Gauge("nats_server_leafnodes", "Current leaf node connections (/varz leafnodes).")
      .Add(v.leafnodes);
  out.Gauge("nats_server_subscriptions", "Current subscriptions (/varz subscriptions).")
      .Add(v.subscriptions);
  out.Counter("nats_server_messages_received_total",
              "Messages received from clients, routes and leaf nodes (/varz in_msgs).")
      .Add(v.in_msgs);
  out.Counter("nats_server_messages_sent_total", "Messages sent (/varz out_msgs).")
      .Add(v.out_msgs);
  out.Counter("nats_server_bytes_received_total", "Payload bytes received (/varz in_bytes).")
      .Add(v.in_bytes);
  out.Counter("nats_server_bytes_sent_total", "Payload bytes sent (/varz out_bytes).")
      .Add(v.out_bytes);
  out.Counter("nats_server_slow_consumers_total",
              "Connections closed or flagged as slow consumers since start (/varz slow_consumers).")
      .Add(v.slow_consumers);
  out.Gauge("nats_server_memory_bytes", "Resident memory of the server process (/varz mem).")
      .Add(v.mem_bytes);
  out.Gauge("nats_server_cpu_ratio",
            "Server CPU use in cores, 1 = one core busy (/varz cpu, percent / 100).")
      .Add(v.cpu_percent / 100.0);
  out.Gauge("nats_server_cores", "CPU cores the server sees (/varz cores).").Add(v.cores);
  out.Gauge("nats_server_max_connections", "Configured connection limit (/varz max_connections).")
      .Add(v.max_connections);
  out.Gauge("nats_server_max_payload_bytes", "Configured maximum message payload (/varz max_payload).")
      .Add(v.max_payload_bytes);
  out.Gauge("nats_server_max_pending_bytes",
            "Configured per-connection pending-bytes limit (/varz max_pending).")
      .Add(v.max_pending_bytes);
}

}  // namespace farrier
