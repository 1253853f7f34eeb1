// Parsing of human-written durations ("5s", "1m30s", "250ms") and sizes ("64MiB", "1048576").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace farrier {

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);
std::optional<uint64_t> ParseSize(std::string_view text);
std::string FormatDuration(std::chrono::milliseconds d);
std::string FormatSize(uint64_t bytes);  // "64MiB" where exact, else plain bytes

}  // namespace farrier
