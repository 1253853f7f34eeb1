// Configuration reload on SIGHUP against a real nats-server: a service added to the file is
// probed after the reload (the poll counters go on), and removed again its series go; an invalid file is refused with the
// file and field named, the running configuration keeps working and the refusal is exported.
// Also the per-family series cap (--metrics.max-series-per-family) and its dropped counter.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>

#include "harness.h"
#include "support/http.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

using farrier::test::TempDir;

class Reload : public ::testing::Test {
 protected:
  void Write(const Json& config) { std::ofstream(file()) << config.dump(2); }
  void WriteText(const std::string& text) { std::ofstream(file()) << text; }
  std::string file() const { return (dir_.path() / "farrier.json").string(); }
  Json Base() const {
    return Json{{"nats", {{"url", server_.client_url()}, {"monitor_url", server_.monitor_url()}}},
                {"poll", {{"interval", "300ms"}, {"timeout", "250ms"}}}};
  }
  static Json Service() {
    return Json{{"name", "echo"},
                {"subject", "api.echo"},
                {"queue_group", "workers"},
                {"probe", {{"interval", "100ms"}, {"timeout", "100ms"}}}};
  }
  static double Probes(const Scrape& s) { return s.Number("nats_service_probes_total", {{"service", "echo"}}); }
  static double ReloadOk(const Scrape& s) {
    return s.Value("nats_exporter_config_last_reload_successful").value_or(-1);
  }

  TempDir dir_{"farrier-reload"};
  NatsServer server_;
};

TEST_F(Reload, SighupAppliesANewFileAndRefusesAnInvalidOne) {
  Write(Base());
  Farrier f({"--config", file()});
  Scrape last;
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s, &last)) << last.Describe();
  EXPECT_FALSE(last.Has("nats_service_probes_total"));
  EXPECT_EQ(ReloadOk(last), 1);
  double started_at = last.Value("nats_exporter_config_last_reload_success_timestamp_seconds").value_or(0);
  EXPECT_GT(started_at, 1.7e9);

  // A service added: probed after SIGHUP (nobody answers, so every probe is a no_responders).
  // The poll counter goes on across the reload, it does not restart from 0.
  ASSERT_TRUE(f.WaitForPolls(10, 10s)) << f.Metrics().Describe();
  const double polls_before = f.Metrics().Polls();
  Json with_service = Base();
  with_service["services"] = Json::array({Service()});
  Write(with_service);
  ASSERT_TRUE(f.process().Signal(SIGHUP));
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.Has("nats_service_probes_total"); }, 10s, &last))
      << last.Describe();
  EXPECT_GT(last.Polls(), polls_before) << "the poll counter restarted at the reload";
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return Probes(s) >= 3; }, 10s, &last)) << last.Describe();
  EXPECT_GE(last.Number("nats_service_probe_failures_total", {{"service", "echo"}, {"reason", "no_responders"}}), 3);
  EXPECT_EQ(ReloadOk(last), 1);
  EXPECT_GE(last.Value("nats_exporter_config_last_reload_success_timestamp_seconds").value_or(0), started_at);
  EXPECT_TRUE(last.NatsUp());

  // Invalid: refused with the file and the field named; the running configuration goes on.
  Json bad = with_service;
  bad["services"][0]["worker_concurrency"] = "lots";
  Write(bad);
  ASSERT_TRUE(f.process().Signal(SIGHUP));
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return ReloadOk(s) == 0; }, 10s, &last)) << last.Describe();
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] { return f.Stderr().find("configuration reload failed") != std::string::npos; }, 5s));
  std::string log = f.Stderr();
  std::string line = log.substr(log.find("configuration reload failed"));
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find(file()), std::string::npos) << line;
  EXPECT_NE(line.find("worker_concurrency"), std::string::npos) << line;
  double probes = Probes(last);
  ASSERT_TRUE(f.WaitFor([&](const Scrape& s) { return Probes(s) >= probes + 3; }, 10s, &last))
      << "probing stopped after a refused reload\n"
      << last.Describe();
  WriteText("{ not json");
  ASSERT_TRUE(f.process().Signal(SIGHUP));
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] {
        std::string e = f.Stderr();
        size_t first = e.find("configuration reload failed");
        return first != std::string::npos && e.find("configuration reload failed", first + 1) != std::string::npos;
      },
      5s));
  EXPECT_TRUE(f.process().Running());

  // The service removed: its series go (nothing stale), and the refusal is cleared.
  Write(Base());
  ASSERT_TRUE(f.process().Signal(SIGHUP));
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return ReloadOk(s) == 1 && !s.Has("nats_service_probes_total"); }, 10s,
                        &last))
      << last.Describe();
  EXPECT_TRUE(last.NatsUp());
  double polls = last.Polls();
  EXPECT_TRUE(f.WaitFor([&](const Scrape& s) { return s.Polls() >= polls + 2 && s.NatsUp(); }, 10s, &last))
      << "polling stopped after a reload\n"
      << last.Describe();
}

// POST /-/reload (with --web.enable-lifecycle) does what SIGHUP does and answers with the outcome.
TEST_F(Reload, PostReloadAnswersWithTheOutcome) {
  Write(Base());
  Farrier f({"--config", file(), "--web.enable-lifecycle"});
  Scrape last;
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s, &last)) << last.Describe();
  Json with_service = Base();
  with_service["services"] = Json::array({Service()});
  Write(with_service);
  farrier::test::HttpGetOptions o;
  HttpResponse ok = farrier::test::HttpRequest("POST", f.Url("/-/reload"), o);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("1 service(s)"), std::string::npos) << ok.body;
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return Probes(s) >= 1; }, 10s, &last)) << last.Describe();

  WriteText(R"({"services": [{"name": "echo"}]})");
  HttpResponse refused = farrier::test::HttpRequest("POST", f.Url("/-/reload"), o);
  EXPECT_EQ(refused.status, 500) << refused.body;
  EXPECT_NE(refused.body.find(file()), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("subject"), std::string::npos) << refused.body;
  double probes = f.Metrics().Number("nats_service_probes_total", {{"service", "echo"}});
  EXPECT_TRUE(f.WaitFor([&](const Scrape& s) { return Probes(s) > probes && ReloadOk(s) == 0; }, 10s, &last))
      << last.Describe();
}

// Far too small a cap on purpose: nats_exporter_source_up has one series per enabled source.
TEST_F(Reload, SeriesCapKeepsTheFirstSeriesAndCountsTheRest) {
  Farrier f({"--nats.monitor-url", server_.monitor_url(), "--poll.interval", "300ms", "--poll.timeout", "250ms",
             "--metrics.max-series-per-family", "2"});
  Scrape last;
  ASSERT_TRUE(f.WaitFor(
      [](const Scrape& s) {
        return s.Number("nats_exporter_series_dropped", {{"family", "nats_exporter_source_up"}}) > 0;
      },
      10s, &last))
      << last.Describe();
  ASSERT_TRUE(last.metrics);
  size_t source_up = 0;
  for (const auto& sample : last.metrics->samples()) {
    if (sample.name == "nats_exporter_source_up") ++source_up;
  }
  EXPECT_EQ(source_up, 2u);
  // What this scrape left out: the sources on by default (varz, connz, routez, subsz, jsz,
  // healthz) beyond the first two, the same in every scrape, however many there are.
  EXPECT_EQ(last.Number("nats_exporter_series_dropped", {{"family", "nats_exporter_source_up"}}), 6 - 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(f.Metrics().Number("nats_exporter_series_dropped", {{"family", "nats_exporter_source_up"}}), 6 - 2)
        << "a gauge of the scrape, not a count over scrapes";
  }
}

}  // namespace
}  // namespace farrier::itest
