// Farrier's own listener secured by --web.config.file (TLS, client certificates, basic auth), its
// certificate reload, --web.max-requests, POST /-/reload behind --web.enable-lifecycle, and
// clients that connect and go silent. Certificates come from the openssl command line
// (support/certs.h); every request goes to the real farrier binary.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "support/certs.h"
#include "support/http.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

namespace fs = std::filesystem;
using farrier::test::HttpGetOptions;
using farrier::test::HttpRequest;
using farrier::test::TempDir;

// bcrypt of "correct horse" at cost 10, as htpasswd -nbBC 10 writes it (made with libxcrypt's
// crypt() and a fixed salt).
constexpr const char* kAliceHash = "$2y$10$Farrier.Test.Salt.abcOujQteD8/QwWc3AtoVG6n31iA0n.jm9i";
constexpr const char* kAlicePassword = "correct horse";
// bcrypt of "battery staple", the same way.
constexpr const char* kBobHash = "$2y$10$Farrier.Test.Salt.bobO.Lejox5LSVWqBeHsc5waSkCEIyH2SFS";
constexpr const char* kBobPassword = "battery staple";

// farrier with --web.config.file on a free loopback port, ready once /healthz answers to `probe`
// (the test's CA, a client certificate where one is required).
class SecuredFarrier {
 public:
  SecuredFarrier(std::vector<std::string> args, bool tls, HttpGetOptions probe = {}) : tls_(tls), probe_(probe) {
    args.push_back("--web.listen-address");
    args.push_back("127.0.0.1:0");  // the bound port is read from farrier's start-up line
    process_ = std::make_unique<ChildProcess>(FarrierCommand(std::move(args)));
    bool up = farrier::test::WaitUntil(
        [&] {
          if (!process_->Running()) return true;
          if (port_ == 0) port_ = ListeningPort(*process_);
          return port_ != 0 && HttpRequest("GET", Url("/healthz"), Options(1s)).status == 200;
        },
        15s, 20ms);
    if (up && process_->Running()) return;
    throw std::runtime_error("farrier did not start: " + process_->ReadStderr());
  }
  ~SecuredFarrier() { process_->Stop(5s, SIGTERM); }

  int port() const { return port_; }
  std::string Url(std::string_view path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  // The probe's options (CA, client certificate), with `timeout`.
  HttpGetOptions Options(std::chrono::milliseconds timeout = 5s) const {
    HttpGetOptions o = probe_;
    o.timeout = timeout;
    return o;
  }
  HttpResponse Get(std::string_view path, HttpGetOptions o) const { return HttpRequest("GET", Url(path), o); }
  std::string Stderr() const { return process_->ReadStderr(); }
  bool Signal(int signal) { return process_->Signal(signal); }

 private:
  bool tls_;
  HttpGetOptions probe_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

class WebListener : public ::testing::Test {
 protected:
  // A server that refuses a client certificate closes the connection while the client may still
  // be writing; that must be a failed request, not a SIGPIPE that ends the test binary.
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  std::string Path(const std::string& name) const { return (dir_.path() / name).string(); }
  // Writes web.json and returns the flags that use it.
  std::vector<std::string> WebConfig(const std::string& json, std::vector<std::string> extra = {}) {
    std::ofstream(dir_.path() / "web.json") << json;
    std::vector<std::string> args{"--nats.monitor-url", NobodyListens(), "--web.config.file", Path("web.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::string TlsConfig(const std::string& extra = "") const {
    return R"({"tls_server_config": {"cert_file": ")" + Path("server.pem") + R"(", "key_file": ")" +
           Path("server.key") + "\"" + extra + "}}";
  }
  HttpGetOptions TrustingCa() const {
    HttpGetOptions o;
    o.ca_cert_path = Path("ca.pem");
    return o;
  }

  TempDir dir_{"farrier-web-listener"};
};

TEST_F(WebListener, HttpsScrapeWithTheCaAndNothingInPlainHttp) {
  farrier::test::MakeTestPki(dir_.path());
  SecuredFarrier f(WebConfig(TlsConfig()), /*tls=*/true, TrustingCa());
  HttpResponse r = f.Get("/metrics", f.Options());
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_NE(r.body.find("nats_exporter_polls_total"), std::string::npos);
  HttpResponse page = f.Get("/", f.Options());  // the status page too, over the same TLS
  EXPECT_EQ(page.status, 200) << page.error;
  EXPECT_NE(page.body.find("<main id=\"status\">"), std::string::npos);

  HttpGetOptions untrusted;  // the system store does not know the test CA
  EXPECT_EQ(f.Get("/metrics", untrusted).status, 0);

  HttpResponse plain = farrier::test::HttpGet("http://127.0.0.1:" + std::to_string(f.port()) + "/metrics", 3s);
  EXPECT_EQ(plain.status, 0) << "plain HTTP answered on the TLS port: " << plain.body;
}

TEST_F(WebListener, Tls13OnlyWhenAskedFor) {
  farrier::test::MakeTestPki(dir_.path());
  SecuredFarrier f(WebConfig(TlsConfig(R"(, "min_version": "TLS13")")), /*tls=*/true, TrustingCa());
  auto handshake = [&](const char* version) {
    farrier::test::ChildProcess openssl(std::vector<std::string>{
        "bash", "-c",
        std::string("openssl s_client ") + version + " -connect 127.0.0.1:" + std::to_string(f.port()) + " -CAfile " +
            Path("ca.pem") + " </dev/null >/dev/null 2>&1"});
    return openssl.WaitExit(30s);
  };
  EXPECT_EQ(handshake("-tls1_3"), 0);
  EXPECT_NE(handshake("-tls1_2"), 0) << "TLS 1.2 accepted with min_version TLS13";
}

TEST_F(WebListener, ClientCertificatesRequired) {
  farrier::test::MakeTestPki(dir_.path());
  farrier::test::MakeCertificateAuthority(dir_.path(), "other");
  farrier::test::IssueCertificate(
      dir_.path(),
      {.name = "stranger", .ca = "other", .common_name = "stranger", .subject_alt_names = "", .client = true});
  HttpGetOptions with_cert = TrustingCa();
  with_cert.client_cert_path = Path("client.pem");
  with_cert.client_key_path = Path("client.key");
  SecuredFarrier f(WebConfig(TlsConfig(R"(, "client_ca_file": ")" + Path("ca.pem") +
                                       R"(", "client_auth_type": "RequireAndVerifyClientCert")")),
                   /*tls=*/true, with_cert);

  EXPECT_EQ(f.Get("/metrics", with_cert).status, 200);
  HttpResponse none = f.Get("/metrics", TrustingCa());
  EXPECT_EQ(none.status, 0) << "answered without a client certificate: " << none.body;
  // The handshake is refused before HTTP, so /healthz needs a certificate too.
  EXPECT_EQ(f.Get("/healthz", TrustingCa()).status, 0);
  HttpGetOptions stranger = TrustingCa();
  stranger.client_cert_path = Path("stranger.pem");
  stranger.client_key_path = Path("stranger.key");
  HttpResponse other = f.Get("/metrics", stranger);
  EXPECT_EQ(other.status, 0) << "answered a certificate from another CA: " << other.body;
}

TEST_F(WebListener, ClientCertificatesVerifiedIfGiven) {
  farrier::test::MakeTestPki(dir_.path());
  farrier::test::MakeCertificateAuthority(dir_.path(), "other");
  farrier::test::IssueCertificate(
      dir_.path(),
      {.name = "stranger", .ca = "other", .common_name = "stranger", .subject_alt_names = "", .client = true});
  SecuredFarrier f(WebConfig(TlsConfig(R"(, "client_ca_file": ")" + Path("ca.pem") +
                                       R"(", "client_auth_type": "VerifyClientCertIfGiven")")),
                   /*tls=*/true, TrustingCa());
  EXPECT_EQ(f.Get("/metrics", TrustingCa()).status, 200);
  HttpGetOptions good = TrustingCa();
  good.client_cert_path = Path("client.pem");
  good.client_key_path = Path("client.key");
  EXPECT_EQ(f.Get("/metrics", good).status, 200);
  HttpGetOptions stranger = TrustingCa();
  stranger.client_cert_path = Path("stranger.pem");
  stranger.client_key_path = Path("stranger.key");
  EXPECT_EQ(f.Get("/metrics", stranger).status, 0);
}

TEST_F(WebListener, BasicAuthEverywhereButHealthz) {
  SecuredFarrier f(WebConfig(std::string(R"({"basic_auth_users": {"alice": ")") + kAliceHash + "\"}}",
                             {"--web.enable-lifecycle"}),
                   /*tls=*/false);
  HttpGetOptions anonymous;
  HttpResponse r = f.Get("/metrics", anonymous);
  EXPECT_EQ(r.status, 401);
  auto challenge = r.headers.find("WWW-Authenticate");
  ASSERT_NE(challenge, r.headers.end());
  EXPECT_EQ(challenge->second, "Basic realm=\"farrier\"");

  HttpGetOptions wrong;
  wrong.basic_auth_user = "alice";
  wrong.basic_auth_password = "battery staple";
  EXPECT_EQ(f.Get("/metrics", wrong).status, 401);
  HttpGetOptions unknown;
  unknown.basic_auth_user = "mallory";
  unknown.basic_auth_password = kAlicePassword;
  EXPECT_EQ(f.Get("/metrics", unknown).status, 401);

  HttpGetOptions alice;
  alice.basic_auth_user = "alice";
  alice.basic_auth_password = kAlicePassword;
  for (int i = 0; i < 3; ++i) {  // the second and third are served from the verification cache
    HttpResponse ok = f.Get("/metrics", alice);
    EXPECT_EQ(ok.status, 200);
    EXPECT_NE(ok.body.find("nats_exporter_polls_total"), std::string::npos);
  }
  EXPECT_EQ(f.Get("/", alice).status, 200);
  HttpResponse page = f.Get("/", anonymous);  // the status page names servers and services
  EXPECT_EQ(page.status, 401);
  EXPECT_EQ(page.body.find("<main"), std::string::npos);
  // Unknown paths do not tell an anonymous client whether they exist.
  EXPECT_EQ(f.Get("/nope", anonymous).status, 401);
  EXPECT_EQ(f.Get("/nope", alice).status, 404);
  EXPECT_EQ(HttpRequest("POST", f.Url("/-/reload"), anonymous).status, 401);

  HttpResponse health = f.Get("/healthz", anonymous);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");

  std::string log = f.Stderr();
  EXPECT_EQ(log.find(kAlicePassword), std::string::npos) << log;
  EXPECT_EQ(log.find("battery staple"), std::string::npos) << log;
  EXPECT_EQ(log.find("Authorization"), std::string::npos) << log;
  EXPECT_EQ(log.find("YWxpY2U6"), std::string::npos) << "base64 of \"alice:\" in the log: " << log;
}

// A reload (SIGHUP) applies the web config file's users and --web.max-requests at once, and names
// the listener settings that wait for a restart instead of ignoring them.
TEST_F(WebListener, ReloadAppliesUsersAndNamesWhatNeedsARestart) {
  farrier::test::MakeTestPki(dir_.path());
  auto users = [](const std::string& name, const char* hash) {
    return R"({"basic_auth_users": {")" + name + R"(": ")" + hash + "\"}}";
  };
  std::ofstream(Path("farrier.json")) << R"({"web": {"max_requests": 40}})";
  SecuredFarrier f(WebConfig(users("alice", kAliceHash), {"--config", Path("farrier.json")}), /*tls=*/false);
  HttpGetOptions alice, bob, anonymous;
  alice.basic_auth_user = "alice";
  alice.basic_auth_password = kAlicePassword;
  bob.basic_auth_user = "bob";
  bob.basic_auth_password = kBobPassword;
  ASSERT_EQ(f.Get("/metrics", alice).status, 200);  // now in the verification cache
  EXPECT_EQ(f.Get("/metrics", bob).status, 401);

  // Alice's access revoked, Bob's granted: both hold from the first request after the reload,
  // the cache of verified passwords included.
  std::ofstream(Path("web.json")) << users("bob", kBobHash);
  std::ofstream(Path("farrier.json")) << R"({"web": {"max_requests": 7}})";
  ASSERT_TRUE(f.Signal(SIGHUP));
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return f.Get("/metrics", bob).status == 200; }, 10s)) << f.Stderr();
  EXPECT_EQ(f.Get("/metrics", alice).status, 401);
  EXPECT_EQ(f.Get("/metrics", anonymous).status, 401);
  EXPECT_NE(f.Stderr().find("listener: --web.max-requests is now 7"), std::string::npos) << f.Stderr();
  EXPECT_EQ(f.Stderr().find("after a restart"), std::string::npos) << "users and max-requests need no restart\n"
                                                                   << f.Stderr();

  // TLS added to the file: the listener stays plain HTTP until a restart, and the log says so.
  std::ofstream(Path("web.json")) << R"({"basic_auth_users": {"bob": ")" << kBobHash
                                  << R"("}, "tls_server_config": {"cert_file": ")" << Path("server.pem")
                                  << R"(", "key_file": ")" << Path("server.key") << "\"}}";
  ASSERT_TRUE(f.Signal(SIGHUP));
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] { return f.Stderr().find("the TLS settings of --web.config.file changed") != std::string::npos; }, 10s))
      << f.Stderr();
  EXPECT_NE(f.Stderr().find("takes effect after a restart"), std::string::npos);
  EXPECT_EQ(f.Get("/metrics", bob).status, 200);

  // No users any more: the file says the listener is open, so it is.
  std::ofstream(Path("web.json")) << "{}";
  ASSERT_TRUE(f.Signal(SIGHUP));
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return f.Get("/metrics", anonymous).status == 200; }, 10s)) << f.Stderr();
  std::string log = f.Stderr();
  EXPECT_EQ(log.find(kBobPassword), std::string::npos) << log;
  EXPECT_EQ(log.find(kBobHash), std::string::npos) << log;
}

TEST_F(WebListener, CertificateRotation) {
  farrier::test::MakeTestPki(dir_.path());
  farrier::test::IssueCertificate(dir_.path(),
                                  {.name = "server", .common_name = "first", .subject_alt_names = "IP:127.0.0.1"});
  SecuredFarrier f(WebConfig(TlsConfig()), /*tls=*/true, TrustingCa());
  EXPECT_EQ(farrier::test::ServerCertificateSubject(f.port(), Path("ca.pem")), "CN = first");

  // Rotation as cert-manager or a kubelet secret update does it: new files renamed into place.
  farrier::test::IssueCertificate(dir_.path(),
                                  {.name = "next", .common_name = "second", .subject_alt_names = "IP:127.0.0.1"});
  fs::rename(Path("next.key"), Path("server.key"));
  fs::rename(Path("next.pem"), Path("server.pem"));
  EXPECT_EQ(farrier::test::ServerCertificateSubject(f.port(), Path("ca.pem")), "CN = second");
  EXPECT_EQ(f.Get("/metrics", f.Options()).status, 200);
  EXPECT_NE(f.Stderr().find("TLS certificate reloaded"), std::string::npos) << f.Stderr();

  // A certificate whose key is not in key_file: the previous pair stays in use, and says why.
  farrier::test::IssueCertificate(dir_.path(),
                                  {.name = "orphan", .common_name = "third", .subject_alt_names = "IP:127.0.0.1"});
  fs::rename(Path("orphan.pem"), Path("server.pem"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(farrier::test::ServerCertificateSubject(f.port(), Path("ca.pem")), "CN = second");
  }
  EXPECT_EQ(f.Get("/metrics", f.Options()).status, 200);
  std::string log = f.Stderr();
  const std::string kept = "still serving the previous certificate";
  auto at = log.find(kept);
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_EQ(log.find(kept, at + 1), std::string::npos) << "logged more than once per change:\n" << log;
  EXPECT_NE(log.find("does not belong to the certificate", at), std::string::npos) << log;
  EXPECT_EQ(log.find("PRIVATE KEY"), std::string::npos) << log;

  // Garbage in place of the certificate: still the previous pair.
  std::ofstream(Path("garbage.pem")) << "not a certificate\n";
  fs::rename(Path("garbage.pem"), Path("server.pem"));
  EXPECT_EQ(farrier::test::ServerCertificateSubject(f.port(), Path("ca.pem")), "CN = second");
  EXPECT_NE(f.Stderr().find("no PEM certificate"), std::string::npos) << f.Stderr();
}

TEST_F(WebListener, BadWebConfigStopsFarrierWithFileAndField) {
  farrier::test::MakeTestPki(dir_.path());
  std::ofstream(dir_.path() / "missing-key.json")
      << R"({"tls_server_config": {"cert_file": "server.pem", "key_file": "nope.key"}})";
  Exited r = RunFarrier({"--nats.monitor-url", NobodyListens(), "--web.config.file", Path("missing-key.json")});
  ASSERT_TRUE(r.code);
  EXPECT_EQ(*r.code, 2);
  EXPECT_NE(r.err.find(Path("missing-key.json") + ": $.tls_server_config: key_file " + Path("nope.key") +
                       ": No such file or directory"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--web.config.file"), std::string::npos) << r.err;

  std::ofstream(dir_.path() / "plain.json") << R"({"basic_auth_users": {"alice": "hunter2"}})";
  r = RunFarrier({"--nats.monitor-url", NobodyListens(), "--web.config.file", Path("plain.json")});
  ASSERT_TRUE(r.code);
  EXPECT_EQ(*r.code, 2);
  EXPECT_NE(r.err.find("$.basic_auth_users.alice: expected a bcrypt hash"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;

  std::ofstream(dir_.path() / "typo.json") << R"({"tls_server_config": {"cert": "server.pem"}})";
  r = RunFarrier({"--nats.monitor-url", NobodyListens(), "--web.config.file", Path("typo.json")});
  ASSERT_TRUE(r.code);
  EXPECT_EQ(*r.code, 2);
  EXPECT_NE(r.err.find(Path("typo.json") + ": $.tls_server_config.cert: unknown field"), std::string::npos) << r.err;
}

TEST_F(WebListener, ReloadRouteOnlyWithTheFlag) {
  Farrier plain({"--nats.monitor-url", NobodyListens()});
  HttpGetOptions o;
  EXPECT_EQ(HttpRequest("POST", plain.Url("/-/reload"), o).status, 404);
  EXPECT_EQ(HttpRequest("GET", plain.Url("/-/reload"), o).status, 404);

  Farrier lifecycle({"--nats.monitor-url", NobodyListens(), "--web.enable-lifecycle"});
  HttpResponse post = HttpRequest("POST", lifecycle.Url("/-/reload"), o);
  EXPECT_NE(post.status, 404) << post.body;
  EXPECT_NE(post.status, 405) << post.body;
  EXPECT_NE(post.status, 0) << post.error;
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    HttpResponse r = HttpRequest(method, lifecycle.Url("/-/reload"), o);
    EXPECT_EQ(r.status, 405) << method;
    auto allow = r.headers.find("Allow");
    ASSERT_NE(allow, r.headers.end()) << method;
    EXPECT_EQ(allow->second, "POST");
  }
}

// A TCP connection to 127.0.0.1:port; with a tiny receive buffer when asked.
int Connect(int port, int receive_buffer = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Sockets {
  std::vector<int> fds;
  ~Sockets() {
    for (int fd : fds) ::close(fd);
  }
};

TEST_F(WebListener, MaxRequestsAnswers503WhileAScrapeIsInFlight) {
  // A /metrics far larger than loopback socket buffers absorb (~2 MB measured even against a
  // 1 KiB receive buffer): 400 connections with 4 KiB names, in per-connection series.
  FaultUpstream upstream;
  upstream.Serve("/varz", 200, ReadFile(FixtureDir() / "varz.json"));
  const std::string long_name(4096, 'n');
  Json connz = {{"total", 400}, {"offset", 0}, {"limit", 4096}, {"connections", Json::array()}};
  for (int cid = 1; cid <= 400; ++cid)
    connz["connections"].push_back({{"cid", cid}, {"name", long_name + std::to_string(cid)}});
  upstream.Serve("/connz", 200, connz.dump());
  Farrier f({"--nats.monitor-url", upstream.url(), "--poll.interval", "500ms", "--poll.timeout", "400ms",
             "--no-collector.routez", "--no-collector.subsz", "--no-collector.jsz", "--no-collector.healthz",
             "--connz.detail", "--connz.detail-limit", "1000", "--web.max-requests", "1"});
  auto full = f.WaitFor(
      [](const Scrape& s) {
        return s.Value("nats_connz_connections", {{"kind", "client"}}) == 400;
      },
      10s);
  ASSERT_TRUE(full) << f.Metrics().Describe();
  ASSERT_GT(full->response.body.size(), 8u << 20) << "too small to hold a scrape open";

  // One scrape that never reads its answer: it stays in flight until the write timeout.
  Sockets held;
  held.fds.push_back(Connect(f.port(), 1024));
  ASSERT_GE(held.fds[0], 0);
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(::send(held.fds[0], request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  // Once its first bytes arrive, the server is writing it.
  char byte;
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return ::recv(held.fds[0], &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1; },
                                       10s));

  auto started = std::chrono::steady_clock::now();
  HttpResponse second = f.Get("/metrics", 5s);
  EXPECT_EQ(second.status, 503) << second.error;
  EXPECT_NE(second.body.find("--web.max-requests=1"), std::string::npos) << second.body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "the 503 should come at once, not after a wait";
  EXPECT_EQ(f.Get("/healthz").status, 200) << "only /metrics is limited";

  // Closing the held connection ends its write, and the slot is free again.
  ::close(held.fds[0]);
  held.fds.clear();
  EXPECT_TRUE(farrier::test::WaitUntil([&] { return f.Get("/metrics", 10s).status == 200; }, 15s, 200ms));
}

TEST_F(WebListener, SilentClientsStallNeitherScrapesNorPolling) {
  NatsServer server;
  Farrier f({"--nats.monitor-url", server.monitor_url(), "--poll.interval", "200ms", "--poll.timeout", "150ms"});
  auto before = f.WaitForPolls(1, 10s);
  ASSERT_TRUE(before);

  // httplib's own pool has 8 threads (CPPHTTPLIB_THREAD_POOL_COUNT on this build); each of these
  // would hold one for the keep-alive timeout.
  Sockets silent;
  for (int i = 0; i < 40; ++i) {
    int fd = Connect(f.port());
    ASSERT_GE(fd, 0);
    silent.fds.push_back(fd);
  }
  // Some that start a request and stop half-way through the request line.
  for (int i = 0; i < 8; ++i) {
    int fd = Connect(f.port());
    ASSERT_GE(fd, 0);
    ::send(fd, "GET /metr", 9, 0);
    silent.fds.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);  // let the listener accept them all

  auto started = std::chrono::steady_clock::now();
  Scrape s = f.Metrics();
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(s.ok()) << s.response.error;
  EXPECT_LT(elapsed, 2s) << "a scrape waited behind silent clients";
  started = std::chrono::steady_clock::now();
  EXPECT_EQ(f.Get("/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  // Polling went on meanwhile.
  EXPECT_TRUE(f.WaitForPolls(s.Polls() + 3, 5s)) << "polling stalled";

  // More silent clients than the listener's thread cap (64): scrapes wait, but only until the
  // keep-alive timeout (5 s) frees the threads, not for good.
  for (int i = 0; i < 40; ++i) {
    int fd = Connect(f.port());
    ASSERT_GE(fd, 0);
    silent.fds.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);
  started = std::chrono::steady_clock::now();
  Scrape late = f.Metrics();  // 5 s client timeout per read
  if (!late.ok()) late = f.Metrics();
  elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(late.ok()) << late.response.error;
  EXPECT_LT(elapsed, 12s);
  EXPECT_GT(late.Polls(), s.Polls()) << "polling stalled";
}

}  // namespace
}  // namespace farrier::itest
