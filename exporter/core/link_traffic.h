// Traffic of one connection: clients (/connz), routes (/routez), leaf nodes (/leafz) and gateways
// (/gatewayz) print the same fields, and are exported the same way: summed per label set (a
// reconnect racing the old connection must not give duplicate series), with the slowest
// connection's RTT, the one that matters for alerting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/families.h"

namespace farrier {

struct LinkTraffic {
  uint64_t pending_bytes = 0;
  uint64_t subscriptions = 0;
  uint64_t in_msgs = 0;
  uint64_t out_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
  double rtt_seconds = -1;  // negative when not measured yet (the server prints "0s")
};

// Reads the shared fields of one connection object. `pending_key` is the field holding queued
// bytes ("pending_size" in /routez, "pending_bytes" elsewhere), empty where none is printed.
void ParseLinkTraffic(const nlohmann::json& object, const std::string& path, std::string_view pending_key,
                      LinkTraffic* out);

// How one kind of link is exported: <prefix>_connections (unless count_connections is false),
// _pending_bytes (when the endpoint prints it), _subscriptions, _messages_{received,sent}_total,
// _bytes_{received,sent}_total, _rtt_seconds. HELP reads "... over <noun> (<source>.<field>)".
struct LinkFamilySpec {
  std::string prefix;       // "nats_route"
  std::string noun;         // "routes to this remote server"
  std::string source;       // "/routez routes[]"
  std::string pending_key;  // as for ParseLinkTraffic; empty: no _pending_bytes family
  bool count_connections = true;
};

void RenderLinks(const std::vector<std::pair<Labels, const LinkTraffic*>>& links, const LinkFamilySpec& spec,
                 Families& out);

}  // namespace farrier
