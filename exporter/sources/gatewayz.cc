#include "sources/gatewayz.h"

#include <algorithm>
#include <map>
#include <utility>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

namespace {


// One RemoteGatewayz object. Its "connection" is omitempty in Go; without it there is nothing
// to measure, so the entry is skipped (returns false).
bool ParseRemote(const Json& remote, const std::string& path, const std::string& gateway, std::string_view direction,
                 GatewayConnection* out) {
  out->gateway = gateway;
  out->direction = std::string(direction);
  out->configured = Bool(remote, "configured", path);
  const Json& conn = Object(remote, "connection", path);
  if (conn.is_null()) return false;
  std::string cpath = path + ".connection";
  out->cid = U64(conn, "cid", cpath, /*required=*/true);
  out->remote_server_id = Str(conn, "name", cpath);
  ParseLinkTraffic(conn, cpath, "pending_bytes", out);
  return true;
}

// JSON path of a member whose key is data (a gateway name), in the bracket form.
std::string KeyPath(std::string_view parent, const std::string& key) {
  return std::string(parent) + "[\"" + key + "\"]";
}

}  // namespace

Result<Gatewayz> ParseGatewayz(std::string_view body) {
  return ParseWith<Gatewayz>("gatewayz", body, [](const Json& j) {
    Gatewayz g;
    g.server_id = Str(j, "server_id", "$", /*required=*/true);
    g.name = Str(j, "name", "$");
    // Both maps are always printed by 2.9 (empty when gateways are off); their absence means the
    // body is another endpoint's. nlohmann::json objects iterate in key order, so the result is
    // sorted by gateway name.
    for (const char* key : {"outbound_gateways", "inbound_gateways"}) {
      if (!j.contains(key)) {
        throw SchemaError(std::string("$.") + key + ": expected object, field missing");
      }
    }
    const Json& outbound = Object(j, "outbound_gateways", "$");
    if (!outbound.is_null()) {
      for (const auto& [name, remote] : outbound.items()) {
        GatewayConnection c;
        if (ParseRemote(remote, KeyPath("$.outbound_gateways", name), name, kGatewayOutbound, &c)) {
          g.connections.push_back(std::move(c));
        }
      }
    }
    const Json& inbound = Object(j, "inbound_gateways", "$");
    if (!inbound.is_null()) {
      for (const auto& [name, list] : inbound.items()) {
        std::string lpath = KeyPath("$.inbound_gateways", name);
        if (!list.is_array()) {
          throw SchemaError(lpath + ": expected array, got " + list.type_name());
        }
        for (size_t i = 0; i < list.size(); ++i) {
          GatewayConnection c;
          if (ParseRemote(list[i], lpath + "[" + std::to_string(i) + "]", name, kGatewayInbound, &c)) {
            g.connections.push_back(std::move(c));
          }
        }
      }
    }
    return g;
  });
}

void RenderGatewayz(const Gatewayz& g, Families& out) {
  if (g.name.empty()) return;  // gateways not configured: nothing to say
  out.Gauge("nats_gatewayz_info", "This server's gateway name, value 1 (/gatewayz name).").Add(1, {{"name", g.name}});
  if (g.connections.empty()) return;

  // Keyed by (gateway, direction): inbound connections come one per remote server, whose ids
  // would churn as servers are replaced, so they are summed; their count is
  // nats_gateway_connections. RTT is the slowest connection's.
  std::vector<std::pair<Labels, const LinkTraffic*>> links;
  for (const GatewayConnection& c : g.connections) {
    links.push_back({{{"gateway", c.gateway}, {"direction", c.direction}}, &c});
  }
  RenderLinks(links,
              {"nats_gateway", "connections with this remote gateway",
               "/gatewayz {outbound,inbound}_gateways.*.connection", "pending_bytes"},
              out);
}

}  // namespace farrier
