#include "sources/routez.h"

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

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
      if (o.contains("remote_name")) {
        r.has_remote_names = true;
        route.remote_name = Str(o, "remote_name", path);
      }
      route.account = Str(o, "account", path);
      route.did_solicit = Bool(o, "did_solicit", path);
      route.is_configured = Bool(o, "is_configured", path);
      ParseLinkTraffic(o, path, "pending_size", &route);
      r.routes.push_back(std::move(route));
    }
    return r;
  });
}

void RenderRoutez(const Routez& r, Families& out) {
  out.Gauge("nats_routez_routes",
            "Current route connections, every pooled and pinned connection counted (/routez num_routes).")
      .Add(r.num_routes);
  if (r.routes.empty()) return;

  // One series set per peer: the rid changes on every reconnect and pooled routes are
  // interchangeable, so connection-level labels would only leave a trail of dead series.
  // nats_route_connections says how many connections reach each peer.
  std::vector<std::pair<Labels, const LinkTraffic*>> links;
  for (const Route& route : r.routes) {
    Labels peer = r.has_remote_names
                      ? Labels{{"remote_name", route.remote_name.empty() ? route.remote_id : route.remote_name}}
                      : Labels{{"remote_id", route.remote_id}};
    links.push_back({std::move(peer), &route});
  }
  RenderLinks(links, {"nats_route", "route connections to this peer", "/routez routes[]", "pending_size"}, out);
}

}  // namespace farrier
