// One monitoring request, independent of how it travels: the endpoint as nats-server names it,
// its options, and the server that must answer. Over HTTP it is GET /<endpoint>?<options>; over
// the system account (the cluster mode to come) $SYS.REQ.SERVER.<id>.<ENDPOINT> with the options
// as the request's JSON fields, which is why options are typed rather than query text.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace farrier {

struct EndpointOption {
  std::string name;                                 // "offset", "subs", "test", "acc", ...
  std::variant<bool, uint64_t, std::string> value;  // JSON true/false, number, string
};

struct EndpointRequest {
  std::string endpoint;  // "varz", "connz", "subsz", ... (lower case, as in the HTTP path)
  std::vector<EndpointOption> options{};
  // The server that must answer, by its server id; empty: the one server this fetcher reaches
  // (a sidecar's). A transport that reaches one server only fails a request naming another.
  std::string server_id{};
};

// "/connz?offset=0&limit=1024": the request's path and query relative to the monitoring base
// URL. Options in their order; booleans as true/false, strings percent-encoded.
std::string HttpTarget(const EndpointRequest& request);

}  // namespace farrier
