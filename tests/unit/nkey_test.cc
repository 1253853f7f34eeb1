// nkey seed -> public key, on the key pair the NATS client libraries test with; the parts of a
// creds file.
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

constexpr char kSeed[] = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU";

// The layout nsc writes (JWT block, the warning text, the seed block), with CRLF line ends and
// indented lines as an editor may leave them.
TEST(Creds, JwtAndSeedOfAnNscCredsFile) {
  const std::string text = std::string("-----BEGIN NATS USER JWT-----\r\n  eyJ0eXAi.eyJqdGki.c2ln\r\n") +
                           "------END NATS USER JWT------\r\n\r\n" +
                           "************************* IMPORTANT *************************\r\n" +
                           "NKEY Seed printed below can be used to sign and prove identity.\r\n\r\n" +
                           "-----BEGIN USER NKEY SEED-----\r\n" + kSeed + "\r\n------END USER NKEY SEED------\r\n";
  Result<CredsParts> parts = ParseCreds(text);
  ASSERT_TRUE(parts) << parts.error();
  EXPECT_EQ(parts->jwt, "eyJ0eXAi.eyJqdGki.c2ln");
  EXPECT_EQ(parts->seed, kSeed);
}

TEST(Creds, MissingOrBrokenPartsAreNamedWithoutQuotingTheFile) {
  const std::string jwt_block =
      "-----BEGIN NATS USER JWT-----\neyJ0eXAi.eyJqdGki.c2ln\n------END NATS USER JWT------\n";
  std::string broken = kSeed;
  broken[10] = broken[10] == 'A' ? 'B' : 'A';
  struct Case {
    std::string text, why;
  } cases[] = {
      {"", "no user JWT"},
      {std::string("just a seed ") + kSeed, "no user JWT"},
      {"-----BEGIN NATS USER JWT-----\n------END NATS USER JWT------\n", "no user JWT"},
      {jwt_block, "no user seed"},
      {jwt_block + "-----BEGIN USER NKEY SEED-----\n" + broken + "\n------END USER NKEY SEED------\n",
       "checksum mismatch"},
  };
  for (const Case& c : cases) {
    Result<CredsParts> parts = ParseCreds(c.text);
    ASSERT_FALSE(parts) << c.text;
    EXPECT_NE(parts.error().find(c.why), std::string::npos) << parts.error();
    EXPECT_EQ(parts.error().find("SUAMLK2"), std::string::npos) << parts.error();
    EXPECT_EQ(parts.error().find("eyJ0"), std::string::npos) << parts.error();
  }
}

}  // namespace
}  // namespace farrier
