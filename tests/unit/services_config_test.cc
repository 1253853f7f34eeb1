// The `nats` and `services` parts of the configuration: defaults, inheritance of --probe.*,
// secret files, and errors that name the file, the JSON path and what was expected.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"

namespace farrier {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("farrier-services-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

Result<LoadedConfig> LoadText(const std::string& json, std::vector<std::string> args = {},
                              const std::vector<std::string>& env = {}) {
  TempFile file(json);
  args.insert(args.begin(), {"--config", file.path()});
  return LoadConfig(args, env);
}

std::string ErrorOf(const std::string& json, std::vector<std::string> args = {}) {
  Result<LoadedConfig> r = LoadText(json, std::move(args));
  return r ? std::string("(no error)") : r.error();
}

TEST(ServicesConfig, MinimalServiceGetsDocumentedDefaults) {
  Result<LoadedConfig> r = LoadText(R"({"services": [{"name": "echo", "subject": "api.echo"}]})");
  ASSERT_TRUE(r) << r.error();
  const Config& c = r->config;
  ASSERT_EQ(c.services.size(), 1u);
  const ServiceConfig& s = c.services[0];
  EXPECT_EQ(s.name, "echo");
  EXPECT_EQ(s.subject, "api.echo");
  EXPECT_TRUE(s.probe.enabled);
  EXPECT_EQ(s.probe.interval, std::chrono::seconds(1));
  EXPECT_EQ(s.probe.timeout, std::chrono::seconds(1));
  EXPECT_EQ(s.probe.max_outstanding, 1);
  EXPECT_EQ(s.worker_concurrency, 1);
  EXPECT_EQ(s.overflow, Overflow::kDrop);
  EXPECT_DOUBLE_EQ(s.target_utilization, 0.7);
  EXPECT_DOUBLE_EQ(s.max_timeout_ratio, 0.01);
  EXPECT_EQ(s.buckets, DefaultProbeBuckets());
  EXPECT_EQ(DefaultProbeBuckets().front(), 0.00005);
  EXPECT_EQ(DefaultProbeBuckets().back(), 30);
  EXPECT_EQ(c.nats.urls, std::vector<std::string>{"nats://127.0.0.1:4222"});
  EXPECT_EQ(c.nats.name, "farrier");
}

TEST(ServicesConfig, EveryFieldIsRead) {
  TempFile payload("{\"ping\":true}");
  Result<LoadedConfig> r = LoadText(R"({
    "nats": {"url": ["nats://a:4222", "nats://b:4222"], "name": "farrier-probe"},
    "probe": {"interval": "2s", "timeout": "500ms", "buckets": [0.001, 0.01, 0.1]},
    "services": [
      {"name": "orders", "subject": "api.orders.get", "queue_group": "orders-workers",
       "probe": {"interval": "250ms", "timeout": "2s", "payload_file": ")" +
                                    payload.path() + R"(",
                 "headers": {"X-Probe": "farrier"}, "max_outstanding": 2},
       "worker_concurrency": 8, "overflow": "queue", "target_utilization": 0.6,
       "max_timeout_ratio": 0.001, "latency_slo": "300ms", "min_workers": 2, "max_workers": 40,
       "micro_service": "Orders", "latency_subject": "latency.orders", "buckets": [0.01, 0.1, 1]},
      {"name": "echo", "subject": "api.echo", "probe": {"payload": "hi", "enabled": false}}
    ]})");
  ASSERT_TRUE(r) << r.error();
  const Config& c = r->config;
  EXPECT_EQ(c.nats.urls, (std::vector<std::string>{"nats://a:4222", "nats://b:4222"}));
  EXPECT_EQ(c.nats.name, "farrier-probe");
  ASSERT_EQ(c.services.size(), 2u);
  const ServiceConfig& o = c.services[0];
  EXPECT_EQ(o.queue_group, "orders-workers");
  EXPECT_EQ(o.probe.interval, std::chrono::milliseconds(250));
  EXPECT_EQ(o.probe.timeout, std::chrono::seconds(2));
  EXPECT_EQ(o.probe.payload, "{\"ping\":true}");
  EXPECT_EQ(o.probe.headers.at("X-Probe"), "farrier");
  EXPECT_EQ(o.probe.max_outstanding, 2);
  EXPECT_EQ(o.worker_concurrency, 8);
  EXPECT_EQ(o.overflow, Overflow::kQueue);
  EXPECT_DOUBLE_EQ(o.target_utilization, 0.6);
  EXPECT_DOUBLE_EQ(o.max_timeout_ratio, 0.001);
  EXPECT_EQ(o.latency_slo, std::chrono::milliseconds(300));
  EXPECT_EQ(o.min_workers, 2);
  EXPECT_EQ(o.max_workers, 40);
  EXPECT_EQ(o.micro_service, "Orders");
  EXPECT_EQ(o.latency_subject, "latency.orders");
  EXPECT_EQ(o.buckets, (std::vector<double>{0.01, 0.1, 1}));
  // The second service inherits --probe.* from the file's "probe" section.
  const ServiceConfig& e = c.services[1];
  EXPECT_FALSE(e.probe.enabled);
  EXPECT_EQ(e.probe.payload, "hi");
  EXPECT_EQ(e.probe.interval, std::chrono::seconds(2));
  EXPECT_EQ(e.probe.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(e.buckets, (std::vector<double>{0.001, 0.01, 0.1}));
}

TEST(ServicesConfig, FlagsOverrideProbeDefaultsAndNatsUrl) {
  Result<LoadedConfig> r = LoadText(R"({"services": [{"name": "a", "subject": "x"}]})",
                                    {"--probe.interval=3s", "--nats.url=nats://h1:4222,nats://h2:4222"});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.services[0].probe.interval, std::chrono::seconds(3));
  EXPECT_EQ(r->config.nats.urls.size(), 2u);
}

TEST(ServicesConfig, ErrorsNameFileJsonPathAndExpectation) {
  struct Case {
    std::string json, expected;
  };
  const std::vector<Case> cases = {
      {R"({"services": {"name": "a"}})", "$.services: expected an array of service objects, got object"},
      {R"({"services": [{"name": "a", "subject": "x", "subjcet": "y"}]})",
       "$.services[0].subjcet: unknown field (expected one of name, subject, queue_group, probe,"},
      {R"({"services": [{"name": "a", "subject": "x", "worker_concurrency": "4"}]})",
       "$.services[0].worker_concurrency: expected an integer from 1 to 1000000, got string \"4\""},
      {R"({"services": [{"name": "a"}]})", "$.services[0].subject: required"},
      {R"({"services": [{"subject": "x"}]})", "$.services[0].name: required"},
      {R"({"services": [{"name": "a b", "subject": "x"}]})", "$.services[0].name: expected letters, digits"},
      {R"({"services": [{"name": "a", "subject": "api.*"}]})",
       "$.services[0].subject: expected a subject without wildcards"},
      {R"({"services": [{"name": "a", "subject": "x", "probe": {"interval": "-1s"}}]})",
       "$.services[0].probe.interval: expected a positive duration like \"1s\" or \"250ms\", got string \"-1s\""},
      {R"({"services": [{"name": "a", "subject": "x", "probe": {"timeout": 5}}]})",
       "$.services[0].probe.timeout: expected a positive duration"},
      {R"({"services": [{"name": "a", "subject": "x", "overflow": "spill"}]})",
       "$.services[0].overflow: expected \"drop\" or \"queue\", got \"spill\""},
      {R"({"services": [{"name": "a", "subject": "x", "target_utilization": 1.5}]})",
       "$.services[0].target_utilization: expected a number above 0 and at most 1, got number 1.5"},
      {R"({"services": [{"name": "a", "subject": "x", "max_timeout_ratio": 1}]})",
       "$.services[0].max_timeout_ratio: expected a number from 0 up to (not including) 1"},
      {R"({"services": [{"name": "a", "subject": "x", "min_workers": 5, "max_workers": 2}]})",
       "$.services[0].min_workers: expected at most max_workers (2), got 5"},
      {R"({"services": [{"name": "a", "subject": "x", "buckets": [0.1, 0.01]}]})",
       "$.services[0].buckets: expected strictly increasing bounds"},
      {R"({"services": [{"name": "a", "subject": "x", "probe": {"payload": "a", "payload_file": "/etc/hostname"}}]})",
       "$.services[0].probe: set payload or payload_file, not both"},
      {R"({"services": [{"name": "a", "subject": "x", "probe": {"payload_file": "/nonexistent/p"}}]})",
       "$.services[0].probe.payload_file: cannot read /nonexistent/p: No such file or directory"},
      {R"({"services": [{"name": "a", "subject": "x"}, {"name": "a", "subject": "y"}]})",
       "$.services[1].name: \"a\" is used by an earlier service"},
      {R"({"services": [{"name": "a", "subject": "x", "probe": {"headers": {"X": 1}}}]})",
       "$.services[0].probe.headers.X: expected a string, got number 1"},
      {R"({"nats": {"url": 5}})", "$.nats.url: expected a string or an array, got number 5"},
      {R"({"nats": {"creds_file": "/nonexistent/c.creds"}})", "--nats.creds-file: cannot read /nonexistent/c.creds"},
      {R"({"nats": {"user": "u"}})", "nats.user and nats.password-file: set both or neither"},
      {R"({"nats": {"probe": {"user": "u"}}})", "nats.probe.user and nats.probe.password-file: set both or neither"},
      {R"({"nats": {"probe": {"creds_file": "/nonexistent/p.creds"}}})",
       "--nats.probe.creds-file: cannot read /nonexistent/p.creds"},
      // A device would never end (and a FIFO would block start-up).
      {R"({"services": [{"name": "a", "subject": "x", "probe": {"payload_file": "/dev/zero"}}]})",
       "$.services[0].probe.payload_file: cannot read /dev/zero: not a regular file"},
      {R"({"nats": {"token_file": "/dev/zero"}})", "cannot read /dev/zero: not a regular file"},
  };
  for (const Case& c : cases) {
    TempFile file(c.json);
    Result<LoadedConfig> r = LoadConfig({"--config", file.path()}, {});
    ASSERT_FALSE(r) << c.json;
    EXPECT_NE(r.error().find(c.expected), std::string::npos) << "got: " << r.error() << "\nwanted: " << c.expected;
    EXPECT_NE(r.error().find(file.path()), std::string::npos) << r.error();
  }
}

TEST(ServicesConfig, SecretFilesAreReadTrimmedAndNeverQuoted) {
  TempFile token("s3cr3t-token\n");
  Result<LoadedConfig> r = LoadText("{}", {"--nats.token-file", token.path()});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.nats.token, "s3cr3t-token");

  TempFile password("hunter2\n");
  r = LoadText("{}", {"--nats.user", "probe", "--nats.password-file", password.path()});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.nats.password, "hunter2");

  // Two auth modes at once are ambiguous.
  std::string err = ErrorOf("{}", {"--nats.token-file", token.path(), "--nats.user", "u", "--nats.password-file",
                                   password.path()});
  EXPECT_NE(err.find("choose one of"), std::string::npos) << err;
  EXPECT_EQ(err.find("hunter2"), std::string::npos);
  EXPECT_EQ(err.find("s3cr3t"), std::string::npos);

  // Credentials in a URL would end up in logs: rejected without echoing them.
  err = ErrorOf("{}", {"--nats.url", "nats://bob:hunter2@127.0.0.1:4222"});
  EXPECT_NE(err.find("credentials in the URL are not accepted"), std::string::npos) << err;
  EXPECT_EQ(err.find("hunter2"), std::string::npos) << err;
}

// --nats.probe.* replaces only the probing connection's credentials: URLs, name and TLS stay
// --nats.*'s, and --nats.* itself (cluster mode's system-account user) is untouched.
TEST(ServicesConfig, ProbeCredentialsReplaceOnlyTheProbingConnectionsCredentials) {
  TempFile sys_password("sys-secret\n");
  TempFile app_password("app-secret\n");
  TempFile ca("not read here\n");
  Result<LoadedConfig> r = LoadText(R"({"nats": {"probe": {"user": "app"}}})",
                                    {"--nats.url", "tls://n1:4222,tls://n2:4222", "--nats.user", "sys",
                                     "--nats.password-file", sys_password.path(), "--nats.tls.ca-file", ca.path(),
                                     "--nats.probe.password-file", app_password.path()});
  ASSERT_TRUE(r) << r.error();
  const Config& c = r->config;
  EXPECT_EQ(c.nats.user, "sys");
  EXPECT_EQ(c.nats.password, "sys-secret");
  EXPECT_EQ(c.nats.auth_options, "nats");
  EXPECT_EQ(c.probe_nats.user, "app");
  EXPECT_EQ(c.probe_nats.password, "app-secret");
  EXPECT_EQ(c.probe_nats.auth_options, "nats.probe");
  EXPECT_EQ(c.probe_nats.urls, c.nats.urls);
  EXPECT_EQ(c.probe_nats.tls_ca_file, ca.path());

  // From the environment, and another way to authenticate than --nats.*'s.
  TempFile token("app-token\n");
  r = LoadText("{}", {"--nats.user", "sys", "--nats.password-file", sys_password.path()},
               {"FARRIER_NATS_PROBE_TOKEN_FILE=" + token.path()});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.probe_nats.token, "app-token");
  EXPECT_TRUE(r->config.probe_nats.user.empty());
  EXPECT_TRUE(r->config.probe_nats.password.empty());

  // Without them the probing connection is --nats.*'s.
  r = LoadText("{}", {"--nats.user", "sys", "--nats.password-file", sys_password.path()});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.probe_nats.user, "sys");
  EXPECT_EQ(r->config.probe_nats.password, "sys-secret");

  std::string err = ErrorOf("{}", {"--nats.probe.token-file", token.path(), "--nats.probe.user", "u",
                                   "--nats.probe.password-file", app_password.path()});
  EXPECT_NE(err.find("nats.probe: choose one of"), std::string::npos) << err;
  EXPECT_EQ(err.find("app-secret"), std::string::npos) << err;
  EXPECT_EQ(err.find("app-token"), std::string::npos) << err;
}

TEST(ServicesConfig, BucketFlagIsValidated) {
  EXPECT_NE(ErrorOf("{}", {"--probe.buckets=0.1,abc"}).find("--probe.buckets: expected bucket bounds"),
            std::string::npos);
  Result<LoadedConfig> r = LoadText("{}", {"--probe.buckets=0.5,1,2"});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.probe_buckets, (std::vector<double>{0.5, 1, 2}));
}

TEST(ServicesConfig, HelpListsTheNatsAndProbeOptions) {
  std::string help = HelpText();
  for (const char* opt :
       {"--nats.url", "--nats.creds-file", "--nats.nkey-seed-file", "--nats.token-file", "--nats.user",
        "--nats.password-file", "--nats.tls.ca-file", "--nats.tls.cert-file", "--nats.tls.key-file",
        "--nats.tls.server-name", "--nats.probe.creds-file", "--nats.probe.nkey-seed-file", "--nats.probe.token-file",
        "--nats.probe.user", "--nats.probe.password-file", "--probe.interval", "--probe.timeout", "--probe.buckets"}) {
    EXPECT_NE(help.find(opt), std::string::npos) << opt;
  }
}

}  // namespace
}  // namespace farrier

namespace farrier {
namespace {

// The first ```json block after the heading `heading` of docs/<page>; empty (and a test failure)
// when the page, the heading or the block is missing.
std::string DocJsonBlock(const std::string& page, const std::string& heading) {
  std::ifstream in(std::string(FARRIER_SOURCE_DIR) + "/docs/" + page);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string doc = buf.str();
  size_t section = doc.find("\n" + heading + "\n");
  size_t start = section == std::string::npos ? section : doc.find("```json\n", section);
  if (start == std::string::npos) {
    ADD_FAILURE() << "no ```json block after \"" << heading << "\" in docs/" << page;
    return "";
  }
  start += 8;
  return doc.substr(start, doc.find("```", start) - start);
}

// The annotated example of docs/services.md (first ```json block after "## The configuration
// file") must load. Its secret files live under /etc/farrier/; they are created in a temp dir
// instead.
TEST(ServicesConfig, DocsExampleLoads) {
  std::string json = DocJsonBlock("services.md", "## The configuration file");
  ASSERT_FALSE(json.empty());

  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("farrier-docs-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "nats-password") << "pw\n";
  std::ofstream(dir / "ca.pem") << "-----BEGIN CERTIFICATE-----\n";
  for (size_t at; (at = json.find("/etc/farrier/")) != std::string::npos;) json.replace(at, 13, dir.string() + "/");
  Result<LoadedConfig> r = LoadText(json);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(r) << r.error() << "\n" << json;
  ASSERT_EQ(r->config.services.size(), 2u);
  EXPECT_EQ(r->config.services[0].name, "orders");
  EXPECT_EQ(r->config.services[0].micro_service, "Orders");
  EXPECT_EQ(r->config.nats.urls.size(), 2u);
  EXPECT_EQ(r->config.nats.password, "pw");
}

}  // namespace
}  // namespace farrier

namespace farrier {
namespace {

// The consumers example of docs/autoscaling.md ("## JetStream consumers") loads.
TEST(ConsumersConfig, DocsExampleLoadsAndErrorsNameTheField) {
  std::string json = DocJsonBlock("autoscaling.md", "## JetStream consumers");
  ASSERT_FALSE(json.empty());
  Result<LoadedConfig> r = LoadText(json);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->config.consumers.size(), 2u);
  EXPECT_EQ(r->config.consumers[0].stream, "ORDERS");
  EXPECT_DOUBLE_EQ(r->config.consumers[0].worker_rate, 50);
  EXPECT_EQ(r->config.consumers[0].drain_time, std::chrono::minutes(2));
  EXPECT_DOUBLE_EQ(r->config.consumers[1].lag_threshold, 100);

  EXPECT_NE(ErrorOf(R"({"consumers": [{"stream": "S"}]})").find("$.consumers[0].consumer: required"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"consumers": [{"stream": "S", "consumer": "c"}]})").find("set worker_rate"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"consumers": [{"stream": "S", "consumer": "c", "lag_threshold": -1}]})")
                .find("$.consumers[0].lag_threshold: expected a number of at least 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"consumers": [{"stream": "S", "consumer": "c", "lag": 1}]})")
                .find("$.consumers[0].lag: unknown field"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"scaling": {"window": "0s"}})").find("scaling.window"), std::string::npos);
}

// The expect example of docs/services.md loads; the sized consumers are expected too.
TEST(ExpectConfig, DocsExampleLoadsWithTheSizedConsumers) {
  std::string json = DocJsonBlock("services.md", "## Expected streams and consumers");
  ASSERT_FALSE(json.empty());
  Result<LoadedConfig> r = LoadText(json);
  ASSERT_TRUE(r) << r.error();
  std::vector<ExpectedAsset> want{{"APP", "ORDERS", ""}, {"APP", "ORDERS", "PROCESSOR"}, {"APP", "ORDERS_BACKUP", ""}};
  EXPECT_EQ(r->config.poll.sources.jsz.expected, want);

  std::string with_sized = json.substr(0, json.rfind('}')) +
                           R"(, "consumers": [{"stream": "ORDERS", "consumer": "PROCESSOR", "worker_rate": 5},
                                              {"stream": "JOBS", "consumer": "W", "worker_rate": 5}]})";
  r = LoadText(with_sized);
  ASSERT_TRUE(r) << r.error() << "\n" << with_sized;
  want.insert(want.begin(), {{"", "JOBS", "W"}, {"", "ORDERS", "PROCESSOR"}});
  EXPECT_EQ(r->config.poll.sources.jsz.expected, want);
}

TEST(ExpectConfig, NothingExpectedWithoutTheSection) {
  Result<LoadedConfig> r = LoadText(R"({"services": []})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->config.poll.sources.jsz.expected.empty());
}

TEST(ExpectConfig, ErrorsNameTheFileThePathAndWhatWasExpected) {
  struct Case {
    std::string json, want;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"expect": []})", "$.expect: expected an object with \"streams\" and/or \"consumers\" arrays, got"},
           {R"({"expect": {"stream": []}})", "$.expect.stream: unknown field (expected one of streams, consumers)"},
           {R"({"expect": {"streams": {}}})", "$.expect.streams: expected an array of {\"account\", \"stream\"}"},
           {R"({"expect": {"streams": ["ORDERS"]}})", "$.expect.streams[0]: expected an object, got"},
           {R"({"expect": {"streams": [{"stream": "ORDERS"}]}})",
            "$.expect.streams[0].account: required (the JetStream account; \"$G\" without accounts)"},
           {R"({"expect": {"streams": [{"account": "A"}]}})", "$.expect.streams[0].stream: required"},
           {R"({"expect": {"streams": [{"account": "A", "stream": 5}]}})",
            "$.expect.streams[0].stream: expected a non-empty string, got"},
           {R"({"expect": {"streams": [{"account": "A", "stream": "S", "consumer": "C"}]}})",
            "$.expect.streams[0].consumer: unknown field (expected one of account, stream)"},
           {R"({"expect": {"consumers": [{"account": "A", "stream": "S"}]}})",
            "$.expect.consumers[0].consumer: required (the durable consumer's name)"},
           {R"({"expect": {"streams": [{"account": "A", "stream": "S"}, {"account": "A", "stream": "S"}]}})",
            "$.expect.streams[1]: A/S is listed twice"},
       }) {
    std::string err = ErrorOf(c.json);
    EXPECT_NE(err.find(c.want), std::string::npos) << c.json << "\n" << err;
    EXPECT_NE(err.find("farrier-services-test-"), std::string::npos) << "names the file: " << err;
  }
}

}  // namespace
}  // namespace farrier
