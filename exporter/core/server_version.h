// The nats-server release a monitoring port belongs to, from /varz `version`, and the changes of
// meaning between releases that Farrier must know about to report the same thing on each.
//
// Only changes of *meaning* live here (the same field or endpoint saying something else). Fields
// that were merely added need no version check: a server that lacks one simply has no series
// for it. Each threshold names the first release with the change, read from nats-server's own
// sources at each tag and checked against captures (tests/fixtures/nats-<version>/).
#pragma once

#include <string>
#include <string_view>

namespace farrier {

struct ServerVersion {
  int major = 0, minor = 0, patch = 0;
  bool known = false;  // false until a /varz was read, or when `version` was not x.y.z[-suffix]

  // "2.12.15", "2.11.0-RC.1", "2.12.8-fips" (the suffix is ignored); anything else: unknown.
  static ServerVersion Parse(std::string_view text);
  bool AtLeast(int major, int minor, int patch) const;
  std::string ToString() const;  // "2.12.15", or "unknown"
};

// /connz lists leaf-node connections (kind "Leafnode") beside clients since 2.11.5; before, it
// listed clients only, so a leaf-node count read from /connz would be a wrong 0.
bool ConnzListsLeafnodes(const ServerVersion& v);

// /healthz?details=true answers with `errors[]`, each with a `type`, since 2.10.0 (2.9 ignores
// the parameter and has no breakdown).
bool HealthzHasDetails(const ServerVersion& v);

// /subsz?subs=1 `total` counts every matching subscription before offset/limit since 2.11.6;
// before, it was the length of the returned page, so a cut list could not be told from a full one.
bool SubszTotalCountsAllMatches(const ServerVersion& v);

// Cluster routes are pooled since 2.10.0: /varz `routes` and /routez `num_routes` count about
// four connections per peer by default (a pool of three plus the pinned $SYS route), where 2.9
// had one. `remotes` counts connected peers on every version.
bool RoutesArePooled(const ServerVersion& v);

}  // namespace farrier
