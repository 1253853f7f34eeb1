// Configuration: invalid input stops farrier at start with exit code 2 and a message naming the
// culprit; flags > environment > file > defaults; --help and --version.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "harness.h"
#include "support/temp_dir.h"

namespace farrier::itest {
namespace {

using farrier::test::TempDir;

// Arguments that would let farrier start for real if it accepted the bad input, on a port the
// kernel picks (so a wrongly accepted configuration shows up as "still running").
std::vector<std::string> Harmless(std::vector<std::string> args) {
  args.push_back("--web.listen-address");
  args.push_back("127.0.0.1:0");
  return args;
}

// Runs farrier, expects exit code 2 and every needle in the one-line error on stderr.
void ExpectConfigError(const std::vector<std::string>& args, const std::vector<std::string>& needles, Env env = {}) {
  Exited r = RunFarrier(Harmless(args), env);
  ASSERT_TRUE(r.code.has_value()) << "farrier kept running; stderr:\n" << r.err;
  EXPECT_EQ(*r.code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("farrier: error: ", 0), 0u) << r.err;
  for (const auto& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << "missing \"" << n << "\" in:\n" << r.err;
  EXPECT_EQ(r.out, "") << "errors go to stderr";
}

std::filesystem::path WriteConfig(const TempDir& dir, const std::string& name, const std::string& text) {
  auto path = dir.path() / name;
  std::ofstream(path) << text;
  return path;
}

TEST(Config, BadFlagValue) {
  ExpectConfigError({"--poll.interval=abc"}, {"--poll.interval", "abc", "duration"});
  ExpectConfigError({"--poll.interval", "-5s"}, {"--poll.interval", "-5s"});
  ExpectConfigError({"--connz.page-size", "0"}, {"--connz.page-size", "\"0\""});
  ExpectConfigError({"--log.level", "loud"}, {"--log.level", "loud", "debug"});
  ExpectConfigError({"--poll.max-body-bytes", "12XB"}, {"--poll.max-body-bytes", "12XB"});
}

TEST(Config, MissingFlagValue) {
  // The value-less flag is the last argument (Harmless adds its own after, so put it alone).
  Exited r = RunFarrier({"--poll.timeout"});
  ASSERT_TRUE(r.code);
  EXPECT_EQ(*r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--poll.timeout"), std::string::npos) << r.err;
}

TEST(Config, UnknownFlag) {
  ExpectConfigError({"--poll.intervall", "5s"}, {"--poll.intervall", "unknown"});
  ExpectConfigError({"--no-poll.interval"}, {"--no-poll.interval"});
  ExpectConfigError({"stray"}, {"stray"});
}

TEST(Config, UnknownFieldInConfigFile) {
  TempDir dir;
  auto path = WriteConfig(dir, "farrier.json", R"({"poll": {"interval": "5s", "bogus": 1}})");
  ExpectConfigError({"--config", path.string()}, {path.string(), "$.poll.bogus", "unknown"});
  auto top = WriteConfig(dir, "top.json", R"({"pol": {"interval": "5s"}})");
  ExpectConfigError({"--config", top.string()}, {top.string(), "$.pol.interval"});
}

TEST(Config, WrongJsonTypeInConfigFile) {
  TempDir dir;
  auto path = WriteConfig(dir, "farrier.json", R"({"poll": {"interval": 5}})");
  ExpectConfigError({"--config", path.string()}, {path.string(), "$.poll.interval", "string"});
  auto fast = WriteConfig(dir, "fast.json", R"({"poll": {"interval": "fast"}})");
  ExpectConfigError({"--config", fast.string()}, {fast.string(), "$.poll.interval", "fast"});
  auto boolean = WriteConfig(dir, "bool.json", R"({"connz": {"detail": "yes"}})");
  ExpectConfigError({"--config", boolean.string()}, {boolean.string(), "$.connz.detail", "yes"});
  auto negative = WriteConfig(dir, "neg.json", R"({"connz": {"page_size": -1}})");
  ExpectConfigError({"--config", negative.string()}, {negative.string(), "$.connz.page_size"});
  auto syntax = WriteConfig(dir, "syntax.json", R"({"poll": {"interval": "5s",}})");
  ExpectConfigError({"--config", syntax.string()}, {syntax.string(), "JSON"});
}

// A declared asset without its account, or listed twice: farrier does not start (exit 2) and
// says which file, entry and field.
TEST(Config, BadExpectedAssetStopsFarrier) {
  TempDir dir;
  auto no_account = WriteConfig(dir, "farrier.json", R"({"expect": {"streams": [{"stream": "ORDERS"}]}})");
  ExpectConfigError({"--config", no_account.string()},
                    {no_account.string(), "$.expect.streams[0].account", "required"});
  auto twice = WriteConfig(dir, "twice.json", R"({"expect": {"consumers": [
      {"account": "APP", "stream": "ORDERS", "consumer": "C"}, {"account": "APP", "stream": "ORDERS", "consumer": "C"}]}})");
  ExpectConfigError({"--config", twice.string()}, {twice.string(), "$.expect.consumers[1]", "listed twice"});
}

TEST(Config, UnreadableConfigFile) {
  TempDir dir;
  auto missing = dir.path() / "does-not-exist.json";
  ExpectConfigError({"--config", missing.string()}, {missing.string(), "--config"});
  // A directory is not a readable configuration either.
  ExpectConfigError({"--config", dir.path().string()}, {dir.path().string()});
}

TEST(Config, TimeoutAboveInterval) {
  ExpectConfigError({"--poll.interval", "1s", "--poll.timeout", "2s"}, {"poll.timeout", "poll.interval", "2s"});
}

TEST(Config, InvalidMonitorUrl) {
  ExpectConfigError({"--nats.monitor-url", "ftp://127.0.0.1:8222"}, {"nats.monitor-url", "ftp"});
  ExpectConfigError({"--nats.monitor-url", "127.0.0.1:8222"}, {"nats.monitor-url", "127.0.0.1:8222"});
  ExpectConfigError({"--nats.monitor-url", "http://127.0.0.1:99999"}, {"nats.monitor-url", "99999"});
  ExpectConfigError({"--nats.monitor-url", "http://user:secret@127.0.0.1:8222"}, {"nats.monitor-url"});
  Exited r = RunFarrier(Harmless({"--nats.monitor-url", "http://user:secret@127.0.0.1:8222"}));
  EXPECT_EQ(r.err.find("secret"), std::string::npos) << "credentials leaked into the message: " << r.err;
}

TEST(Config, InvalidListenAddress) {
  // Given last, so it overrides Harmless's address.
  Exited r = RunFarrier({"--web.listen-address", "localhost"});
  ASSERT_TRUE(r.code);
  EXPECT_EQ(*r.code, 2) << r.err;
  EXPECT_NE(r.err.find("web.listen-address"), std::string::npos) << r.err;
}

TEST(Config, BadEnvironmentVariable) {
  ExpectConfigError({}, {"FARRIER_POLL_INTERVAL", "abc"}, {{"FARRIER_POLL_INTERVAL", "abc"}});
  ExpectConfigError({}, {"FARRIER_CONNZ_DETAIL", "maybe"}, {{"FARRIER_CONNZ_DETAIL", "maybe"}});
}

// Farrier runs as a sidecar; Kubernetes injects <SERVICE>_SERVICE_HOST, <SERVICE>_PORT, ...
// for every Service in the namespace (enableServiceLinks defaults to true), so a Service named
// "farrier" puts FARRIER_SERVICE_HOST etc. into the environment. That must not stop farrier.
TEST(Config, KubernetesServiceLinkVariablesDoNotStopFarrier) {
  const std::string& url = NobodyListens();
  Env env = {{"FARRIER_SERVICE_HOST", "10.96.0.12"},
             {"FARRIER_SERVICE_PORT", "7778"},
             {"FARRIER_PORT", "tcp://10.96.0.12:7778"},
             {"FARRIER_PORT_7778_TCP", "tcp://10.96.0.12:7778"},
             {"FARRIER_PORT_7778_TCP_ADDR", "10.96.0.12"}};
  std::unique_ptr<Farrier> f;
  try {
    f = std::make_unique<Farrier>(std::vector<std::string>{"--nats.monitor-url", url}, env);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(f->Get("/healthz").status, 200);
}

// nats-server's http_base_path: the monitor URL's path is a prefix of every request.
TEST(Config, MonitorUrlBasePathPrefixesEveryRequest) {
  FaultUpstream upstream;
  const std::string varz = ReadFile(FixtureDir() / "varz.json");
  upstream.Serve("/nats/varz", 200, varz);
  upstream.Serve("/varz", 500, "wrong path");
  Farrier f({"--nats.monitor-url", upstream.url() + "/nats/", "--poll.interval", "300ms", "--poll.timeout", "200ms",
             "--no-collector.connz", "--no-collector.routez", "--no-collector.subsz", "--no-collector.jsz",
             "--no-collector.healthz"});
  Scrape last;
  auto up = f.WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s, &last);
  ASSERT_TRUE(up) << last.Describe() << f.Stderr();
  EXPECT_EQ(up->Value("nats_server_connections"), Json::parse(varz).at("connections").get<double>());
  EXPECT_GE(upstream.Requests("/nats/varz"), 1);
  EXPECT_EQ(upstream.Requests("/varz"), 0);
}

// Landing page: "... every N ms".
std::string IntervalShown(const Farrier& f) {
  std::smatch m;
  std::string body = f.Get("/").body;
  if (!std::regex_search(body, m, std::regex("every ([0-9]+) ms"))) return "?";
  return m[1];
}

TEST(Config, PrecedenceFlagsOverEnvironmentOverFile) {
  TempDir dir;
  const std::string& url = NobodyListens();
  auto file = WriteConfig(dir, "farrier.json",
                          R"({"poll": {"interval": "7s", "timeout": "1s"}, "nats": {"monitor_url": ")" + url +
                              R"("}})");
  {
    Farrier f({"--config", file.string()});
    EXPECT_EQ(IntervalShown(f), "7000");
    EXPECT_NE(f.Get("/").body.find(url), std::string::npos) << "monitor URL from the file";
  }
  {
    Farrier f({"--config", file.string()}, {{"FARRIER_POLL_INTERVAL", "6s"}});
    EXPECT_EQ(IntervalShown(f), "6000");
  }
  {
    Farrier f({"--config", file.string(), "--poll.interval", "4500ms"}, {{"FARRIER_POLL_INTERVAL", "6s"}});
    EXPECT_EQ(IntervalShown(f), "4500");
  }
  {
    // The flag wins regardless of its position relative to --config.
    Farrier f({"--poll.interval", "2s", "--config", file.string()});
    EXPECT_EQ(IntervalShown(f), "2000");
  }
  {
    Farrier f({"--nats.monitor-url", url});
    EXPECT_EQ(IntervalShown(f), "5000") << "default";
  }
  // And through behaviour: the file's 7s interval against the environment's 300ms. The first
  // poll is immediate, so after 1.5s the 300ms interval has polled several times, 7s once.
  {
    Farrier slow({"--config", file.string()});
    Farrier fast({"--config", file.string()}, {{"FARRIER_POLL_INTERVAL", "300ms"}, {"FARRIER_POLL_TIMEOUT", "200ms"}});
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(slow.Metrics().Polls(), 1) << slow.Metrics().Describe();
    EXPECT_GE(fast.Metrics().Polls(), 3) << fast.Metrics().Describe();
  }
}

TEST(Config, HelpListsEveryOption) {
  Exited r = RunFarrier({"--help"});
  ASSERT_TRUE(r.code);
  EXPECT_EQ(*r.code, 0) << r.err;
  // The option table of docs/configuration.md is the list users read; --help must cover all of it.
  std::string doc = ReadFile(SourceDir() / "docs" / "configuration.md");
  std::regex row(R"(\n\| `(--(?:\[no-\])?[a-z][a-z0-9.-]*))");
  int options = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator(); ++it) {
    std::string option = (*it)[1];
    if (option == "--[no-]collector.NAME") {
      for (const char* c : {"varz", "connz", "routez", "subsz", "jsz", "healthz", "leafz", "gatewayz", "accstatz"}) {
        std::string flag = std::string("--[no-]collector.") + c;
        EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " missing from --help:\n" << r.out;
      }
    } else {
      EXPECT_NE(r.out.find(option), std::string::npos) << option << " missing from --help:\n" << r.out;
    }
    ++options;
  }
  EXPECT_GE(options, 15) << "option table of docs/configuration.md not found";
  for (const char* extra : {"--help", "--version", "FARRIER_", "(default: 5s)"}) {
    EXPECT_NE(r.out.find(extra), std::string::npos) << extra << "\n" << r.out;
  }
}

TEST(Config, Version) {
  Exited r = RunFarrier({"--version"});
  ASSERT_TRUE(r.code);
  EXPECT_EQ(*r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("farrier ") + FARRIER_EXPECTED_VERSION + "\n");
}

// --check-config loads like a start (the secret file is read) and exits without serving or
// polling: 0 with a summary, 2 naming what is wrong.
TEST(Config, CheckConfig) {
  TempDir dir;
  std::filesystem::path password = dir.path() / "password";
  std::ofstream(password) << "hunter2-not-shown\n";
  std::filesystem::path file = WriteConfig(dir, "farrier.json",
                                           R"({"nats": {"system_account": true, "user": "sys", "password_file": ")" +
                                               password.string() + R"("},
        "services": [{"name": "orders", "subject": "api.orders"}]})");
  Exited ok = RunFarrier({"--config", file.string(), "--check-config"});
  ASSERT_TRUE(ok.code);
  EXPECT_EQ(*ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out,
            "farrier: configuration OK (" + file.string() + "): cluster mode over $SYS, 1 service(s), 0 consumer(s)\n");

  std::filesystem::remove(password);
  Exited missing = RunFarrier({"--check-config", "--config", file.string()});
  ASSERT_TRUE(missing.code);
  EXPECT_EQ(*missing.code, 2);
  EXPECT_NE(missing.err.find("--nats.password-file: cannot read " + password.string()), std::string::npos)
      << missing.err;
  EXPECT_EQ(missing.out, "");

  Exited typo = RunFarrier({"--check-config", "--poll.intervall", "5s"});
  ASSERT_TRUE(typo.code);
  EXPECT_EQ(*typo.code, 2);
  EXPECT_NE(typo.err.find("unknown flag --poll.intervall"), std::string::npos) << typo.err;
}

}  // namespace
}  // namespace farrier::itest
