// Monitoring requests over the system account (cluster mode): an EndpointRequest as the
// subject and JSON body nats-server's $SYS responders expect, and their replies unwrapped.
//
// `$SYS.REQ.SERVER.<id>.<ENDPOINT>` asks one server, `$SYS.REQ.SERVER.PING.<ENDPOINT>` every
// server (each answers once). The body carries the options the HTTP query would, under the
// names of the server's option structs (server/monitor.go), which differ from the query's in
// places (`subs` is `subscriptions`, `consumers` is `consumer`, `leader-only` is `leader_only`,
// `acc` is `account`). A reply is {"server": {name, id, cluster, domain, ver, ...}, "data":
// <the endpoint's JSON>, "error": {code, description}}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "transport/endpoint.h"

namespace farrier {

// The $SYS name of an endpoint farrier polls ("VARZ"), or nullopt when the servers do not serve
// it over $SYS (accstatz).
std::optional<std::string> SysEndpointName(std::string_view endpoint);

// The subject for `request`: to request.server_id, or to every server when it is empty.
// The endpoint must have a SysEndpointName.
std::string SysSubject(const EndpointRequest& request);

// The request's options as the JSON body ("" when there are none).
std::string SysRequestBody(const EndpointRequest& request);

struct SysServer {
  std::string id, name, cluster, domain, version;
};

struct SysReply {
  SysServer server;
  std::string_view data;  // the endpoint's JSON, a view into the reply text; empty on error
  int error_code = 0;     // the server's error status (400, 500, ...), 0 when none
  std::string error;      // its description
};

// Errors are about the wrapper (not JSON, no server block); the payload is not parsed here.
Result<SysReply> ParseSysReply(std::string_view text);

}  // namespace farrier
