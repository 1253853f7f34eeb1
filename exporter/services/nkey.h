// NATS nkeys and creds files: the public key of a user seed (cnats must be told it along with
// the seed; users should only have to provide the seed), and the two parts of a creds file.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace farrier {

// "SU..." (a user seed) -> "U..." (its public key). Errors never quote the seed.
Result<std::string> NkeyPublicFromSeed(std::string_view seed);

// A creds file as nsc and `nats` write it: the user JWT in a "-----BEGIN NATS USER JWT-----"
// block, then the user seed in a "-----BEGIN USER NKEY SEED-----" block (the text around
// them is ignored). The seed is checked with NkeyPublicFromSeed. Errors never quote the file.
struct CredsParts {
  std::string jwt;
  std::string seed;
};
Result<CredsParts> ParseCreds(std::string_view text);

}  // namespace farrier
