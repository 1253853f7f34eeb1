// farrier's nonce signer (exporter/services/nats_signer.h) in process against a real
// nats-server: libnats 3.4.1 drops a signature whose first byte is 0, so with cnats' own signer
// 1 connect in 256 with correct nkey or creds credentials is refused ("Authorization
// Violation"; seen in CI as a probe error at start-up). Thousands of connects, each with a new
// nonce from the server, all succeed; some of them needed the signer's immediate retry.
//
// In process rather than through the binary: only here can a test make thousands of connects
// in seconds (farrier reconnects at most once a second).
#include <gtest/gtest.h>

#include <nats/nats.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "services/nats_signer.h"
#include "support/nats_jwt.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"

namespace farrier {
namespace {

using farrier::test::NatsServer;

// `connects` connections, one after the other, with `signer`'s credentials; returns how many
// failed and why the first did.
int FailedConnects(const NatsServer& server, NonceSigner& signer, int connects, std::string* first_error) {
  natsOptions* opts = nullptr;
  EXPECT_EQ(natsOptions_Create(&opts), NATS_OK);
  EXPECT_EQ(natsOptions_SetURL(opts, server.client_url().c_str()), NATS_OK);
  EXPECT_EQ(natsOptions_SetAllowReconnect(opts, false), NATS_OK);
  EXPECT_EQ(signer.Install(opts), NATS_OK);
  int failed = 0;
  for (int i = 0; i < connects; ++i) {
    natsConnection* nc = nullptr;
    natsStatus s = ConnectSigned(&nc, opts, &signer);
    if (s != NATS_OK && failed++ == 0)
      *first_error = std::string(natsStatus_GetText(s)) + ": " + nats_GetLastError(nullptr);
    natsConnection_Destroy(nc);
  }
  natsOptions_Destroy(opts);
  return failed;
}

// 3,000 connects: P(no signature starting with 0) = (255/256)^3000 < 1e-5, so the retry is
// exercised; without it about 12 of them would be refused.
void ExpectEveryConnectAccepted(const NatsServer& server, Result<std::unique_ptr<NonceSigner>> signer) {
  ASSERT_TRUE(signer) << signer.error();
  std::string why;
  EXPECT_EQ(FailedConnects(server, *signer.value(), 3000, &why), 0) << why;
  EXPECT_GT(signer.value()->unsendable(), 0u);
  EXPECT_EQ(server.Log().find("authentication error"), std::string::npos) << server.LogTail();
}

class NatsSigner : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(nats_Open(-1), NATS_OK); }
  void TearDown() override { nats_Close(); }
  farrier::test::TempDir dir_{"farrier-nats-signer"};
};

TEST_F(NatsSigner, EveryNkeyConnectSucceedsThoughSomeSignaturesStartWithZero) {
  farrier::test::Nkey user = farrier::test::MakeNkey('U');
  NatsServer server({.extra_config = "authorization { users = [ { nkey: " + user.public_key + " } ] }"});
  const std::filesystem::path seed_file = dir_.path() / "user.nk";
  std::ofstream(seed_file) << user.seed << "\n";
  ExpectEveryConnectAccepted(server, NonceSigner::FromSeedFile(seed_file.string()));
}

// The same for a creds file in operator mode (JWT callback + the same signer).
TEST_F(NatsSigner, EveryCredsConnectSucceedsThoughSomeSignaturesStartWithZero) {
  farrier::test::NatsOperator op = farrier::test::MakeNatsOperator();
  const std::filesystem::path creds = dir_.path() / "user.creds";
  farrier::test::WriteUserCreds(creds, op.account);
  NatsServer server({.extra_config = op.server_config});
  ExpectEveryConnectAccepted(server, NonceSigner::FromCredsFile(creds.string()));
}

// Wrong credentials still fail, with the server's reason.
TEST_F(NatsSigner, AnUnknownKeyIsStillRefusedByTheServer) {
  farrier::test::Nkey user = farrier::test::MakeNkey('U'), stranger = farrier::test::MakeNkey('U');
  NatsServer server({.extra_config = "authorization { users = [ { nkey: " + user.public_key + " } ] }"});
  const std::filesystem::path seed_file = dir_.path() / "stranger.nk";
  std::ofstream(seed_file) << stranger.seed << "\n";
  auto signer = NonceSigner::FromSeedFile(seed_file.string());
  ASSERT_TRUE(signer) << signer.error();
  std::string why;
  EXPECT_EQ(FailedConnects(server, *signer.value(), 20, &why), 20);
  EXPECT_NE(why.find("Authorization Violation"), std::string::npos) << why;
}

}  // namespace
}  // namespace farrier
