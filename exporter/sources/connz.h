// /connz, read page by page (limit/offset) until every connection has been seen, so counts are
// exact at any size; the peer exporter stops at the server's default page of 1,024.
//
// Since 2.11.5 the list holds leaf-node connections (kind "Leafnode") beside clients, so its
// length no longer equals /varz `connections` (clients only). Everything is counted by kind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/families.h"
#include "core/link_traffic.h"
#include "core/result.h"

namespace farrier {

// What /connz says a connection is: "Client" or "Leafnode" (2.11.5+); routes and gateways are
// never listed. An unknown kind is kept apart rather than counted as a client.
enum class ConnectionKind { kClient, kLeafnode, kOther };

struct Connection : LinkTraffic {
  uint64_t cid = 0;
  std::string name;
  std::string lang;
  ConnectionKind kind = ConnectionKind::kClient;  // no kind printed: a client (2.9 prints it too)
};

struct ConnzPage {
  uint64_t total = 0;  // connections on the server when this page was made
  uint64_t offset = 0;
  uint64_t limit = 0;
  std::vector<Connection> connections;
};

Result<ConnzPage> ParseConnzPage(std::string_view body);

// Totals over the connections of one kind.
struct ConnzTotals {
  uint64_t connections = 0;  // distinct connections read
  uint64_t subscriptions = 0;
  uint64_t pending_bytes = 0;
  uint64_t pending_bytes_max = 0;
};

// What one poll learned from all pages together.
struct Connz {
  ConnzTotals clients;
  ConnzTotals leafnodes;  // always zero before 2.11.5, which did not list them
  ConnzTotals other;      // a kind this version of Farrier does not know
  uint64_t pages = 0;
  // Per-connection counters joined with queue-group members (a worker's replies are its in_msgs,
  // its backlog its pending bytes), sorted by cid; 24 bytes per connection.
  struct Counters {
    uint64_t cid = 0, in_msgs = 0, pending_bytes = 0;
  };
  std::vector<Counters> by_cid;
  const Counters* Find(uint64_t cid) const;
  // Only when per-connection series are enabled: the first `limit` connections by cid (the
  // server's default sort), so a long-lived connection keeps its series across polls.
  std::vector<Connection> detailed;
  uint64_t detailed_dropped = 0;
};

// Folds pages into a Connz; a connection seen on two pages (the set shifted between requests)
// counts once.
class ConnzAccumulator {
 public:
  explicit ConnzAccumulator(size_t detail_limit) : detail_limit_(detail_limit) {}
  void Add(const ConnzPage& page);
  Connz Finish() &&;

 private:
  size_t detail_limit_;
  std::unordered_set<uint64_t> seen_;
  Connz connz_;
};

// `lists_leafnodes`: whether this server lists leaf nodes in /connz (ConnzListsLeafnodes); without
// it the leaf-node series are left out instead of claiming zero.
void RenderConnz(const Connz& connz, bool lists_leafnodes, Families& out);

}  // namespace farrier
