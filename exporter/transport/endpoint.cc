#include "transport/endpoint.h"

#include "core/query_escape.h"

namespace farrier {

std::string HttpTarget(const EndpointRequest& request) {
  std::string target = "/" + request.endpoint;
  char separator = '?';
  for (const EndpointOption& option : request.options) {
    target += separator;
    target += option.name;
    target += '=';
    if (const bool* b = std::get_if<bool>(&option.value)) {
      target += *b ? "true" : "false";
    } else if (const uint64_t* n = std::get_if<uint64_t>(&option.value)) {
      target += std::to_string(*n);
    } else {
      target += QueryEscape(std::get<std::string>(option.value));
    }
    separator = '&';
  }
  return target;
}

}  // namespace farrier
