// An https monitoring port (nats-server `https:` with a `tls {}` block), certificates made with
// openssl for the test: a CA file makes it work, the system store alone does not (reason tls),
// insecure-skip-verify works and says so, the expected server name is checked, an expired
// certificate or one from another CA is a tls error whose log line says which, and a server
// that requires client certificates (an httplib stand-in) accepts farrier's.
#include <gtest/gtest.h>

#include <httplib.h>

#include <thread>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "support/certs.h"
#include "support/http.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

using farrier::test::TempDir;

class MonitorTls : public ::testing::Test {
 protected:
  // `cert` names the server's certificate and key (<dir>/<cert>.pem, .key), signed by "ca".
  void StartServer(bool require_client_cert = false, const std::string& cert = "server") {
    if (!std::filesystem::exists(dir_.path() / "ca.pem")) farrier::test::MakeTestPki(dir_.path());
    // Ports the kernel picks (-1), read back from the server's log: nothing chosen here can be
    // taken by another process first.
    std::ofstream(dir_.path() / "nats.conf") << "listen: 127.0.0.1:-1\nhttps: 127.0.0.1:-1"
                                             << "\ntls {\n  cert_file: \"" << (dir_.path() / (cert + ".pem")).string()
                                             << "\"\n  key_file: \"" << (dir_.path() / (cert + ".key")).string()
                                             << "\"\n  ca_file: \"" << (dir_.path() / "ca.pem").string() << "\"\n"
                                             << (require_client_cert ? "  verify: true\n" : "") << "}\n";
    server_ = std::make_unique<ChildProcess>(std::vector<std::string>{farrier::test::NatsServerBinary(), "-c",
                                                                      (dir_.path() / "nats.conf").string()});
    ASSERT_TRUE(farrier::test::WaitUntil(
                    [&] {
                      const std::string log = server_->ReadStderr();
                      client_port_ = farrier::test::LoggedPort(log, "Listening for client connections on");
                      https_port_ = farrier::test::LoggedPort(log, "Starting https monitor on");
                      return (client_port_ != 0 && https_port_ != 0) || !server_->Running();
                    },
                    10s) &&
                server_->Running())
        << "nats-server did not say which ports it bound\n"
        << server_->ReadStderr();
    farrier::test::HttpGetOptions o;
    o.ca_cert_path = (dir_.path() / "ca.pem").string();
    // The readiness check has no client certificate, and does not judge the server's.
    o.verify_tls = !require_client_cert && cert == "server";
    // Ready when the https port answers (or, requiring a client certificate, at least accepts
    // the connection and fails the handshake instead of refusing it).
    ASSERT_TRUE(farrier::test::WaitUntil(
        [&] {
          auto r = farrier::test::HttpGet(url() + "/varz", o);
          return r.status == 200 || (require_client_cert && r.error != "Connection");
        },
        10s))
        << server_->ReadStderr();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(https_port_); }
  std::string file(const char* name) const { return (dir_.path() / name).string(); }

  std::unique_ptr<Farrier> Start(std::vector<std::string> extra) {
    std::vector<std::string> args{"--nats.monitor-url",    url(),
                                  "--poll.interval",       "300ms",
                                  "--poll.timeout",        "250ms",
                                  "--no-collector.connz",  "--no-collector.routez",
                                  "--no-collector.subsz",  "--no-collector.jsz",
                                  "--no-collector.healthz"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<Farrier>(args);
  }

  TempDir dir_{"farrier-monitor-tls"};
  std::unique_ptr<ChildProcess> server_;
  int https_port_ = 0;
  int client_port_ = 0;
};

TEST_F(MonitorTls, CaFileServerNameAndSkipVerify) {
  StartServer(/*require_client_cert=*/false);
  {
    auto f = Start({"--nats.monitor-tls.ca-file", file("ca.pem")});
    EXPECT_TRUE(f->WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s)) << f->Stderr();
  }
  {
    // The test CA is not in the system store.
    auto f = Start({});
    Scrape last;
    EXPECT_TRUE(f->WaitFor([](const Scrape& s) { return s.Errors("varz", "tls") >= 1 && !s.NatsUp(); }, 10s, &last))
        << last.Describe();
  }
  {
    auto f = Start({"--nats.monitor-tls.insecure-skip-verify"});
    EXPECT_TRUE(f->WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s)) << f->Stderr();
    EXPECT_NE(f->Stderr().find("not verified"), std::string::npos) << f->Stderr();
  }
  {
    // The certificate names nats.test: right name verifies, a wrong one fails as tls.
    auto good = Start({"--nats.monitor-tls.ca-file", file("ca.pem"), "--nats.monitor-tls.server-name", "nats.test"});
    EXPECT_TRUE(good->WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s)) << good->Stderr();
    auto wrong = Start({"--nats.monitor-tls.ca-file", file("ca.pem"), "--nats.monitor-tls.server-name", "other.test"});
    Scrape last;
    EXPECT_TRUE(wrong->WaitFor([](const Scrape& s) { return s.Errors("varz", "tls") >= 1 && !s.NatsUp(); }, 10s, &last))
        << last.Describe();
    EXPECT_NE(wrong->Stderr().find("certificate is not valid for other.test"), std::string::npos) << wrong->Stderr();
  }
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// Farrier down on a tls error for a while: several polls failed, it still serves, and the
// reason was logged exactly once (one state change), with `why` in that line.
void ExpectTlsErrorLoggedOnceSaying(Farrier& f, const std::string& why) {
  Scrape last;
  EXPECT_TRUE(f.WaitFor([](const Scrape& s) { return s.Errors("varz", "tls") >= 3 && !s.NatsUp(); }, 10s, &last))
      << last.Describe() << f.Stderr();
  EXPECT_EQ(last.Value("nats_exporter_source_up", {{"source", "varz"}}), 0.0);
  EXPECT_TRUE(f.process().Running());
  EXPECT_EQ(f.Get("/healthz").status, 200);
  const std::string log = f.Stderr();
  EXPECT_EQ(Count(log, "source varz down"), 1u) << log;
  EXPECT_EQ(Count(log, why), 1u) << "the log does not say \"" << why << "\" once:\n" << log;
}

// The server presents a certificate that expired yesterday (signed by the CA farrier trusts):
// every poll fails as tls, and the one log line says the certificate has expired.
TEST_F(MonitorTls, ExpiredServerCertificateIsATlsErrorThatSaysSo) {
  farrier::test::MakeTestPki(dir_.path());
  farrier::test::IssueCertificate(dir_.path(), {.name = "expired",
                                                .common_name = "nats.test",
                                                .subject_alt_names = "DNS:nats.test,IP:127.0.0.1",
                                                .expired = true});
  StartServer(/*require_client_cert=*/false, "expired");
  auto f = Start({"--nats.monitor-tls.ca-file", file("ca.pem")});
  ExpectTlsErrorLoggedOnceSaying(*f, "certificate has expired");
}

// farrier is given a second CA, not the one that signed the server's certificate: tls errors,
// and the log line says the issuer is unknown and which option names the CA.
TEST_F(MonitorTls, CertificateOfAnotherCaIsATlsErrorThatNamesTheCaOption) {
  StartServer();
  farrier::test::MakeCertificateAuthority(dir_.path(), "other-ca");
  auto f = Start({"--nats.monitor-tls.ca-file", file("other-ca.pem")});
  ExpectTlsErrorLoggedOnceSaying(*f, "unable to get local issuer certificate");
  EXPECT_NE(f->Stderr().find("--nats.monitor-tls.ca-file"), std::string::npos) << f->Stderr();
}

// nats-server 2.9's https monitoring does not ask for client certificates (its `verify` is for
// client connections), so a proxy in front of it would: played here by an httplib SSL server
// that requires a certificate signed by the test CA and serves the captured /varz.
TEST_F(MonitorTls, ClientCertificateWhenTheServerRequiresOne) {
  farrier::test::MakeTestPki(dir_.path());
  httplib::SSLServer proxy(file("server.pem").c_str(), file("server.key").c_str(), file("ca.pem").c_str());
  ASSERT_TRUE(proxy.is_valid());
  const std::string varz = ReadFile(FixtureDir() / "varz.json");
  proxy.Get("/varz",
            [&](const httplib::Request&, httplib::Response& res) { res.set_content(varz, "application/json"); });
  https_port_ = proxy.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { proxy.listen_after_bind(); });
  {
    auto without = Start({"--nats.monitor-tls.ca-file", file("ca.pem")});
    Scrape last;
    EXPECT_TRUE(without->WaitFor([](const Scrape& s) { return s.Errors("varz") >= 1 && !s.NatsUp(); }, 10s, &last))
        << last.Describe();
    auto with = Start({"--nats.monitor-tls.ca-file", file("ca.pem"), "--nats.monitor-tls.cert-file", file("client.pem"),
                       "--nats.monitor-tls.key-file", file("client.key")});
    EXPECT_TRUE(with->WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s)) << with->Stderr();
  }
  proxy.stop();
  serving.join();
}

// The probing NATS connection over TLS: the same server requires TLS from clients (`tls {}`);
// with the test CA farrier connects (probes are answered "no responders": connected and
// authorized); without it, the handshake fails, the connection is reported down, probes count
// as errors and farrier keeps serving.
TEST_F(MonitorTls, NatsClientTlsWithCaFile) {
  StartServer();
  const std::string nats_url = "nats://127.0.0.1:" + std::to_string(client_port_);
  for (bool with_ca : {true, false}) {
    SCOPED_TRACE(with_ca ? "with the CA" : "without the CA");
    Json nats{{"url", nats_url}, {"monitor_url", url()}};
    nats["monitor_tls"] = {{"ca_file", file("ca.pem")}};
    if (with_ca) nats["tls"] = {{"ca_file", file("ca.pem")}, {"server_name", "nats.test"}};
    Json config{{"nats", nats},
                {"services", {{{"name", "echo"}, {"subject", "api.echo"}, {"probe", {{"interval", "100ms"}}}}}}};
    std::ofstream(dir_.path() / "farrier.json") << config.dump();
    if (!with_ca) {
      // cnats turns TLS on for tls:// URLs.
      config["nats"]["url"] = "tls://127.0.0.1:" + std::to_string(client_port_);
      std::ofstream(dir_.path() / "farrier.json") << config.dump();
    }
    Farrier f({"--config", (dir_.path() / "farrier.json").string()});
    Scrape last;
    if (with_ca) {
      EXPECT_TRUE(f.WaitFor(
          [](const Scrape& s) {
            return s.Value("nats_exporter_nats_connected") == 1.0 &&
                   s.Number("nats_service_probe_failures_total", {{"service", "echo"}, {"reason", "no_responders"}}) >=
                       2;
          },
          10s, &last))
          << last.Describe() << f.Stderr();
    } else {
      EXPECT_TRUE(f.WaitFor(
          [](const Scrape& s) {
            return s.Value("nats_exporter_nats_connected") == 0.0 &&
                   s.Number("nats_service_probe_failures_total", {{"service", "echo"}, {"reason", "error"}}) >= 3;
          },
          10s, &last))
          << last.Describe() << f.Stderr();
      EXPECT_TRUE(f.process().Running());
    }
  }
}

TEST(MonitorTlsConfig, UnreadableFilesAndHalfAPairAreRejected) {
  Exited e = RunFarrier({"--nats.monitor-tls.ca-file", "/nonexistent/ca.pem"});
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.err.find("nats.monitor-tls.ca-file: cannot read /nonexistent/ca.pem"), std::string::npos) << e.err;
  e = RunFarrier({"--nats.monitor-tls.cert-file", "/etc/hostname"});
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.err.find("set both or neither"), std::string::npos) << e.err;
}

}  // namespace
}  // namespace farrier::itest
