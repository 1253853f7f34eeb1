#include "transport/sys_request.h"

#include <nlohmann/json.hpp>

#include "core/json_scanner.h"

namespace farrier {
namespace {

// The option names of the server's option structs where they differ from the HTTP query's.
std::string_view SysOptionName(std::string_view endpoint, std::string_view name) {
  if (name == "subs") return "subscriptions";
  if (endpoint == "jsz" && name == "consumers") return "consumer";
  if (endpoint == "jsz" && name == "leader-only") return "leader_only";
  if (endpoint == "raftz" && name == "acc") return "account";
  return name;
}

}  // namespace

std::optional<std::string> SysEndpointName(std::string_view endpoint) {
  for (std::string_view known : {"varz", "connz", "routez", "subsz", "jsz", "healthz", "leafz", "gatewayz", "raftz"}) {
    if (endpoint == known) {
      std::string upper(endpoint);
      for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
      return upper;
    }
  }
  return std::nullopt;
}

std::string SysSubject(const EndpointRequest& request) {
  const std::string name = SysEndpointName(request.endpoint).value_or(request.endpoint);
  return "$SYS.REQ.SERVER." + (request.server_id.empty() ? std::string("PING") : request.server_id) + "." + name;
}

std::string SysRequestBody(const EndpointRequest& request) {
  if (request.options.empty()) return {};
  nlohmann::json body = nlohmann::json::object();
  for (const EndpointOption& option : request.options) {
    std::string name(SysOptionName(request.endpoint, option.name));
    std::visit([&](const auto& value) { body[name] = value; }, option.value);
  }
  return body.dump();
}

Result<SysReply> ParseSysReply(std::string_view text) {
  SysReply reply;
  JsonScanner scan(text);
  bool has_server = false;
  std::string_view key;
  if (scan.EnterObject("$")) {
    while (scan.NextMember(&key)) {
      if (key == "server" && !scan.ConsumeNull()) {
        has_server = scan.EnterObject("server");
        std::string_view field;
        while (has_server && scan.NextMember(&field)) {
          std::string* out = field == "id"        ? &reply.server.id
                             : field == "name"    ? &reply.server.name
                             : field == "cluster" ? &reply.server.cluster
                             : field == "domain"  ? &reply.server.domain
                             : field == "ver"     ? &reply.server.version
                                                  : nullptr;
          if (out) {
            scan.ReadString("server." + std::string(field), out);
          } else {
            scan.Skip();
          }
        }
      } else if (key == "data") {
        scan.SkipRaw(&reply.data);
      } else if (key == "error" && !scan.ConsumeNull()) {
        std::string_view field;
        scan.EnterObject("error");
        while (scan.NextMember(&field)) {
          if (field == "code") {
            uint64_t code = 0;
            scan.ReadU64("error.code", &code);
            reply.error_code = static_cast<int>(code);
          } else if (field == "description") {
            scan.ReadString("error.description", &reply.error);
          } else {
            scan.Skip();
          }
        }
      } else {
        scan.Skip();
      }
    }
  }
  if (!scan.ok() || !scan.AtEnd()) {
    return Error{"not a $SYS reply: " + (scan.ok() ? std::string("text after the object") : scan.error()),
                 scan.syntax_error() || scan.ok() ? ErrorKind::kInvalidJson : ErrorKind::kSchema};
  }
  if (!has_server || reply.server.id.empty()) return Error{"not a $SYS reply: no server.id", ErrorKind::kSchema};
  if (reply.error_code == 0 && !reply.error.empty()) reply.error_code = 500;
  if (reply.error_code != 0) reply.data = {};
  return reply;
}

}  // namespace farrier
