// Parsing of human-written durations ("5s", "1m30s", "250ms") and sizes ("64MiB", "1048576").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace farrier {

// nullopt for anything that is not a Go-style duration, negative, or longer than
// kMaxDuration: no interval, timeout or window needs more, and far larger values would overflow
// the clocks' nanosecond arithmetic (2562047h is the end of int64 nanoseconds).
inline constexpr std::chrono::hours kMaxDuration{24 * 366};
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);
std::optional<uint64_t> ParseSize(std::string_view text);
std::string FormatDuration(std::chrono::milliseconds d);
std::string FormatSize(uint64_t bytes);  // "64MiB" where exact, else plain bytes

}  // namespace farrier
