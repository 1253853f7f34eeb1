#include "core/host_port.h"

#include <charconv>

namespace farrier {

bool SplitHostPort(std::string_view text, HostPort* out, std::string* error) {
  HostPort hp;
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:8222
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      *error = "unterminated IPv6 address in \"" + std::string(text) + "\"";
      return false;
    }
    hp.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      *error = "unexpected text after IPv6 address in \"" + std::string(text) + "\"";
      return false;
    }
  } else {
    auto colon = rest.rfind(':');
    hp.host = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (!rest.empty()) {  // ":port"
    std::string_view port = rest.substr(1);
    int value = -1;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value < 0 || value > 65535) {
      *error = "expected a port number 0-65535, got \"" + std::string(port) + "\"";
      return false;
    }
    hp.port = value;
  }
  *out = std::move(hp);
  return true;
}

}  // namespace farrier
