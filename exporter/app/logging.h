// spdlog set-up for --log.level and --log.format (text for people, json for log pipelines).
#pragma once

#include <string>

namespace farrier {

void SetupLogging(const std::string& level, const std::string& format);

}  // namespace farrier
