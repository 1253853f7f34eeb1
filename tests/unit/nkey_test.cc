// nkey seed -> public key, on the key pair the NATS client libraries test with.
#include <gtest/gtest.h>

#include "services/nkey.h"

namespace farrier {
namespace {

TEST(Nkey, PublicKeyOfTheReferenceSeed) {
  // The pair used by nats.py's and nkeys.rb's own tests.
  Result<std::string> pub = NkeyPublicFromSeed("SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU");
  ASSERT_TRUE(pub) << pub.error();
  EXPECT_EQ(*pub, "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L");
}

TEST(Nkey, RejectsWhatIsNotAUserSeedWithoutQuotingIt) {
  const std::string seed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU";
  std::string flipped = seed;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string("hello"), seed.substr(1), flipped,
                                 std::string("UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L")}) {
    Result<std::string> r = NkeyPublicFromSeed(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().find(bad), std::string::npos) << r.error();
  }
}

}  // namespace
}  // namespace farrier
