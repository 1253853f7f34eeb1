#include "sources/routez.h"

#include <algorithm>
#include <map>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

namespace {


}  // namespace

Result<Routez> ParseRoutez(std::string_view body) {
  return ParseWith<Routez>("routez", body, [](const Json& j) {
    Routez r;
    r.server_id = Str(j, "server_id", "$", /*required=*/true);
    r.num_routes = U64(j, "num_routes", "$", true);
    const Json& routes = Array(j, "routes", "$");
    if (routes.is_null()) return r;
    r.routes.reserve(routes.size());
    for (size_t i = 0; i < routes.size(); ++i) {
      std::string path = "$.routes[" + std::to_string(i) + "]";
      const Json& o = routes[i];
      Route route;
      route.rid = U64(o, "rid", path, true);
      route.remote_id = Str(o, "remote_id", path, true);
      route.did_solicit = Bool(o, "did_solicit", path);
      route.is_configured = Bool(o, "is_configured", path);
      ParseLinkTraffic(o, path, "pending_size", &route);
      r.routes.push_back(std::move(route));
    }
    return r;
  });
}

void RenderRoutez(const Routez& r, Families& out) {
  out.Gauge("nats_routez_routes", "Current cluster route connections (/routez num_routes).")
      .Add(r.num_routes);
  if (r.routes.empty()) return;

  // Keyed by remote_id alone: the rid changes on every reconnect (a label on it would leave a
  // trail of dead series), and two connections to one peer exist only while a duplicate route
  // is being resolved, which nats_route_connections shows.
  std::vector<std::pair<Labels, const LinkTraffic*>> links;
  for (const Route& route : r.routes) links.push_back({{{"remote_id", route.remote_id}}, &route});
  RenderLinks(links, {"nats_route", "routes to this remote server", "/routez routes[]", "pending_size"},
              out);
}

}  // namespace farrier
