// What the fuzz targets check besides the sanitizers: the parser returns (never throws, never
// crashes) and a rejected input gets an error that names the parser, as the log line for a bad
// body relies on ("varz: $.connections: expected unsigned integer, got string").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/result.h"

namespace farrier::fuzz {

inline std::string_view Text(const uint8_t* data, size_t size) { return {reinterpret_cast<const char*>(data), size}; }

// Aborts (a crash for libFuzzer, which saves the input) unless `error` starts with `prefix` and
// says something after it, or is empty where that means success (`empty_ok`).
inline void RequireNamed(const std::string& error, std::string_view prefix, bool empty_ok = true) {
  if ((empty_ok && error.empty()) || (error.size() > prefix.size() && error.compare(0, prefix.size(), prefix) == 0)) {
    return;
  }
  std::fprintf(stderr, "error without the \"%.*s\" prefix or a reason: \"%s\"\n", static_cast<int>(prefix.size()),
               prefix.data(), error.c_str());
  std::abort();
}

// True when `r` holds a value; else checks its error with RequireNamed.
template <class T>
bool Accepted(const Result<T>& r, std::string_view prefix) {
  if (r.ok()) return true;
  RequireNamed(r.error(), prefix, /*empty_ok=*/false);
  return false;
}

}  // namespace farrier::fuzz
