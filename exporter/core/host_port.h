// "host:port", "[::1]:port" and ":port" (no host: every interface), as both the monitoring URL
// and --web.listen-address write them.
#pragma once

#include <string>
#include <string_view>

namespace farrier {

struct HostPort {
  std::string host;  // without the brackets of an IPv6 address; empty for ":port"
  int port = -1;     // -1 when the text has no port
};

// Splits `text`. On failure returns false with *error saying what is wrong ("expected a port
// number 0-65535, got ...", "unterminated IPv6 address in ...").
bool SplitHostPort(std::string_view text, HostPort* out, std::string* error);

}  // namespace farrier
