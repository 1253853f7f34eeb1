// /routez: this server's cluster route connections. On 2.9 there is one connection per peer (a
// brief duplicate only while two servers race to connect to each other); since 2.10 routes are
// pooled: a pool of connections per peer (3 by default) plus one pinned connection per pinned
// account, `$SYS` always, so about four per peer. Series are therefore per peer, never per
// connection: labelled by the peer's server name (remote_name, stable across its restarts) where
// the server prints it (2.10+), by its server id (remote_id) on 2.9.
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
  uint64_t rid = 0;         // connection id: changes on every reconnect, so never a label
  std::string remote_id;    // the peer's server id: stable for the peer's lifetime
  std::string remote_name;  // the peer's server name (2.10+): stable across its restarts
  std::string account;      // the pinned account of this connection ("$SYS"); empty when pooled
  bool did_solicit = false;
  bool is_configured = false;
};

struct Routez {
  std::string server_id;
  uint64_t num_routes = 0;
  bool has_remote_names = false;  // the server prints remote_name (2.10+)
  std::vector<Route> routes;
};

Result<Routez> ParseRoutez(std::string_view body);
void RenderRoutez(const Routez& routez, Families& out);

}  // namespace farrier
