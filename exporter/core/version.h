// Farrier's own version, from CMake's project version (FARRIER_VERSION at compile time).
#pragma once

#include <string>

namespace farrier {

std::string FarrierVersion();

}  // namespace farrier
