#include "core/server_version.h"

#include <charconv>

namespace farrier {
namespace {

// Reads a decimal number at the front of `text` and drops it (and `separator`, when given and
// present) from `text`; false when there is no number or the separator is missing.
bool TakeNumber(std::string_view& text, int* out, char separator) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  if (ec != std::errc() || ptr == text.data()) return false;
  text.remove_prefix(ptr - text.data());
  if (separator == '\0') return true;
  if (text.empty() || text.front() != separator) return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

ServerVersion ServerVersion::Parse(std::string_view text) {
  if (!text.empty() && text.front() == 'v') text.remove_prefix(1);
  ServerVersion v;
  if (!TakeNumber(text, &v.major, '.') || !TakeNumber(text, &v.minor, '.') || !TakeNumber(text, &v.patch, '\0')) {
    return {};
  }
  // A pre-release or build suffix ("-RC.1", "-fips", "+build") may follow; nothing else may.
  if (!text.empty() && text.front() != '-' && text.front() != '+') return {};
  v.known = true;
  return v;
}

bool ServerVersion::AtLeast(int want_major, int want_minor, int want_patch) const {
  if (!known) return false;
  if (major != want_major) return major > want_major;
  if (minor != want_minor) return minor > want_minor;
  return patch >= want_patch;
}

std::string ServerVersion::ToString() const {
  if (!known) return "unknown";
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

bool ConnzListsLeafnodes(const ServerVersion& v) { return v.AtLeast(2, 11, 5); }
bool HealthzHasDetails(const ServerVersion& v) { return v.AtLeast(2, 10, 0); }
bool SubszTotalCountsAllMatches(const ServerVersion& v) { return v.AtLeast(2, 11, 6); }
bool RoutesArePooled(const ServerVersion& v) { return v.AtLeast(2, 10, 0); }

}  // namespace farrier
