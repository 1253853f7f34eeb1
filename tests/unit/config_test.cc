// LoadConfig: the option table behind flags, FARRIER_* variables and the JSON file. Each error
// must name its culprit (flag, variable, file and JSON path) and say what was expected.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"

namespace farrier {
namespace {

class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("farrier-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".json");
    std::ofstream(path_) << text;
  }
  ~ConfigFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

std::string ErrorOf(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  Result<LoadedConfig> r = LoadConfig(args, env);
  return r ? std::string("(no error)") : r.error();
}

TEST(Config, DefaultsAreDocumentedValues) {
  Result<LoadedConfig> r = LoadConfig({}, {});
  ASSERT_TRUE(r) << r.error();
  const Config& c = r->config;
  EXPECT_EQ(c.monitor_url.Origin(), "http://127.0.0.1:8222");
  EXPECT_EQ(c.listener.listen_address.host, "0.0.0.0");
  EXPECT_EQ(c.listener.listen_address.port, 7778);
  EXPECT_EQ(c.poll.interval, std::chrono::seconds(5));
  EXPECT_EQ(c.poll.timeout, std::chrono::seconds(3));
  for (const char* on : {"varz", "connz", "routez", "subsz", "jsz", "healthz"}) {
    EXPECT_TRUE(c.CollectorEnabled(on)) << on;
  }
  for (const char* off : {"leafz", "gatewayz", "accstatz"}) {
    EXPECT_FALSE(c.CollectorEnabled(off)) << off;
  }
  EXPECT_FALSE(c.poll.sources.connz_detail);
  EXPECT_TRUE(c.poll.sources.jsz.leader_only);
  EXPECT_TRUE(c.poll.sources.jsz.fold_ephemeral);
}

TEST(Config, FlagsInBothSpellingsAndNegatedBooleans) {
  Result<LoadedConfig> r = LoadConfig({"--poll.interval=2s", "--poll.timeout", "750ms", "--collector.leafz",
                                       "--no-collector.connz", "--web.listen-address=[::1]:9000",
                                       "--poll.max-body-bytes=1MiB"},
                                      {});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.poll.interval, std::chrono::seconds(2));
  EXPECT_EQ(r->config.poll.timeout, std::chrono::milliseconds(750));
  EXPECT_TRUE(r->config.CollectorEnabled("leafz"));
  EXPECT_FALSE(r->config.CollectorEnabled("connz"));
  EXPECT_EQ(r->config.listener.listen_address.host, "::1");
  EXPECT_EQ(r->config.listener.listen_address.port, 9000);
  EXPECT_EQ(r->config.poll.max_body_bytes, 1u << 20);
}

TEST(Config, PrecedenceIsFlagOverEnvOverFile) {
  ConfigFile file(R"({"poll": {"interval": "10s", "timeout": "1s"}, "log": {"level": "debug"},
                      "collector": {"accstatz": true}, "connz": {"page_size": 50}})");
  Result<LoadedConfig> only_file = LoadConfig({"--config", file.path()}, {});
  ASSERT_TRUE(only_file) << only_file.error();
  EXPECT_EQ(only_file->config.poll.interval, std::chrono::seconds(10));
  EXPECT_EQ(only_file->config.log_level, "debug");
  EXPECT_TRUE(only_file->config.CollectorEnabled("accstatz"));
  EXPECT_EQ(only_file->config.poll.sources.connz_page_size, 50u);

  Result<LoadedConfig> env = LoadConfig({"--config=" + file.path()}, {"FARRIER_POLL_INTERVAL=7s", "PATH=/usr/bin"});
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->config.poll.interval, std::chrono::seconds(7));

  Result<LoadedConfig> flag = LoadConfig({"--poll.interval=3s", "--config", file.path()}, {"FARRIER_POLL_INTERVAL=7s"});
  ASSERT_TRUE(flag) << flag.error();
  EXPECT_EQ(flag->config.poll.interval, std::chrono::seconds(3));
}

// Off by default; the file's "jetstream": {"account_info": true} as the brief and the docs write it.
TEST(Config, JetStreamAccountInfoFromFlagFileAndEnvironment) {
  Result<LoadedConfig> none = LoadConfig({}, {});
  ASSERT_TRUE(none) << none.error();
  EXPECT_FALSE(none->config.jetstream_account_info);
  ConfigFile file(R"({"jetstream": {"account_info": true}})");
  Result<LoadedConfig> from_file = LoadConfig({"--config", file.path()}, {});
  ASSERT_TRUE(from_file) << from_file.error();
  EXPECT_TRUE(from_file->config.jetstream_account_info);
  Result<LoadedConfig> off = LoadConfig({"--no-jetstream.account-info", "--config", file.path()}, {});
  ASSERT_TRUE(off) << off.error();
  EXPECT_FALSE(off->config.jetstream_account_info);
  Result<LoadedConfig> env = LoadConfig({}, {"FARRIER_JETSTREAM_ACCOUNT_INFO=true"});
  ASSERT_TRUE(env) << env.error();
  EXPECT_TRUE(env->config.jetstream_account_info);
}

TEST(Config, ErrorsNameFlagAndExpectation) {
  EXPECT_EQ(ErrorOf({"--poll.interval=abc"}),
            "--poll.interval: expected a positive duration like 5s, 500ms or 1m, got \"abc\"");
  EXPECT_EQ(ErrorOf({"--poll.interval=0s"}),
            "--poll.interval: expected a positive duration like 5s, 500ms or 1m, got \"0s\"");
  EXPECT_EQ(ErrorOf({"--bogus"}), "unknown flag --bogus (see --help)");
  EXPECT_EQ(ErrorOf({"--log.level=loud"}), "--log.level: expected one of debug|info|warn|error, got \"loud\"");
  EXPECT_EQ(ErrorOf({"--connz.page-size=-5"}), "--connz.page-size: expected an integer from 1 to 100000, got \"-5\"");
  EXPECT_EQ(ErrorOf({"--poll.timeout"}), "--poll.timeout: expected a value (DURATION)");
  EXPECT_EQ(ErrorOf({"--no-poll.interval"}), "unknown flag --no-poll.interval (see --help)");
  EXPECT_NE(ErrorOf({"--nats.monitor-url=ftp://x"}).find("--nats.monitor-url: expected scheme http or https"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--nats.monitor-url=http://h:99999"}).find("expected a port number"), std::string::npos);
  EXPECT_NE(ErrorOf({"--poll.interval=1s", "--poll.timeout=2s"})
                .find("--poll.timeout: expected at most poll.interval (1s), got 2s"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--no-collector.varz"}).find("--collector.varz: cannot be disabled"), std::string::npos);
  EXPECT_NE(ErrorOf({"--web.listen-address=nowhere"}).find("--web.listen-address: expected"), std::string::npos);
}

// A timeout nobody gave follows a shorter interval; one that was given (flag, environment or
// file) must fit in it.
TEST(Config, DefaultTimeoutFollowsAShorterInterval) {
  Result<LoadedConfig> short_interval = LoadConfig({"--poll.interval=1s"}, {});
  ASSERT_TRUE(short_interval.ok()) << short_interval.error();
  EXPECT_EQ(short_interval->config.poll.timeout, std::chrono::seconds(1));
  Result<LoadedConfig> long_interval = LoadConfig({"--poll.interval=30s"}, {});
  ASSERT_TRUE(long_interval.ok()) << long_interval.error();
  EXPECT_EQ(long_interval->config.poll.timeout, std::chrono::seconds(3));
  Result<LoadedConfig> from_env = LoadConfig({"--poll.interval=1s"}, {"FARRIER_POLL_TIMEOUT=2s"});
  ASSERT_FALSE(from_env.ok());
  EXPECT_NE(from_env.error().find("poll.timeout: expected at most poll.interval (1s), got 2s"), std::string::npos);
}

// Every file the configuration names is read through the reader it is given: the file itself and
// the secrets here come from memory, and a file the reader does not have is named in the error.
TEST(Config, FilesComeThroughTheReaderItIsGiven) {
  std::map<std::string, std::string> files{
      {"/virtual/farrier.json", R"({"nats": {"token_file": "/virtual/token"}, "poll": {"interval": "2s"}})"},
      {"/virtual/token", "s3cret\n"}};
  FileReader read = [&files](const std::string& path, std::string* out, std::string* why) {
    auto it = files.find(path);
    if (it == files.end()) {
      *why = "not in this test's files";
      return false;
    }
    *out = it->second;
    return true;
  };
  Result<LoadedConfig> r = LoadConfig({"--config", "/virtual/farrier.json"}, {}, read);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->config.poll.interval, std::chrono::seconds(2));
  EXPECT_EQ(r->config.nats.token, "s3cret");
  files.erase("/virtual/token");
  r = LoadConfig({"--config", "/virtual/farrier.json"}, {}, read);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("nats.token-file: cannot read /virtual/token: not in this test's files"), std::string::npos)
      << r.error();
}

TEST(Config, EnvironmentErrorsNameTheVariable) {
  EXPECT_EQ(ErrorOf({}, {"FARRIER_POLL_INTERVAL=soon"}),
            "environment variable FARRIER_POLL_INTERVAL: expected a positive duration like 5s, "
            "500ms or 1m, got \"soon\"");
}

TEST(Config, UnknownEnvironmentVariablesAreWarningsNotErrors) {
  // Kubernetes service links: a Service named farrier injects these into every pod.
  Result<LoadedConfig> r = LoadConfig({}, {"FARRIER_PORT=tcp://10.0.0.7:7778", "FARRIER_SERVICE_HOST=10.0.0.7"});
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_EQ(r->warnings[0], "environment variable FARRIER_PORT is not a farrier option; ignored (see --help)");
}

TEST(Config, FarrierConfigNamesTheFileUnlessConfigFlagDoes) {
  ConfigFile ten(R"({"poll": {"interval": "10s"}})");
  ConfigFile twenty(R"({"poll": {"interval": "20s"}})");
  Result<LoadedConfig> env_only = LoadConfig({}, {"FARRIER_CONFIG=" + ten.path()});
  ASSERT_TRUE(env_only) << env_only.error();
  EXPECT_EQ(env_only->config.poll.interval, std::chrono::seconds(10));
  Result<LoadedConfig> flag = LoadConfig({"--config", twenty.path()}, {"FARRIER_CONFIG=" + ten.path()});
  ASSERT_TRUE(flag) << flag.error();
  EXPECT_EQ(flag->config.poll.interval, std::chrono::seconds(20));
}

TEST(Config, FileErrorsNameFileAndJsonPath) {
  ConfigFile unknown(R"({"poll": {"bogus": "1s"}})");
  EXPECT_EQ(ErrorOf({"--config", unknown.path()}),
            unknown.path() + ": $.poll.bogus: unknown field (see --help for the options)");
  ConfigFile wrong_type(R"({"poll": {"interval": 5}})");
  EXPECT_EQ(ErrorOf({"--config", wrong_type.path()}),
            wrong_type.path() + ": $.poll.interval: expected a string, got number 5");
  ConfigFile bad_value(R"({"jsz": {"leader_only": "yes"}})");
  EXPECT_EQ(ErrorOf({"--config", bad_value.path()}),
            bad_value.path() + ": $.jsz.leader_only: expected true or false, got \"yes\"");
  ConfigFile not_json("{poll: 1}");
  EXPECT_EQ(ErrorOf({"--config", not_json.path()}), not_json.path() + ": not valid JSON");
  ConfigFile array("[1, 2]");
  EXPECT_EQ(ErrorOf({"--config", array.path()}), array.path() + ": expected a JSON object at the top level");
  EXPECT_EQ(ErrorOf({"--config", "/nonexistent/farrier.json"}),
            "--config /nonexistent/farrier.json: cannot read the file: No such file or directory");
  EXPECT_EQ(ErrorOf({"--config", "/tmp"}), "--config /tmp: is a directory, expected a JSON file");
  EXPECT_EQ(ErrorOf({}, {"FARRIER_CONFIG=/nonexistent.json"}),
            "FARRIER_CONFIG /nonexistent.json: cannot read the file: No such file or directory");
}

// LoadConfigText (the fuzz target's entry point) must answer exactly as --config with a file of
// that text: same values, same errors, the cross-option checks included.
TEST(Config, TextGivesWhatTheFileGives) {
  for (const std::string text :
       {R"({"poll": {"interval": "10s", "timeout": "2s"}, "connz": {"detail": true}})",
        R"({"poll": {"interval": "1s", "timeout": "2s"}})", R"({"poll": {"bogus": "1s"}})", "{poll: 1}", "[1, 2]"}) {
    ConfigFile file(text);
    Result<LoadedConfig> from_file = LoadConfig({"--config", file.path()}, {});
    Result<LoadedConfig> from_text = LoadConfigText(text, file.path());
    ASSERT_EQ(from_file.ok(), from_text.ok()) << text;
    if (!from_file) {
      EXPECT_EQ(from_text.error(), from_file.error());
      continue;
    }
    EXPECT_EQ(from_text->config.poll.interval, from_file->config.poll.interval);
    EXPECT_EQ(from_text->config.poll.timeout, from_file->config.poll.timeout);
    EXPECT_EQ(from_text->config.poll.sources.connz_detail, from_file->config.poll.sources.connz_detail);
    EXPECT_EQ(from_text->config.poll.sources.collectors, from_file->config.poll.sources.collectors);
    EXPECT_EQ(from_text->config.config_file, file.path());
  }
}

TEST(Config, HelpAndVersionAreActions) {
  EXPECT_EQ(LoadConfig({"--help"}, {})->action, Action::kHelp);
  EXPECT_EQ(LoadConfig({"-h"}, {})->action, Action::kHelp);
  EXPECT_EQ(LoadConfig({"--version"}, {})->action, Action::kVersion);
  EXPECT_EQ(LoadConfig({"--check-config", "--poll.interval", "2s"}, {})->action, Action::kCheck);
  EXPECT_EQ(LoadConfig({"--check-config", "--poll.interval", "2s"}, {})->config.poll.interval.count(), 2000);
  EXPECT_FALSE(LoadConfig({"--check-config", "--poll.interval", "2x"}, {}));
  std::string help = HelpText();
  for (const char* option :
       {"--nats.monitor-url", "--web.listen-address", "--poll.interval", "--poll.timeout", "--log.level",
        "--log.format", "--config", "--[no-]collector.accstatz", "--connz.page-size", "--jsz.consumer-limit"}) {
    EXPECT_NE(help.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace farrier

namespace farrier {
namespace {

// Every option --help lists is in the options table of docs/configuration.md (collectors as
// `--[no-]collector.NAME`), so the two cannot drift apart.
TEST(Config, ConfigurationDocListsEveryOption) {
  std::ifstream in(std::string(FARRIER_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md not found";
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string doc = buf.str();
  std::istringstream help(HelpText());
  int checked = 0;
  for (std::string line; std::getline(help, line);) {
    if (line.rfind("  --", 0) != 0) continue;
    std::string name = line.substr(2,
                                   line.find(' ', 2) == std::string::npos ? std::string::npos : line.find(' ', 2) - 2);
    if (auto comma = name.find(','); comma != std::string::npos) name = name.substr(0, comma);
    if (name.find("collector.") != std::string::npos) name = "--[no-]collector.NAME";
    EXPECT_NE(doc.find("`" + name), std::string::npos) << name << " is in --help but not in docs/configuration.md";
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

}  // namespace
}  // namespace farrier
