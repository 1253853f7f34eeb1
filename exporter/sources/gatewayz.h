// /gatewayz: this server's gateway (super-cluster) name and its connections to other gateways.
// Outbound: one connection per remote gateway, opened by this server. Inbound: one per server of
// the remote gateway that connected here, so several may share a gateway name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/families.h"
#include "core/link_traffic.h"
#include "core/result.h"

namespace farrier {

inline constexpr std::string_view kGatewayOutbound = "outbound";
inline constexpr std::string_view kGatewayInbound = "inbound";

struct GatewayConnection : LinkTraffic {
  std::string gateway;      // the remote gateway's name (the map key)
  std::string direction;    // kGatewayOutbound or kGatewayInbound
  bool configured = false;  // outbound: named in this server's config, not learned by gossip
  uint64_t cid = 0;
  std::string remote_server_id;  // connection.name: the remote server's id
};

struct Gatewayz {
  std::string server_id;
  std::string name;                            // this server's gateway name; empty when gateways are not configured
  std::vector<GatewayConnection> connections;  // outbound first, each direction by name
};

Result<Gatewayz> ParseGatewayz(std::string_view body);
void RenderGatewayz(const Gatewayz& gatewayz, Families& out);

}  // namespace farrier
