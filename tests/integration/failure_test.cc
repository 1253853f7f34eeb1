// When the server is down, killed, stopped or answers badly: nats_up and the per-source up
// gauges drop to 0 within two polls, the error counter counts the right reason, /metrics keeps
// answering 200 without the failed source's series, one log line marks each state change, and
// the next good poll brings everything back without a restart.
//
// "Within two polls" is checked by poll number, not wall-clock time, so a loaded machine
// cannot make it flaky: with failures contiguous, the first failing poll is
// polls_total - (errors since a healthy baseline) + 1, and it must be at most two polls after
// the last poll completed before the fault was induced (the one in flight may still succeed).
#include <gtest/gtest.h>

#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness.h"
#include "support/ports.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

const std::vector<std::string> kDefaultSources = {"varz", "connz", "routez", "subsz", "jsz", "healthz"};
const std::vector<std::string> kReasons = {"connect",     "timeout",        "read",         "tls",
                                           "http_status", "body_too_large", "invalid_json", "schema"};

// Fast polling keeps the suite short; the timeout is well under the interval.
std::vector<std::string> FastPolling(const std::string& monitor_url) {
  return {"--nats.monitor-url", monitor_url, "--poll.interval", "300ms", "--poll.timeout", "200ms"};
}

// Only the exporter's own families: every source's data is gone, nothing stale is repeated.
void ExpectOnlyExporterFamilies(const Scrape& s) {
  for (const std::string& family : s.Families()) {
    EXPECT_TRUE(ExporterOnlyFamilies().count(family)) << family << " is exported while every source is down\n"
                                                      << s.Describe();
  }
}

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// Waits for `sources` to be down with `reason` counted, after a fault induced when the poll
// counter stood at `polls_at_fault` (read after inducing it) and errors at `before` (a healthy
// scrape). Returns the outage scrape.
Scrape ExpectDown(const Farrier& f, const std::vector<std::string>& sources, const std::string& reason,
                  const Scrape& before, double polls_at_fault) {
  Scrape last;
  auto down = f.WaitFor(
      [&](const Scrape& s) {
        if (s.NatsUp()) return false;
        for (const auto& src : sources) {
          if (s.SourceUp(src) || s.Errors(src, reason) <= before.Errors(src, reason)) return false;
        }
        return true;
      },
      10s, &last);
  if (!down) {
    ADD_FAILURE() << "sources not down with reason " << reason << " within 10s\n"
                  << last.Describe() << "\n--- farrier stderr ---\n"
                  << f.Stderr();
    return last;
  }
  const Scrape& s = *down;
  EXPECT_EQ(s.response.status, 200);
  for (const auto& src : sources) {
    SCOPED_TRACE("source " + src);
    double failed = s.Errors(src) - before.Errors(src);
    double first_failed_poll = s.Polls() - failed + 1;
    EXPECT_LE(first_failed_poll, polls_at_fault + 2)
        << "the first poll after the fault did not fail (polls " << s.Polls() << ", failures " << failed
        << ", polls when the fault started " << polls_at_fault << ")";
    EXPECT_EQ(s.Value("nats_exporter_source_up", {{"source", src}}), 0);
  }
  EXPECT_EQ(s.Value("nats_up"), 0);
  return s;
}

// Waits for every source in `sources` to be up again after the cause was removed when the poll
// counter stood at `polls_at_fix`; `outage` is a scrape taken during the outage.
Scrape ExpectRecovered(const Farrier& f, const std::vector<std::string>& sources, const Scrape& outage,
                       double polls_at_fix) {
  Scrape last;
  auto up = f.WaitFor(
      [&](const Scrape& s) {
        if (!s.NatsUp()) return false;
        for (const auto& src : sources) {
          if (!s.SourceUp(src)) return false;
        }
        return true;
      },
      10s, &last);
  if (!up) {
    ADD_FAILURE() << "no recovery within 10s\n" << last.Describe() << "\n--- farrier stderr ---\n" << f.Stderr();
    return last;
  }
  for (const auto& src : sources) {
    SCOPED_TRACE("source " + src);
    double more_failures = up->Errors(src) - outage.Errors(src);
    double first_good_poll = outage.Polls() + more_failures + 1;
    EXPECT_LE(first_good_poll, polls_at_fix + 2) << "recovery took more than one poll";
  }
  return *up;
}

// ---------------------------------------------------------------- real nats-server

TEST(Failure, ServerDownAtStartThenStarted) {
  // Refused until released right before the server starts on it: the one port in the tests
  // chosen before its server binds it, since farrier must be polling it first.
  farrier::test::RefusedLoopbackPort monitor_port;
  Farrier f(FastPolling(monitor_port.url()));

  Scrape last;
  auto down = f.WaitFor(
      [](const Scrape& s) {
        for (const auto& src : kDefaultSources) {
          if (s.Errors(src, "connect") < 2) return false;
        }
        return true;
      },
      10s, &last);
  ASSERT_TRUE(down) << last.Describe() << f.Stderr();
  EXPECT_EQ(down->response.status, 200);
  EXPECT_EQ(down->Value("nats_up"), 0);
  for (const auto& src : kDefaultSources) {
    SCOPED_TRACE(src);
    EXPECT_EQ(down->Value("nats_exporter_source_up", {{"source", src}}), 0);
    // Every poll so far failed, and with connect: the first poll already saw the outage.
    EXPECT_EQ(down->Errors(src, "connect"), down->Polls());
    EXPECT_EQ(down->Errors(src), down->Polls());
  }
  ExpectOnlyExporterFamilies(*down);

  NatsServer server({.monitor_port = monitor_port.Release()});
  double polls_at_fix = f.Metrics().Polls();
  Scrape up = ExpectRecovered(f, kDefaultSources, *down, polls_at_fix);
  EXPECT_EQ(up.Value("nats_server_connections"), 0);
  EXPECT_EQ(up.Value("nats_server_info", {{"server_name", server.name()}}), 1) << up.Describe();
  EXPECT_TRUE(up.Has("nats_connz_connections"));
  EXPECT_TRUE(up.Has("nats_jetstream_enabled"));
  EXPECT_TRUE(f.process().Running());
}

TEST(Failure, KilledThenRestartedOnTheSamePorts) {
  NatsServer server({.jetstream = true});
  RunNatskit({"js-setup", "--url", server.client_url(), "--stream", "S", "--subjects", "s.>", "--publish", "5",
              "--consumer", "D", "--fetch", "2", "--ack", "1"});
  Farrier f(FastPolling(server.monitor_url()));
  auto healthy = f.WaitFor(
      [](const Scrape& s) { return s.NatsUp() && s.Has("nats_consumer_num_pending") && s.SourceUp("connz"); }, 10s);
  ASSERT_TRUE(healthy) << f.Metrics().Describe();
  const double start_time = healthy->Number("nats_server_start_time_seconds");

  server.Kill();
  Scrape outage = ExpectDown(f, kDefaultSources, "connect", *healthy, f.Metrics().Polls());
  ExpectOnlyExporterFamilies(outage);
  // Several more polls while it stays down: still 200, still nothing stale.
  auto later = f.WaitForPolls(outage.Polls() + 3, 10s);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->response.status, 200);
  EXPECT_EQ(later->Value("nats_up"), 0);
  ExpectOnlyExporterFamilies(*later);
  for (const auto& src : kDefaultSources) {
    // Kill can break a poll mid-response (read), every later one is refused (connect).
    EXPECT_GE(later->Errors(src, "connect"), later->Errors(src) - 1) << src << later->Describe();
  }

  server.Restart();
  Scrape up = ExpectRecovered(f, kDefaultSources, *later, f.Metrics().Polls());
  // JetStream state came back from the store; farrier's values are the restarted server's. A
  // SIGKILL can lose the consumer's last delivery state, which the server writes to its store
  // asynchronously (nats-2.11.17 came back with num_pending 4 once), so the server's own
  // number is the reference: 3 as left (2 of 5 fetched), up to 5 (every delivery lost).
  double pending = -1;
  for (const auto& acc : MonitorJson(server, kJszFull).value("account_details", Json::array())) {
    for (const auto& st : acc.value("stream_detail", Json::array())) {
      for (const auto& c : st.value("consumer_detail", Json::array())) {
        if (c.value("name", "") == "D") pending = c.value("num_pending", -1.0);
      }
    }
  }
  EXPECT_GE(pending, 3);
  EXPECT_LE(pending, 5);
  EXPECT_TRUE(f.WaitFor(
      [&](const Scrape& x) {
        return x.Value("nats_consumer_num_pending", {{"consumer", "D"}}) == pending;
      },
      5s))
      << "server's num_pending " << pending << "\n"
      << f.Metrics().Describe();
  EXPECT_GT(up.Number("nats_server_start_time_seconds"), start_time);
  EXPECT_TRUE(f.process().Running());
}

TEST(Failure, StoppedWithSigstopTimesOutThenResumes) {
  NatsServer server;
  Farrier f(FastPolling(server.monitor_url()));
  auto healthy = f.WaitFor([](const Scrape& s) { return s.NatsUp() && s.SourceUp("connz"); }, 10s);
  ASSERT_TRUE(healthy) << f.Metrics().Describe();

  server.Pause();
  Scrape first = ExpectDown(f, kDefaultSources, "timeout", *healthy, f.Metrics().Polls());
  ExpectOnlyExporterFamilies(first);
  // Several polls against the frozen server: every one of them is a timeout, for every source.
  auto later = f.WaitForPolls(first.Polls() + 4, 10s);
  ASSERT_TRUE(later);
  const Scrape& outage = *later;
  ExpectOnlyExporterFamilies(outage);
  for (const auto& src : kDefaultSources) {
    EXPECT_EQ(outage.Errors(src, "timeout") - healthy->Errors(src, "timeout"),
              outage.Errors(src) - healthy->Errors(src))
        << src << ": every failure against a stopped server is a timeout\n"
        << outage.Describe() << f.Stderr();
  }
  // A poll never outlives --poll.timeout (200ms) by much, even against a frozen server.
  for (const auto& src : kDefaultSources) {
    auto d = outage.Value("nats_exporter_poll_duration_seconds", {{"source", src}});
    ASSERT_TRUE(d) << src;
    EXPECT_LT(*d, 0.2 + 0.3) << src;
    EXPECT_GE(*d, 0.15) << src;
  }

  server.Resume();
  Scrape up = ExpectRecovered(f, kDefaultSources, outage, f.Metrics().Polls());
  EXPECT_EQ(up.Value("nats_server_connections"), 0);
}

// ---------------------------------------------------------------- misbehaving upstream

// Farrier polling only /varz from a FaultUpstream that serves a real 2.9.10 capture when good.
class Upstream : public ::testing::Test {
 protected:
  void SetUp() override {
    varz_ = ReadFile(FixtureDir() / "varz.json");
    good_ = Json::parse(varz_);
    upstream_.Serve("/varz", 200, varz_);
    std::vector<std::string> args = FastPolling(upstream_.url());
    for (const char* c : {"connz", "routez", "subsz", "jsz", "healthz"}) {
      args.push_back(std::string("--no-collector.") + c);
    }
    args.insert(args.end(), {"--poll.max-body-bytes", "64KiB"});
    farrier_ = std::make_unique<Farrier>(args);
    ExpectGood();
  }

  // Up with the capture's values.
  Scrape ExpectGood() {
    Scrape last;
    auto s = farrier_->WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s, &last);
    if (!s) {
      ADD_FAILURE() << last.Describe() << farrier_->Stderr();
      return last;
    }
    EXPECT_EQ(s->Value("nats_server_connections"), good_.at("connections").get<double>());
    EXPECT_EQ(s->Value("nats_server_messages_received_total"), good_.at("in_msgs").get<double>());
    EXPECT_EQ(s->Value("nats_server_info", {{"server_id", good_.at("server_id")}}), 1);
    EXPECT_EQ(s->Families().count("nats_connz_connections"), 0u) << "connz is disabled";
    return *s;
  }

  // Installs a fault with `install`, expects outage with exactly `reason`, then recovery.
  void ExpectFault(const std::function<void()>& install, const std::string& reason) {
    Scrape healthy = ExpectGood();
    install();
    Scrape first = ExpectDown(*farrier_, {"varz"}, reason, healthy, farrier_->Metrics().Polls());
    ExpectOnlyExporterFamilies(first);
    // Several failed polls, each counted once, all with `reason`.
    Scrape outage;
    auto more = farrier_->WaitFor(
        [&](const Scrape& s) { return s.Errors("varz") >= healthy.Errors("varz") + kFailedPolls; }, 10s, &outage);
    if (more) outage = *more;
    ASSERT_TRUE(more) << outage.Describe() << farrier_->Stderr();
    EXPECT_EQ(outage.Value("nats_up"), 0);
    ExpectOnlyExporterFamilies(outage);
    for (const auto& r : kReasons) {
      double delta = outage.Errors("varz", r) - healthy.Errors("varz", r);
      if (r == reason) {
        EXPECT_EQ(delta, outage.Errors("varz") - healthy.Errors("varz")) << r;
      } else {
        EXPECT_EQ(delta, 0) << "unexpected reason " << r << "\n" << outage.Describe() << farrier_->Stderr();
      }
    }
    upstream_.Serve("/varz", 200, varz_);
    upstream_.Release();
    ExpectRecovered(*farrier_, {"varz"}, outage, farrier_->Metrics().Polls());
    EXPECT_TRUE(farrier_->process().Running());
  }

  static constexpr double kFailedPolls = 4;
  std::string varz_;
  Json good_;
  FaultUpstream upstream_;
  std::unique_ptr<Farrier> farrier_;
};

TEST_F(Upstream, Status500IsHttpStatus) {
  // Even a perfectly good body does not count when the status says the server failed.
  ExpectFault([&] { upstream_.Serve("/varz", 500, varz_); }, "http_status");
}

TEST_F(Upstream, NotFoundIsHttpStatus) {
  ExpectFault([&] { upstream_.Serve("/varz", 404, ReadFile(FixtureDir() / "not-found.txt"), "text/plain"); },
              "http_status");
}

TEST_F(Upstream, GarbageHtmlIsInvalidJson) {
  ExpectFault([&] { upstream_.Serve("/varz", 200, ReadFile(FixtureDir() / "garbage.txt"), "text/html"); },
              "invalid_json");
}

TEST_F(Upstream, TruncatedJsonIsInvalidJson) {
  ExpectFault([&] { upstream_.Serve("/varz", 200, varz_.substr(0, varz_.size() / 2)); }, "invalid_json");
}

TEST_F(Upstream, EmptyBodyIsInvalidJson) {
  ExpectFault([&] { upstream_.Serve("/varz", 200, ""); }, "invalid_json");
}

// A valid varz padded past --poll.max-body-bytes (64 KiB) to 1 MiB.
std::string Oversized(const Json& good) {
  Json big = good;
  big["padding"] = std::string(1 << 20, 'x');
  return big.dump();
}

TEST_F(Upstream, OversizedBodyIsBodyTooLarge) {
  ExpectFault([&] { upstream_.Serve("/varz", 200, Oversized(good_)); }, "body_too_large");
}

TEST_F(Upstream, OversizedChunkedBodyIsBodyTooLarge) {
  // No Content-Length: the cap must hold while streaming.
  ExpectFault([&] { upstream_.ServeChunked("/varz", Oversized(good_)); }, "body_too_large");
}

// A valid varz of exactly `size` bytes.
std::string VarzOfSize(const Json& good, size_t size) {
  Json v = good;
  v["padding"] = "";
  size_t base = v.dump().size();
  v["padding"] = std::string(size - base, 'x');
  return v.dump();
}

TEST_F(Upstream, BodyAtTheCapIsAcceptedOneByteMoreIsNot) {
  const std::string at_cap = VarzOfSize(good_, 64 * 1024);
  ASSERT_EQ(at_cap.size(), 64u * 1024);
  Scrape healthy = ExpectGood();
  upstream_.Serve("/varz", 200, at_cap);
  const int requests = upstream_.Requests("/varz");
  auto fresh = farrier_->WaitFor(
      [&](const Scrape& s) { return upstream_.Requests("/varz") >= requests + 2 && s.Polls() >= healthy.Polls() + 3; },
      10s);
  ASSERT_TRUE(fresh);
  Scrape s = farrier_->Metrics();
  EXPECT_TRUE(s.NatsUp()) << s.Describe() << farrier_->Stderr();
  EXPECT_EQ(s.Errors("varz"), 0);
  ExpectFault([&] { upstream_.Serve("/varz", 200, VarzOfSize(good_, 64 * 1024 + 1)); }, "body_too_large");
}

TEST_F(Upstream, WrongTypesAreSchema) {
  Json bad = good_;
  bad["connections"] = "many";
  ExpectFault([&] { upstream_.Serve("/varz", 200, bad.dump()); }, "schema");
}

TEST_F(Upstream, JsonArrayIsSchema) {
  ExpectFault([&] { upstream_.Serve("/varz", 200, "[1,2,3]"); }, "schema");
}

TEST_F(Upstream, HangIsTimeout) {
  ExpectFault([&] { upstream_.Hang("/varz"); }, "timeout");
}

TEST_F(Upstream, ConnectionDroppedMidResponseIsRead) {
  // Content-Length promises the whole capture; the connection closes after 100 bytes.
  ExpectFault(
      [&] {
        upstream_.Set("/varz", [this](const httplib::Request&, httplib::Response& res) {
          res.status = 200;
          res.set_content_provider(varz_.size(), "application/json",
                                   [this](size_t offset, size_t, httplib::DataSink& sink) {
                                     if (offset > 0) return false;  // abort: connection closed
                                     return sink.write(varz_.data(), 100);
                                   });
        });
      },
      "read");
}

TEST(Failure, HttpsAgainstPlainHttpIsTls) {
  FaultUpstream upstream;
  upstream.Serve("/varz", 200, ReadFile(FixtureDir() / "varz.json"));
  std::string url = upstream.url();
  url.replace(0, 4, "https");
  Farrier f({"--nats.monitor-url", url, "--poll.interval", "300ms", "--poll.timeout", "200ms", "--no-collector.connz",
             "--no-collector.routez", "--no-collector.subsz", "--no-collector.jsz", "--no-collector.healthz"});
  Scrape last;
  auto s = f.WaitFor([](const Scrape& s) { return s.Errors("varz") >= 3; }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe() << f.Stderr();
  EXPECT_EQ(s->Errors("varz", "tls"), s->Errors("varz")) << s->Describe() << f.Stderr();
  EXPECT_EQ(s->Value("nats_up"), 0);
  ExpectOnlyExporterFamilies(*s);
}

// --log.format json: every line farrier writes is one JSON object, the outage included.
TEST(Failure, JsonLogLinesAreJsonObjects) {
  const std::string varz = ReadFile(FixtureDir() / "varz.json");
  FaultUpstream upstream;
  upstream.Serve("/varz", 500, "no");
  Farrier f({"--nats.monitor-url", upstream.url(), "--poll.interval", "300ms", "--poll.timeout", "200ms",
             "--log.format", "json", "--log.level", "debug", "--no-collector.connz", "--no-collector.routez",
             "--no-collector.subsz", "--no-collector.jsz", "--no-collector.healthz"});
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.Errors("varz", "http_status") >= 2; }, 10s));
  upstream.Serve("/varz", 200, varz);
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s));
  std::string log = f.Stderr();
  int lines = 0, down = 0, recovered = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    ++lines;
    Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON object: " << line;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
    std::string msg = j.value("msg", "");
    down += msg.find("source varz down: reason=http_status") != std::string::npos;
    recovered += msg.find("source varz recovered") != std::string::npos;
  }
  EXPECT_GE(lines, 3) << log;
  EXPECT_EQ(down, 1) << log;
  EXPECT_EQ(recovered, 1) << log;
}

// e) One log line per state change, not one per failed poll.
TEST_F(Upstream, LogsOncePerStateChange) {
  Scrape healthy = ExpectGood();
  const std::string down_line = "source varz down";
  const std::string recovered_line = "source varz recovered";
  EXPECT_EQ(CountLines(farrier_->Stderr(), down_line), 0) << farrier_->Stderr();

  upstream_.Serve("/varz", 500, varz_);
  Scrape outage = ExpectDown(*farrier_, {"varz"}, "http_status", healthy, farrier_->Metrics().Polls());
  auto several = farrier_->WaitFor(
      [&](const Scrape& s) { return s.Errors("varz", "http_status") >= healthy.Errors("varz") + 5; }, 10s);
  ASSERT_TRUE(several) << farrier_->Stderr();
  std::string log = farrier_->Stderr();
  EXPECT_EQ(CountLines(log, down_line), 1) << log;
  EXPECT_EQ(CountLines(log, "reason=http_status"), 1) << log;
  EXPECT_EQ(CountLines(log, recovered_line), 0) << log;

  upstream_.Serve("/varz", 200, varz_);
  Scrape up = ExpectRecovered(*farrier_, {"varz"}, *several, farrier_->Metrics().Polls());
  ASSERT_TRUE(farrier_->WaitForPolls(up.Polls() + 3, 10s));
  log = farrier_->Stderr();
  EXPECT_EQ(CountLines(log, down_line), 1) << log;
  EXPECT_EQ(CountLines(log, recovered_line), 1) << log;

  // A second outage whose reason changes midway logs the change, once.
  Scrape healthy2 = farrier_->Metrics();
  ASSERT_TRUE(healthy2.NatsUp()) << healthy2.Describe();
  upstream_.Serve("/varz", 500, varz_);
  Scrape out2 = ExpectDown(*farrier_, {"varz"}, "http_status", healthy2, farrier_->Metrics().Polls());
  upstream_.Serve("/varz", 200, "<html>oops</html>", "text/html");
  auto changed = farrier_->WaitFor(
      [&](const Scrape& s) { return s.Errors("varz", "invalid_json") >= out2.Errors("varz", "invalid_json") + 3; },
      10s);
  ASSERT_TRUE(changed) << farrier_->Stderr();
  log = farrier_->Stderr();
  EXPECT_EQ(CountLines(log, down_line), 3) << log;
  EXPECT_EQ(CountLines(log, "reason=invalid_json"), 1) << log;
  // Each down line says why and names the request.
  std::smatch m;
  EXPECT_TRUE(std::regex_search(log, m, std::regex("source varz down: reason=http_status .*/varz.*500"))) << log;
  upstream_.Serve("/varz", 200, varz_);
  ExpectRecovered(*farrier_, {"varz"}, *changed, farrier_->Metrics().Polls());
  ASSERT_TRUE(farrier_->WaitForPolls(farrier_->Metrics().Polls() + 2, 10s));
  EXPECT_EQ(CountLines(farrier_->Stderr(), recovered_line), 2) << farrier_->Stderr();
}

}  // namespace
}  // namespace farrier::itest

namespace farrier::itest {
namespace {

// SIGTERM while a poll hangs on a stuck monitoring port (and with a probing NATS connection):
// farrier abandons the poll and exits 0 within a second, not after --poll.timeout (5 s here).
TEST(Shutdown, SigtermDuringAHungPollExitsWithinOneSecond) {
  FaultUpstream upstream;
  upstream.Hang("/varz");
  upstream.Hang("/connz");
  NatsServer nats;
  farrier::test::TempDir dir("farrier-shutdown");
  std::ofstream(dir.path() / "farrier.json")
      << Json{{"services", {{{"name", "echo"}, {"subject", "api.echo"}}}}}.dump();
  Farrier f({"--config", (dir.path() / "farrier.json").string(), "--nats.monitor-url", upstream.url(), "--nats.url",
             nats.client_url(), "--poll.interval", "6s", "--poll.timeout", "5s"});
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return upstream.Requests("/varz") > 0; }, 5s));
  std::this_thread::sleep_for(200ms);  // the poll is now waiting on the hung requests
  const Farrier::Stopped stopped = f.Terminate();
  upstream.Release();
  EXPECT_EQ(stopped.code, 0) << f.Stderr();
  EXPECT_LT(stopped.took, 1s) << "shutdown took " << stopped.took.count() << " s\n" << f.Stderr();
}

// SIGTERM while the NATS server itself hangs (SIGSTOP): the monitoring port and the probing
// connection are both stuck. Still within a second.
TEST(Shutdown, SigtermWhileTheNatsServerHangsExitsWithinOneSecond) {
  NatsServer nats;
  farrier::test::TempDir dir("farrier-shutdown");
  std::ofstream(dir.path() / "farrier.json")
      << Json{{"services", {{{"name", "echo"}, {"subject", "api.echo"}, {"probe", {{"interval", "100ms"}}}}}}}.dump();
  Farrier f({"--config", (dir.path() / "farrier.json").string(), "--nats.monitor-url", nats.monitor_url(), "--nats.url",
             nats.client_url(), "--poll.interval", "500ms", "--poll.timeout", "400ms"});
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.Value("nats_exporter_nats_connected") == 1.0; }, 10s));
  nats.Pause();
  std::this_thread::sleep_for(700ms);  // a poll and several probes are now stuck on it
  const Farrier::Stopped stopped = f.Terminate();
  nats.Resume();
  EXPECT_EQ(stopped.code, 0) << f.Stderr();
  EXPECT_LT(stopped.took, 1s) << "shutdown took " << stopped.took.count() << " s\n" << f.Stderr();
}

}  // namespace
}  // namespace farrier::itest
