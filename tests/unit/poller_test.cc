// The poller without a network or a clock: PollOnce with fetchers that answer from a release's
// captures (CaptureFetcher) or fail as told (ScriptedFetcher). Paging, the poll deadline, error
// kinds counted by source and reason, and one log line per change of state.
#include "poll/poller.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "capture_fetcher.h"
#include "polled_snapshot.h"

namespace farrier {
namespace {

using test::CaptureFetcher;
using test::ConfigWith;

// Every source's fetcher shares one script: a path answers with its capture unless the test has
// made it fail (with a transport error kind) or serve another body. Safe across the poller's
// worker threads.
class Script {
 public:
  explicit Script(std::string release, test::Scenario scenario)
      : release_(std::move(release)), scenario_(std::move(scenario)) {}

  void Fail(const std::string& path, ErrorKind kind) {
    std::lock_guard lock(mu_);
    failures_[path] = kind;
  }
  void Serve(const std::string& path, std::string body) {
    std::lock_guard lock(mu_);
    bodies_[path] = std::move(body);
  }
  // `path` answers nothing until the poll's deadline, as a SIGSTOPped server does; the fetcher
  // then reports a timeout, as the HTTP fetcher does.
  void Hang(const std::string& path) {
    std::lock_guard lock(mu_);
    hanging_.insert(path);
  }
  // The limits the fetchers were given for the last poll, and when.
  std::pair<FetchLimits, std::chrono::steady_clock::time_point> LastLimits() const {
    std::lock_guard lock(mu_);
    return {limits_, limits_set_at_};
  }
  void Heal(const std::string& path) {
    std::lock_guard lock(mu_);
    failures_.erase(path);
    bodies_.erase(path);
    hanging_.erase(path);
  }
  int Requests(const std::string& prefix) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const std::string& p : requested_) n += p.rfind(prefix, 0) == 0;
    return n;
  }

  Poller::FetcherFactory Factory() {
    return [this]() -> std::unique_ptr<Fetcher> { return std::make_unique<ScriptedFetcher>(this); };
  }

 private:
  class ScriptedFetcher : public Fetcher {
   public:
    explicit ScriptedFetcher(Script* script) : script_(script), captures_(script->release_, script->scenario_) {}
    void StartPoll(const FetchLimits& limits) override {
      limits_ = limits;
      std::lock_guard lock(script_->mu_);
      script_->limits_ = limits;
      script_->limits_set_at_ = std::chrono::steady_clock::now();
    }
    FetchResult Fetch(const EndpointRequest& request) override {
      const std::string path = HttpTarget(request);
      {
        std::lock_guard lock(script_->mu_);
        script_->requested_.push_back(path);
        if (auto it = script_->failures_.find(path); it != script_->failures_.end()) {
          FetchResult failed;
          failed.failure = it->second;
          failed.detail = "GET " + path + ": scripted failure";
          return failed;
        }
        if (script_->hanging_.count(path)) {
          script_->mu_.unlock();
          std::this_thread::sleep_until(limits_.deadline);
          script_->mu_.lock();
          FetchResult late;
          late.failure = ErrorKind::kTimeout;
          late.detail = "GET " + path + ": no answer before the deadline";
          return late;
        }
        if (auto it = script_->bodies_.find(path); it != script_->bodies_.end()) {
          body_ = it->second;
          return {200, body_};
        }
      }
      return captures_.Fetch(request);
    }

   private:
    Script* script_;
    FetchLimits limits_;
    CaptureFetcher captures_;
    std::string body_;
  };

  std::string release_;
  test::Scenario scenario_;
  mutable std::mutex mu_;
  std::map<std::string, ErrorKind> failures_;
  std::map<std::string, std::string> bodies_;
  std::set<std::string> hanging_;
  std::vector<std::string> requested_;
  FetchLimits limits_;
  std::chrono::steady_clock::time_point limits_set_at_;
};

// Captures what spdlog's default logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string Text() const { return out_.str(); }
  size_t Count(const std::string& needle) const {
    std::string text = Text();
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

const std::string kNewest = "2.15.3";

TEST(Poller, OnePollReadsEverySourceAndPublishesOneSnapshot) {
  LogCapture log;
  Script script(kNewest, test::SingleServer());
  Poller poller(ConfigWith({}).poll, script.Factory());
  EXPECT_EQ(poller.Current()->polls, 0u);
  EXPECT_FALSE(poller.Current()->status.at("varz").polled);
  poller.PollOnce();
  std::shared_ptr<const Snapshot> s = poller.Current();
  EXPECT_EQ(s->polls, 1u);
  for (const char* source : {"varz", "connz", "routez", "subsz", "jsz", "healthz"}) {
    EXPECT_TRUE(s->status.at(source).up) << source << ": " << s->status.at(source).detail;
  }
  EXPECT_EQ(s->Local().server_name, "farrier-single");
  EXPECT_EQ(s->Local().server_version.ToString(), kNewest);
  for (const auto& [key, count] : s->errors) EXPECT_EQ(count, 0u) << key.first << " " << key.second;
}

// Every page of /connz, `limit` connections at a time, until all were seen; a connection seen
// twice (the list shifted between two requests) counts once.
TEST(Poller, ConnzIsReadPageByPage) {
  LogCapture log;
  const nlohmann::json connz = test::FixtureJsonOf(kNewest, "connz.json");
  const size_t total = connz["connections"].size();
  ASSERT_GE(total, 7u);
  Script script(kNewest, test::SingleServer());
  // Pages of 3 cut from the capture, as the server would: offset=0, 3, 6.
  for (size_t offset = 0; offset < total; offset += 3) {
    nlohmann::json page = connz;
    page["offset"] = offset;
    page["limit"] = 3;
    page["connections"] = nlohmann::json::array();
    for (size_t i = offset; i < std::min(total, offset + 3); ++i)
      page["connections"].push_back(connz["connections"][i]);
    script.Serve("/connz?offset=" + std::to_string(offset) + "&limit=3", page.dump());
  }
  Poller poller(ConfigWith({"--connz.page-size", "3"}).poll, script.Factory());
  poller.PollOnce();
  std::shared_ptr<const Snapshot> s = poller.Current();
  ASSERT_TRUE(s->Local().connz) << s->status.at("connz").detail;
  EXPECT_EQ(s->Local().connz->pages, (total + 2) / 3);
  EXPECT_EQ(s->Local().connz->clients.connections, total);
  EXPECT_EQ(script.Requests("/connz?"), static_cast<int>((total + 2) / 3));
}

TEST(Poller, FailuresAreCountedBySourceAndKind) {
  LogCapture log;  // the down lines are the next test's subject
  Script script(kNewest, test::SingleServer());
  script.Fail("/varz", ErrorKind::kTimeout);
  script.Serve(test::kJszFullPath, "<html>proxy error</html>");
  script.Serve("/routez", test::ReadFixtureOf(kNewest, "varz.json"));  // JSON, not /routez
  Poller poller(ConfigWith({}).poll, script.Factory());
  for (int i = 0; i < 3; ++i) poller.PollOnce();
  std::shared_ptr<const Snapshot> s = poller.Current();
  EXPECT_EQ(s->errors.at({"varz", "timeout"}), 3u);
  EXPECT_EQ(s->errors.at({"jsz", "invalid_json"}), 3u);
  EXPECT_EQ(s->errors.at({"routez", "schema"}), 3u);
  EXPECT_EQ(s->errors.at({"connz", "timeout"}), 0u);
  EXPECT_FALSE(s->status.at("varz").up);
  EXPECT_EQ(s->status.at("varz").reason, "timeout");
  EXPECT_FALSE(s->Local().varz) << "a failed source has no data, never the last good one";
  EXPECT_FALSE(s->Local().jsz);
  EXPECT_TRUE(s->Local().connz);
}

// Every source gets the poll's deadline (--poll.timeout from the start) and body limit; a source
// that hangs until then fails with timeout while the others, polled in parallel, are up.
TEST(Poller, AHangingSourceTimesOutAloneAtThePollDeadline) {
  LogCapture log;
  Script script(kNewest, test::SingleServer());
  script.Hang("/varz");
  Poller poller(ConfigWith({"--poll.timeout", "300ms", "--poll.max-body-bytes", "123456"}).poll, script.Factory());
  auto before = std::chrono::steady_clock::now();
  poller.PollOnce();
  auto after = std::chrono::steady_clock::now();
  auto [limits, given_at] = script.LastLimits();
  EXPECT_EQ(limits.max_body_bytes, 123456u);
  EXPECT_GE(limits.deadline, before + std::chrono::milliseconds(300));
  EXPECT_LE(limits.deadline, given_at + std::chrono::milliseconds(300));
  EXPECT_GE(after, limits.deadline) << "the poll waited for the hanging source";
  std::shared_ptr<const Snapshot> s = poller.Current();
  EXPECT_EQ(s->status.at("varz").reason, "timeout");
  EXPECT_EQ(s->errors.at({"varz", "timeout"}), 1u);
  EXPECT_FALSE(s->Local().varz);
  for (const char* source : {"connz", "routez", "subsz", "jsz", "healthz"}) {
    EXPECT_TRUE(s->status.at(source).up) << source << ": " << s->status.at(source).detail;
    EXPECT_LT(s->status.at(source).duration_seconds, s->status.at("varz").duration_seconds) << source;
  }
}

TEST(Poller, OneLogLinePerChangeOfState) {
  LogCapture log;
  Script script(kNewest, test::SingleServer());
  Poller poller(ConfigWith({}).poll, script.Factory());
  poller.PollOnce();
  script.Fail("/varz", ErrorKind::kConnect);
  for (int i = 0; i < 5; ++i) poller.PollOnce();
  script.Fail("/varz", ErrorKind::kTimeout);  // another reason: a new state
  for (int i = 0; i < 5; ++i) poller.PollOnce();
  script.Heal("/varz");
  for (int i = 0; i < 5; ++i) poller.PollOnce();
  EXPECT_EQ(log.Count("source varz down: reason=connect"), 1u) << log.Text();
  EXPECT_EQ(log.Count("source varz down: reason=timeout"), 1u) << log.Text();
  EXPECT_EQ(log.Count("source varz recovered"), 1u) << log.Text();
  // The server's version when first read, and again after /varz came back.
  EXPECT_EQ(log.Count("nats-server " + kNewest), 2u) << log.Text();
}

// The lame-duck capture answers /healthz with 500 (2.10+): an unhealthy verdict, logged once.
TEST(Poller, UnhealthyVerdictIsAnAnswerLoggedOnce) {
  LogCapture log;
  Script script(kNewest, test::LameDuckServer());
  Poller poller(ConfigWith({}).poll, script.Factory());
  for (int i = 0; i < 4; ++i) poller.PollOnce();
  std::shared_ptr<const Snapshot> s = poller.Current();
  ASSERT_TRUE(s->Local().healthz);
  EXPECT_TRUE(s->status.at("healthz").up);
  EXPECT_FALSE(s->Local().healthz->healthy);
  EXPECT_EQ(s->errors.at({"healthz", "http_status"}), 0u);
  EXPECT_EQ(log.Count("server reports unhealthy"), 1u) << log.Text();
}

}  // namespace
}  // namespace farrier
