#include "core/version.h"

#ifndef FARRIER_VERSION
#define FARRIER_VERSION "unknown"
#endif

namespace farrier {

std::string FarrierVersion() { return FARRIER_VERSION; }

}  // namespace farrier
