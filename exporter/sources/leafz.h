// /leafz: leaf node connections of this server, in either direction (a hub lists the leafs that
// connected to it, a leaf lists its connections to hubs).
//
// nats-server 2.9.10's LeafInfo carries no remote server name (that came later), only account,
// ip and port; the port of an accepted connection is the peer's ephemeral port. Series are
// therefore keyed by (account, ip), and connections sharing a key are summed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/families.h"
#include "core/link_traffic.h"
#include "core/result.h"

namespace farrier {

struct LeafConnection : LinkTraffic {  // /leafz prints no pending bytes
  std::string account;                 // the local account the leaf connection is bound to
  std::string ip;
  uint64_t port = 0;  // kept for logs/debugging; never a label (ephemeral on the hub side)
};

struct Leafz {
  std::string server_id;
  uint64_t num_leafs = 0;  // "leafnodes"
  std::vector<LeafConnection> leafs;
};

Result<Leafz> ParseLeafz(std::string_view body);
void RenderLeafz(const Leafz& leafz, Families& out);

}  // namespace farrier
