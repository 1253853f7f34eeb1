// Self-test of tests/support against the real nats-server and promtool (no mocks).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/http.h"
#include "support/nats_server.h"
#include "support/ports.h"
#include "support/process.h"
#include "support/prom_text.h"
#include "support/promtool.h"
#include "support/wait.h"

namespace farrier::test {
namespace {

using namespace std::chrono_literals;

nlohmann::json Json(const std::string& url) {
  HttpResponse r = HttpGet(url);
  EXPECT_EQ(r.status, 200) << url << ": " << r.error;
  return nlohmann::json::parse(r.body, nullptr, false);
}

bool PidAlive(pid_t pid) { return ::kill(pid, 0) == 0; }

// Reads the INFO line a NATS server sends on connect: proves the client port is the real one.
std::string ReadNatsInfo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) out.assign(buf, n);
  }
  ::close(fd);
  return out;
}

// ---------------------------------------------------------------- wait / ports
TEST(WaitUntil, TrueAndTimeout) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil([&] { return ++calls == 3; }, 1s, 1ms));
  EXPECT_FALSE(WaitUntil([] { return false; }, 30ms, 5ms));
}

// Bind or connect to 127.0.0.1:port; 0 or the errno.
int TryLoopback(int port, bool connect) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto* a = reinterpret_cast<sockaddr*>(&addr);
  int rc = connect ? ::connect(fd, a, sizeof(addr)) : ::bind(fd, a, sizeof(addr));
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

TEST(Ports, RefusedAndUnbindableWhileHeldBindableOnceReleased) {
  RefusedLoopbackPort held;
  EXPECT_GT(held.port(), 0);
  EXPECT_EQ(held.url(), "http://127.0.0.1:" + std::to_string(held.port()));
  EXPECT_EQ(TryLoopback(held.port(), /*connect=*/true), ECONNREFUSED);
  EXPECT_EQ(TryLoopback(held.port(), /*connect=*/false), EADDRINUSE);
  RefusedLoopbackPort other;
  EXPECT_NE(other.port(), held.port());
  EXPECT_EQ(held.Release(), held.port());
  EXPECT_EQ(TryLoopback(held.port(), /*connect=*/false), 0);
}

// ---------------------------------------------------------------- ChildProcess
TEST(ChildProcess, CapturesOutputAndStopsWithSigterm) {
  ChildProcess p({"sh", "-c", "echo hello-out; echo hello-err >&2; exec sleep 30"});
  EXPECT_TRUE(p.WaitForOutput("hello-out", 5s));
  EXPECT_TRUE(p.WaitForOutput("hello-err", 5s));
  EXPECT_EQ(p.ReadStdout(), "hello-out\n");
  EXPECT_EQ(p.ReadStderr(), "hello-err\n");
  EXPECT_TRUE(p.Running());
  EXPECT_EQ(p.Stop(5s), 128 + SIGTERM);
  EXPECT_FALSE(p.Running());
  EXPECT_FALSE(p.Signal(SIGTERM));  // reaped: never signal a PID that may have been reused
}

TEST(ChildProcess, ExitCodeEnvAndStdin) {
  ChildProcess p(ChildProcessOptions{.argv = {"sh", "-c", "echo \"$FARRIER_X\"; exit 7"},
                                     .env = {{"FARRIER_X", "from-env"}, {"PATH", "/usr/bin:/bin"}}});
  EXPECT_EQ(p.WaitExit(5s), 7);
  EXPECT_EQ(p.ReadStdout(), "from-env\n");

  TempDir dir;
  std::ofstream(dir.path() / "in.txt") << "piped-in\n";
  ChildProcess cat(ChildProcessOptions{.argv = {"cat"}, .stdin_path = dir.path() / "in.txt"});
  EXPECT_EQ(cat.WaitExit(5s), 0);
  EXPECT_EQ(cat.ReadStdout(), "piped-in\n");
}

TEST(ChildProcess, MissingBinaryThrows) {
  EXPECT_THROW(ChildProcess({"farrier-definitely-not-a-binary"}), std::runtime_error);
  EXPECT_THROW(ChildProcess({"/nonexistent/bin"}), std::runtime_error);
}

TEST(ChildProcess, WaitForOutputGivesUpWhenChildExits) {
  ChildProcess p({"sh", "-c", "echo bye"});
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p.WaitForOutput("never printed", 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ChildProcess, DestructorKillsByPid) {
  pid_t pid;
  {
    ChildProcess p({"sleep", "60"});
    pid = p.pid();
    EXPECT_TRUE(PidAlive(pid));
  }
  EXPECT_FALSE(PidAlive(pid));  // killed and reaped (not a zombie)
}

TEST(ChildProcess, StopResumesAPausedChild) {
  // A SIGSTOPped child cannot act on SIGTERM; Stop() must SIGCONT it rather than escalate.
  ChildProcess p({"sleep", "60"});
  ASSERT_TRUE(p.Signal(SIGSTOP));
  EXPECT_EQ(p.Stop(5s), 128 + SIGTERM);
}

TEST(ChildProcess, DoesNotLeakParentFds) {
  int sock = ::socket(AF_INET, SOCK_STREAM, 0);  // deliberately without SOCK_CLOEXEC
  ASSERT_EQ(::dup2(sock, 100), 100);             // dup2'd fds never have FD_CLOEXEC
  ChildProcess p({"sh", "-c", "if [ -e /proc/self/fd/100 ]; then echo leaked; else echo clean; fi"});
  EXPECT_EQ(p.WaitExit(5s), 0);
  ::close(100);
  ::close(sock);
  EXPECT_EQ(p.ReadStdout(), "clean\n");
}

// ---------------------------------------------------------------- HTTP
TEST(Http, ConnectionRefusedIsAnErrorNotAThrow) {
  RefusedLoopbackPort nobody;
  HttpResponse r = HttpGet(nobody.url() + "/x", 1s);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(HttpGet("not a url").error.empty());
}

// ---------------------------------------------------------------- NatsServer
TEST(NatsServer, StartsOnLoopbackAndServesMonitoring) {
  NatsServer s(NatsServerOptions{.name = "selftest-basic"});
  EXPECT_EQ(s.name(), "selftest-basic");
  EXPECT_EQ(s.client_url(), "nats://127.0.0.1:" + std::to_string(s.client_port()));
  HttpResponse varz = HttpGet(s.monitor_url() + "/varz");
  ASSERT_TRUE(varz.ok()) << varz.error;
  EXPECT_EQ(varz.content_type, "application/json");
  EXPECT_EQ(varz.headers.count("content-type"), 1u);  // case-insensitive header lookup
  auto j = nlohmann::json::parse(varz.body);
  EXPECT_EQ(j["server_name"], "selftest-basic");
  EXPECT_EQ(j["port"], s.client_port());
  EXPECT_EQ(ReadNatsInfo(s.client_port()).rfind("INFO {", 0), 0u);
  EXPECT_EQ(s.Stop(), 0);  // SIGINT -> clean exit 0 (SIGTERM would give 1)
  EXPECT_FALSE(s.Running());
}

TEST(NatsServer, RestartKeepsPortsAndJetStreamStore) {
  NatsServer s(NatsServerOptions{.jetstream = true});
  const pid_t first = s.pid();
  const int client = s.client_port(), monitor = s.monitor_port();
  auto jsz = Json(s.monitor_url() + "/jsz");
  EXPECT_EQ(jsz["config"]["store_dir"], (s.store_dir() / "jetstream").string());
  EXPECT_EQ(jsz["config"]["max_memory"], 256 * 1024 * 1024);

  s.Restart();
  EXPECT_NE(s.pid(), first);
  EXPECT_FALSE(PidAlive(first));
  EXPECT_EQ(s.client_port(), client);
  EXPECT_EQ(s.monitor_port(), monitor);
  EXPECT_EQ(Json(s.monitor_url() + "/jsz")["config"]["store_dir"], (s.store_dir() / "jetstream").string());
  EXPECT_TRUE(std::filesystem::is_directory(s.store_dir() / "jetstream"));
}

TEST(NatsServer, PauseResumeAndKill) {
  NatsServer s;
  s.Pause();
  HttpResponse paused = HttpGet(s.monitor_url() + "/healthz", 300ms);
  EXPECT_FALSE(paused.ok()) << "a SIGSTOPped server answered";
  EXPECT_TRUE(s.Running());
  s.Resume();
  EXPECT_TRUE(HttpGet(s.monitor_url() + "/healthz").ok());

  const pid_t pid = s.pid();
  EXPECT_EQ(s.Kill(), 128 + SIGKILL);
  EXPECT_FALSE(PidAlive(pid));
  EXPECT_FALSE(HttpGet(s.monitor_url() + "/healthz", 300ms).ok());
  s.Restart();  // after a kill, same ports again
  EXPECT_TRUE(HttpGet(s.monitor_url() + "/healthz").ok());
}

TEST(NatsServer, StartupFailureReportsLogTail) {
  try {
    NatsServer s(NatsServerOptions{.extra_config = "this is { not valid"});
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("exited with code"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--- log tail ---"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not valid"), std::string::npos) << msg;  // the config is echoed
  }
}

// The other servers a node has routes to, by remote_id: one route each on 2.9, a pool of them
// from 2.10 on.
std::set<std::string> RoutePeers(const NatsServer& node) {
  std::set<std::string> ids;
  auto routez = Json(node.monitor_url() + "/routez");
  for (const auto& r : routez.value("routes", nlohmann::json::array())) ids.insert(r.value("remote_id", ""));
  return ids;
}

// Each node is routed to the other two (/routez peers and /varz remotes) and, once the pools
// are complete, holds the route connections its version makes for two peers (2.9: 2; 2.10 and
// later: 2 x (pool of 3 + 1 for $SYS) = 8).
void ExpectMeshOfThree(const std::vector<std::unique_ptr<NatsServer>>& nodes) {
  for (auto& n : nodes) {
    SCOPED_TRACE(n->name());
    EXPECT_EQ(RoutePeers(*n).size(), 2u);
    EXPECT_EQ(Json(n->monitor_url() + "/varz")["remotes"], 2);
    const int expected = ExpectedRouteConnections(*n, 2);
    EXPECT_TRUE(WaitUntil([&] { return Json(n->monitor_url() + "/routez")["num_routes"] == expected; }, 10s))
        << "num_routes " << Json(n->monitor_url() + "/routez")["num_routes"] << ", want " << expected;
    EXPECT_EQ(Json(n->monitor_url() + "/varz")["routes"], expected);
  }
}

TEST(NatsServer, ThreeNodeJetStreamClusterFormsAndRejoins) {
  auto nodes = StartCluster(3, /*jetstream=*/true);
  ASSERT_EQ(nodes.size(), 3u);
  ExpectMeshOfThree(nodes);
  for (auto& n : nodes) EXPECT_EQ(Json(n->monitor_url() + "/varz")["cluster"]["name"], "farrier-test");
  std::string leader = Json(nodes[0]->monitor_url() + "/jsz")["meta_cluster"].value("leader", "");
  EXPECT_FALSE(leader.empty());

  // Restart the first node on the same ports; it started with no route to a peer (the others
  // routed to it) and must rejoin both from its rewritten config.
  nodes[0]->Restart();
  EXPECT_TRUE(WaitUntil(
      [&] { return RoutePeers(*nodes[0]).size() == 2 && Json(nodes[0]->monitor_url() + "/varz")["remotes"] == 2; },
      15s));
  ExpectMeshOfThree(nodes);
}

TEST(NatsServer, LoggedPortReadsWholeLoopbackPorts) {
  const std::string log =
      "[1] [INF] Starting http monitor on 127.0.0.1:42897\n"
      "[1] [INF] Listening for client connections on 127.0.0.1:39965\n"
      "[1] [INF] Listening for route connections on 127.0.0.1:3627";  // still being written
  EXPECT_EQ(LoggedPort(log, "Starting http monitor on"), 42897);
  EXPECT_EQ(LoggedPort(log, "Listening for client connections on"), 39965);
  EXPECT_EQ(LoggedPort(log, "Listening for route connections on"), 0);
  EXPECT_EQ(LoggedPort(log, "Listening for leafnode connections on"), 0);
}

TEST(NatsServer, PlainClusterWithoutJetStream) {
  auto nodes = StartCluster(3, false, NatsServerOptions{.name = "plain", .cluster_name = "c2"});
  EXPECT_EQ(nodes[2]->name(), "plain-3");
  EXPECT_EQ(Json(nodes[2]->monitor_url() + "/varz")["cluster"]["name"], "c2");
  ExpectMeshOfThree(nodes);
}

// The server the tests start is the version asked for: FARRIER_NATS_VERSION when the version
// matrix sets it (with FARRIER_NATS_SERVER), else Debian 12's 2.9.10 on PATH.
TEST(NatsServer, VersionIsTheOneUnderTest) {
  NatsServer s;
  const NatsVersion v = ServerVersion(s);
  const char* wanted = std::getenv("FARRIER_NATS_VERSION");
  const std::string want = wanted != nullptr && *wanted != '\0' ? wanted : "2.9.10";
  EXPECT_EQ(std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch), want)
      << "FARRIER_NATS_SERVER=" << (std::getenv("FARRIER_NATS_SERVER") ? std::getenv("FARRIER_NATS_SERVER") : "");
}

// ---------------------------------------------------------------- prom_text
const char* kGood =
    "# A plain comment.\n"
    "# HELP nats_up Whether the last scrape of a source worked.\\nSecond line \\\\ done.\n"
    "# TYPE nats_up gauge\n"
    "nats_up{source=\"varz\",server=\"n1\"} 1\n"
    "nats_up{server=\"n1\",source=\"jsz\"} 0 1700000000000\n"
    "# HELP weird_total Escapes in labels.\n"
    "# TYPE weird_total counter\n"
    "weird_total{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\",} 3.5e3\n"
    "# TYPE lat_seconds histogram\n"
    "lat_seconds_bucket{le=\"0.1\"} 1\n"
    "lat_seconds_bucket{le=\"+Inf\"} 2\n"
    "lat_seconds_sum 0.3\n"
    "lat_seconds_count 2\n"
    "# TYPE rpc summary\n"
    "rpc{quantile=\"0.5\"} NaN\n"
    "rpc_sum 1\n"
    "rpc_count 1\n"
    "untyped_thing +Inf\n"
    "neg -Inf\n";

TEST(PromText, ParsesEscapesTypesAndSpecialValues) {
  std::string error;
  auto e = PromExposition::Parse(kGood, &error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(e->Value("nats_up", {{"source", "varz"}}), 1.0);
  EXPECT_EQ(e->Value("nats_up", {{"source", "jsz"}}), 0.0);
  EXPECT_EQ(e->Value("nats_up"), std::nullopt);  // ambiguous: two series
  EXPECT_EQ(e->SamplesOf("nats_up").size(), 2u);
  EXPECT_EQ(e->SamplesOf("nats_up", {{"source", "jsz"}}).at(0).timestamp_ms, 1700000000000);
  EXPECT_EQ(e->Help("nats_up"), "Whether the last scrape of a source worked.\nSecond line \\ done.");
  EXPECT_EQ(e->Type("nats_up"), "gauge");
  auto weird = e->SamplesOf("weird_total").at(0);
  EXPECT_EQ(weird.labels.at("path"), "C:\\dir");
  EXPECT_EQ(weird.labels.at("quote"), "say \"hi\"");
  EXPECT_EQ(weird.labels.at("nl"), "a\nb");
  EXPECT_EQ(weird.value, 3500.0);
  EXPECT_EQ(e->Type("lat_seconds"), "histogram");
  EXPECT_EQ(e->SamplesOf("lat_seconds_bucket").at(1).family, "lat_seconds");
  EXPECT_EQ(e->Value("lat_seconds_bucket", {{"le", "+Inf"}}), 2.0);
  EXPECT_TRUE(std::isnan(*e->Value("rpc", {{"quantile", "0.5"}})));
  EXPECT_EQ(e->Type("untyped_thing"), "untyped");
  EXPECT_EQ(e->Value("untyped_thing"), INFINITY);
  EXPECT_EQ(e->Value("neg"), -INFINITY);
  EXPECT_FALSE(e->HasFamily("lat_seconds_bucket"));
  EXPECT_TRUE(e->HasFamily("rpc"));
  EXPECT_EQ(e->Type("nope"), std::nullopt);
}

TEST(PromText, RejectsMalformedLines) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"x 1", "missing final newline"},
      {"x{a=\"b} 1\n", "unterminated"},
      {"x{a=\"\\q\"} 1\n", "invalid escape"},
      {"x{a=\"1\",a=\"2\"} 1\n", "duplicate label"},
      {"x{__name__=\"y\"} 1\n", "reserved label"},
      {"x{1a=\"1\"} 1\n", "invalid label name"},
      {"x{a=\"1\"} one\n", "invalid value"},
      {"x 1\r\n", "invalid value"},
      {"x\n", "missing value"},
      {"x 1 12.5\n", "invalid timestamp"},
      {"x 1 2 3\n", "unexpected text"},
      {"1x 1\n", "expected a metric name"},
      {"x 1\nx 2\n", "duplicate series"},
      {"x 1\ny 1\nx{a=\"b\"} 1\n", "not one contiguous group"},
      {"# TYPE x gauge\n# TYPE x gauge\n", "second TYPE"},
      {"# HELP x a\n# HELP x b\n", "second HELP"},
      {"x 1\n# TYPE x gauge\n", "after its samples"},
      {"# TYPE x flux\n", "invalid TYPE"},
      {"# HELP x bad \\t escape\n", "invalid escape in HELP"},
      {"# TYPE h histogram\nh_bucket 1\n", "without \"le\""},
      {"# TYPE h histogram\nh 1\n", "needs a _bucket"},
      {"# TYPE s summary\ns 1\n", "without \"quantile\""},
  };
  for (const auto& [text, want] : bad) {
    std::string error;
    EXPECT_FALSE(PromExposition::Parse(text, &error)) << text;
    EXPECT_NE(error.find(want), std::string::npos) << "input: " << text << "\nerror: " << error;
  }
  std::string error;
  PromExposition::Parse("# HELP ok fine\nok 1\nbad{ 1\n", &error);
  EXPECT_EQ(error.rfind("line 3: ", 0), 0u) << error;
}

// ---------------------------------------------------------------- promtool
TEST(Promtool, AcceptsGoodTextAndFlagsProblems) {
  auto good = PromtoolCheckMetrics("# HELP farrier_up Up.\n# TYPE farrier_up gauge\nfarrier_up 1\n");
  EXPECT_TRUE(good.ok) << good.output;

  // Lint problem: parses fine, exit 3 with a message naming the metric.
  auto lint = PromtoolCheckMetrics("# HELP foo A counter.\n# TYPE foo counter\nfoo 1\n");
  EXPECT_FALSE(lint.ok);
  EXPECT_EQ(lint.exit_code, 3);
  EXPECT_NE(lint.output.find("foo counter metrics should have \"_total\" suffix"), std::string::npos) << lint.output;

  // Parse error: exit 1.
  auto broken = PromtoolCheckMetrics("foo{a=\"b} 1\n");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find("text format parsing error"), std::string::npos) << broken.output;
}

TEST(Promtool, AgreesWithParserOnTheGoodSample) {
  // kGood has a comment-only TYPE without HELP, so promtool lints "no help text" (exit 3)
  // but must not report a parse error (exit 1).
  auto r = PromtoolCheckMetrics(kGood);
  EXPECT_NE(r.exit_code, 1) << r.output;
}

}  // namespace
}  // namespace farrier::test
