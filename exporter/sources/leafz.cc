#include "sources/leafz.h"

#include <algorithm>
#include <map>
#include <utility>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

namespace {}  // namespace

Result<Leafz> ParseLeafz(std::string_view body) {
  return ParseWith<Leafz>("leafz", body, [](const Json& j) {
    Leafz z;
    z.server_id = Str(j, "server_id", "$", /*required=*/true);
    z.num_leafs = U64(j, "leafnodes", "$", true);
    // With no leaf connection the server prints "leafs": null (a nil Go slice), but always
    // prints it: its absence means another endpoint (/varz also has a "leafnodes" count).
    if (!j.contains("leafs")) throw SchemaError("$.leafs: expected array, field missing");
    const Json& leafs = Array(j, "leafs", "$");
    if (leafs.is_null()) return z;
    z.leafs.reserve(leafs.size());
    for (size_t i = 0; i < leafs.size(); ++i) {
      std::string path = "$.leafs[" + std::to_string(i) + "]";
      const Json& o = leafs[i];
      LeafConnection c;
      c.account = Str(o, "account", path, true);
      c.ip = Str(o, "ip", path);
      c.port = U64(o, "port", path);
      ParseLinkTraffic(o, path, "", &c);
      z.leafs.push_back(std::move(c));
    }
    return z;
  });
}

void RenderLeafz(const Leafz& z, Families& out) {
  out.Gauge("nats_leafz_leafnodes", "Current leaf node connections (/leafz leafnodes).").Add(z.num_leafs);
  if (z.leafs.empty()) return;

  // Summed per (account, ip): several leaf servers behind one address, or a reconnect racing
  // the old connection, would otherwise give duplicate series. A counter sum drops when one
  // member reconnects; Prometheus reads that as a counter reset, which is what it is.
  std::vector<std::pair<Labels, const LinkTraffic*>> links;
  for (const LeafConnection& c : z.leafs) links.push_back({{{"account", c.account}, {"ip", c.ip}}, &c});
  RenderLinks(links, {"nats_leaf", "leaf node connections of this account and address", "/leafz leafs[]", ""}, out);
}

}  // namespace farrier
