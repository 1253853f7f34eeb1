// Percent-encoding of a value placed in a URL query (subjects, account names), so that '&', '=',
// '%', '+', spaces and the like reach the server as part of the value.
#pragma once

#include <string>
#include <string_view>

namespace farrier {

// Keeps RFC 3986's unreserved characters (letters, digits, - . _ ~), encodes every other byte.
std::string QueryEscape(std::string_view value);

}  // namespace farrier
