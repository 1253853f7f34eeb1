// The probing NATS connection against real nats-servers that require authentication or TLS:
// every auth mode (token, nkey seed, user + password file, creds file in operator mode) right
// and wrong, and TLS with client certificates, an expired server certificate, a wrong server
// name and another CA. Right: connected, probes answered by the server (no responders: nobody
// serves api.echo). Wrong: not connected, probes count as error, the log says why once,
// farrier keeps serving and retrying. Always: the secret is in neither the complete log
// (debug level) nor /metrics.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "support/certs.h"
#include "support/nats_jwt.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

using farrier::test::NatsServerOptions;
using farrier::test::TempDir;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

double Failures(const Scrape& s, const std::string& reason) {
  return s.Number("nats_service_probe_failures_total", {{"service", "echo"}, {"reason", reason}});
}

class NatsAuth : public ::testing::Test {
 protected:
  // farrier probing "echo" every 100 ms over `nats` (the file's `nats` section; the URLs are
  // filled in from `server`), at debug level so that every line it can log is checked.
  std::unique_ptr<Farrier> StartFarrier(const NatsServer& server, Json nats) {
    if (!nats.contains("url")) nats["url"] = server.client_url();
    nats["monitor_url"] = server.monitor_url();
    Json config{{"nats", nats},
                {"poll", {{"interval", "500ms"}, {"timeout", "400ms"}}},
                {"log", {{"level", "debug"}}},
                {"services", {{{"name", "echo"}, {"subject", "api.echo"}, {"probe", {{"interval", "100ms"}}}}}}};
    std::filesystem::path file = dir_.path() / ("farrier-" + std::to_string(++configs_) + ".json");
    std::ofstream(file) << config.dump();
    return std::make_unique<Farrier>(std::vector<std::string>{"--config", file.string()});
  }

  // A secret file: `text` and a newline, as a mounted Kubernetes secret often has.
  std::string SecretFile(const std::string& name, const std::string& text) {
    std::filesystem::path path = dir_.path() / name;
    std::ofstream(path) << text << "\n";
    return path.string();
  }
  std::string file(const std::string& name) const { return (dir_.path() / name).string(); }

  static void ExpectConnectedAndProbing(Farrier& f) {
    Scrape last;
    EXPECT_TRUE(f.WaitFor(
        [](const Scrape& s) {
          return s.Value("nats_exporter_nats_connected") == 1.0 && Failures(s, "no_responders") >= 2;
        },
        10s, &last))
        << last.Describe() << f.Stderr();
    EXPECT_EQ(Failures(last, "error"), 0) << last.Describe() << f.Stderr();
  }

  // Not connected for 15 probes (1.5 s: farrier has retried at least once, a second after the
  // first attempt), still serving, and the reason logged once: `why` in exactly one line (every
  // attempt fails the same way; a line per retry would flood the log).
  static void ExpectRefused(Farrier& f, const std::string& why) {
    Scrape last;
    EXPECT_TRUE(f.WaitFor(
        [](const Scrape& s) { return s.Value("nats_exporter_nats_connected") == 0.0 && Failures(s, "error") >= 15; },
        10s, &last))
        << last.Describe() << f.Stderr();
    EXPECT_EQ(Failures(last, "no_responders"), 0) << last.Describe();
    EXPECT_TRUE(f.process().Running());
    EXPECT_EQ(f.Get("/healthz").status, 200);
    const std::string log = f.Stderr();
    EXPECT_EQ(Count(log, why), 1u) << "the log does not say \"" << why << "\" exactly once:\n" << log;
  }

  // The complete log so far and a fresh /metrics hold none of `secrets`.
  static void ExpectAbsent(Farrier& f, const std::vector<std::string>& secrets) {
    const std::string log = f.Stderr();
    Scrape now = f.Metrics();
    ASSERT_TRUE(now.ok()) << now.Describe();
    for (const std::string& secret : secrets) {
      ASSERT_FALSE(secret.empty());
      EXPECT_EQ(log.find(secret), std::string::npos) << "a secret is in the log:\n" << log;
      EXPECT_EQ(now.response.body.find(secret), std::string::npos) << "a secret is in /metrics";
    }
  }

  TempDir dir_{"farrier-nats-auth"};
  int configs_ = 0;
};

// One auth mode against a server that requires it: the right secret connects, the wrong one is
// refused with the server's "Authorization Violation" (logged once, though farrier retries
// every second, as the server's log shows), and neither secret leaks.
struct AuthCase {
  std::string server_config;
  Json right, wrong;                 // the `nats` options of each farrier
  std::vector<std::string> secrets;  // of both
};

class NatsAuthModes : public NatsAuth {
 protected:
  void Check(const AuthCase& c) {
    NatsServer server({.extra_config = c.server_config});
    auto right = StartFarrier(server, c.right);
    auto wrong = StartFarrier(server, c.wrong);
    ExpectConnectedAndProbing(*right);
    // Retries reach the server: each of the wrong farrier's attempts, a second apart, is an
    // authentication error in the server's log.
    EXPECT_TRUE(farrier::test::WaitUntil([&] { return Count(server.Log(), "authentication error") >= 2; }, 5s))
        << server.LogTail();
    ExpectRefused(*wrong, "Authorization Violation");
    ExpectAbsent(*right, c.secrets);
    ExpectAbsent(*wrong, c.secrets);
  }
};

TEST_F(NatsAuthModes, TokenFile) {
  const std::string token = "tok-7c1d2f9e-right", other = "tok-0b3a8d44-wrong";
  Check({.server_config = "authorization { token: \"" + token + "\" }",
         .right = {{"token_file", SecretFile("token", token)}},
         .wrong = {{"token_file", SecretFile("other-token", other)}},
         .secrets = {token, other}});
}

TEST_F(NatsAuthModes, NkeySeedFile) {
  farrier::test::Nkey user = farrier::test::MakeNkey('U'), stranger = farrier::test::MakeNkey('U');
  Check({.server_config = "authorization { users = [ { nkey: " + user.public_key + " } ] }",
         .right = {{"nkey_seed_file", SecretFile("user.nk", user.seed)}},
         .wrong = {{"nkey_seed_file", SecretFile("stranger.nk", stranger.seed)}},
         .secrets = {user.seed, stranger.seed}});
}

TEST_F(NatsAuthModes, UserAndPasswordFile) {
  const std::string password = "pw-5e0c6a1f-right", other = "pw-93d2b7c0-wrong";
  Check({.server_config = "authorization { users = [ { user: farrier, password: \"" + password + "\" } ] }",
         .right = {{"user", "farrier"}, {"password_file", SecretFile("password", password)}},
         .wrong = {{"user", "farrier"}, {"password_file", SecretFile("other-password", other)}},
         .secrets = {password, other}});
}

// Operator mode with a memory resolver: a user of the preloaded account logs in with its creds
// file; a user whose JWT another account signed (one the server does not know) is refused.
TEST_F(NatsAuthModes, CredsFile) {
  farrier::test::NatsOperator op = farrier::test::MakeNatsOperator();
  farrier::test::Nkey unknown_account = farrier::test::MakeNkey('A');
  auto user = farrier::test::WriteUserCreds(file("user.creds"), op.account);
  auto stranger = farrier::test::WriteUserCreds(file("stranger.creds"), unknown_account);
  Check({.server_config = op.server_config,
         .right = {{"creds_file", file("user.creds")}},
         .wrong = {{"creds_file", file("stranger.creds")}},
         .secrets = {user.user.seed, stranger.user.seed, unknown_account.seed, op.account.seed}});
}

// Credentials inside a NATS URL are refused at startup (URLs are logged), and the refusal does
// not quote them: not from a flag, not from the file.
TEST_F(NatsAuth, CredentialsInTheUrlAreRefusedWithoutBeingEchoed) {
  const std::string password = "pw-in-url-4f1e";
  Exited e = RunFarrier({"--nats.url", "nats://farrier:" + password + "@127.0.0.1:4222"});
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_NE(e.err.find("nats.url: credentials in the URL are not accepted"), std::string::npos) << e.err;
  EXPECT_EQ(e.err.find(password), std::string::npos) << e.err;

  const std::string token = "tok-in-url-8a2c";
  std::ofstream(dir_.path() / "url.json")
      << Json{{"nats", {{"url", {"nats://127.0.0.1:4222", "nats://" + token + "@127.0.0.1:4223"}}}},
              {"services", {{{"name", "echo"}, {"subject", "api.echo"}}}}}
             .dump();
  e = RunFarrier({"--config", file("url.json")});
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_NE(e.err.find("credentials in the URL are not accepted"), std::string::npos) << e.err;
  EXPECT_EQ(e.err.find(token), std::string::npos) << e.err;
}

// A seed file that is not a valid seed stops farrier at start, naming the file, never quoting it.
TEST_F(NatsAuth, InvalidSeedIsRefusedWithoutBeingEchoed) {
  std::string seed = farrier::test::MakeNkey('U').seed;
  seed[10] = seed[10] == 'A' ? 'B' : 'A';  // breaks the checksum
  const std::string path = SecretFile("broken.nk", seed);
  std::ofstream(dir_.path() / "seed.json")
      << Json{{"nats", {{"nkey_seed_file", path}}}, {"services", {{{"name", "echo"}, {"subject", "api.echo"}}}}}.dump();
  Exited e = RunFarrier({"--config", file("seed.json")});
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_NE(e.err.find(path), std::string::npos) << e.err;
  EXPECT_NE(e.err.find("not an nkey seed"), std::string::npos) << e.err;
  EXPECT_EQ(e.err.find(seed), std::string::npos) << e.err;
  EXPECT_EQ(e.err.find(seed.substr(0, 20)), std::string::npos) << "part of the seed is in the message: " << e.err;
}

// A creds file whose seed block is broken stops farrier at start: file and what is wrong named,
// neither the seed nor the JWT quoted.
TEST_F(NatsAuth, BrokenCredsFileIsRefusedWithoutBeingEchoed) {
  auto creds = farrier::test::WriteUserCreds(file("user.creds"), farrier::test::MakeNkey('A'));
  std::string text;
  {
    std::ifstream in(file("user.creds"));
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string broken = creds.user.seed;
  broken[10] = broken[10] == 'A' ? 'B' : 'A';
  text.replace(text.find(creds.user.seed), broken.size(), broken);
  const std::string path = SecretFile("broken.creds", text);
  std::ofstream(dir_.path() / "creds.json")
      << Json{{"nats", {{"creds_file", path}}}, {"services", {{{"name", "echo"}, {"subject", "api.echo"}}}}}.dump();
  Exited e = RunFarrier({"--config", file("creds.json")});
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_NE(e.err.find("nats.creds-file " + path + ": the seed block holds not an nkey seed"), std::string::npos)
      << e.err;
  EXPECT_EQ(e.err.find(broken.substr(0, 20)), std::string::npos) << e.err;
  EXPECT_EQ(e.err.find(creds.jwt.substr(0, 20)), std::string::npos) << e.err;
}

// ---------------------------------------------------------------- TLS

// A server requiring TLS from clients, with `cert` (signed by "ca") as its certificate.
class NatsAuthTls : public NatsAuth {
 protected:
  std::unique_ptr<NatsServer> StartTlsServer(const std::string& cert, bool verify_clients) {
    if (!std::filesystem::exists(dir_.path() / "ca.pem")) farrier::test::MakeTestPki(dir_.path());
    return std::make_unique<NatsServer>(NatsServerOptions{
        .extra_config = "tls {\n  cert_file: \"" + file(cert + ".pem") + "\"\n  key_file: \"" + file(cert + ".key") +
                        "\"\n  ca_file: \"" + file("ca.pem") + "\"\n" + (verify_clients ? "  verify: true\n" : "") +
                        "  timeout: 2\n}\n"});
  }
  Json TlsOptions(const std::string& ca, std::string server_name = "nats.test") {
    return {{"tls", {{"ca_file", file(ca)}, {"server_name", server_name}}}};
  }
};

// `verify: true`: the server wants a client certificate. Without one, farrier is refused and
// says so; with the test CA's client certificate it connects and probes.
TEST_F(NatsAuthTls, ClientCertificateRequiredByTheServer) {
  auto server = StartTlsServer("server", /*verify_clients=*/true);
  Json with_cert = TlsOptions("ca.pem");
  with_cert["tls"]["cert_file"] = file("client.pem");
  with_cert["tls"]["key_file"] = file("client.key");
  auto without = StartFarrier(*server, TlsOptions("ca.pem"));
  auto with = StartFarrier(*server, with_cert);
  ExpectConnectedAndProbing(*with);
  // The server aborts the handshake with an alert (TLS 1.2: bad certificate, 1.3: certificate
  // required); cnats alone would only report a protocol error.
  ExpectRefused(*without,
                "if the server requires client certificates, set --nats.tls.cert-file and --nats.tls.key-file");
  EXPECT_NE(without->Stderr().find("(TLS: "), std::string::npos) << without->Stderr();
  EXPECT_NE(without->Stderr().find("alert"), std::string::npos) << without->Stderr();
}

// The server's certificate expired yesterday: not connected, and the log says so.
TEST_F(NatsAuthTls, ExpiredServerCertificate) {
  farrier::test::MakeTestPki(dir_.path());
  farrier::test::IssueCertificate(dir_.path(), {.name = "expired",
                                                .common_name = "nats.test",
                                                .subject_alt_names = "DNS:nats.test,IP:127.0.0.1",
                                                .expired = true});
  auto server = StartTlsServer("expired", /*verify_clients=*/false);
  auto f = StartFarrier(*server, TlsOptions("ca.pem"));
  ExpectRefused(*f, "certificate has expired");
}

// A valid certificate, but farrier expects another name, or trusts another CA: not connected,
// each with its reason; the right name and CA connect to the same server.
TEST_F(NatsAuthTls, WrongServerNameOrAnotherCa) {
  auto server = StartTlsServer("server", /*verify_clients=*/false);
  farrier::test::MakeCertificateAuthority(dir_.path(), "other-ca");
  auto wrong_name = StartFarrier(*server, TlsOptions("ca.pem", "other.test"));
  auto other_ca = StartFarrier(*server, TlsOptions("other-ca.pem"));
  auto right = StartFarrier(*server, TlsOptions("ca.pem"));
  ExpectConnectedAndProbing(*right);
  ExpectRefused(*wrong_name, "hostname mismatch");
  EXPECT_NE(wrong_name->Stderr().find("expected=other.test"), std::string::npos) << wrong_name->Stderr();
  ExpectRefused(*other_ca, "unable to get local issuer certificate");
}

}  // namespace
}  // namespace farrier::itest
