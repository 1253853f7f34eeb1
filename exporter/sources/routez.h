// /routez: this server's cluster route connections (nats-server 2.9: one connection per peer,
// a brief duplicate only while two servers race to connect to each other).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/families.h"
#include "core/link_traffic.h"
#include "core/result.h"

namespace farrier {

struct Route : LinkTraffic {
  uint64_t rid = 0;       // connection id: changes on every reconnect, so never a label
  std::string remote_id;  // the peer's server id: stable for the peer's lifetime
  bool did_solicit = false;
  bool is_configured = false;
};

struct Routez {
  std::string server_id;
  uint64_t num_routes = 0;
  std::vector<Route> routes;
};

Result<Routez> ParseRoutez(std::string_view body);
void RenderRoutez(const Routez& routez, Families& out);

}  // namespace farrier
