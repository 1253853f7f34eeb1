// NATS nkeys: the public key of a user seed. cnats (natsOptions_SetNKeyFromSeed) signs with the
// seed file but must be told the public key as well; users should only have to provide the seed.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace farrier {

// "SU..." (a user seed) -> "U..." (its public key). Errors never quote the seed.
Result<std::string> NkeyPublicFromSeed(std::string_view seed);

}  // namespace farrier
