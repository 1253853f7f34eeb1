// Request/reply probes of API services (issue 3) against a real nats-server and real
// farrier-sample-worker processes: latency against a known service time, no responders,
// timeouts of a saturated drop-mode pool and recovery, NATS killed and restarted, and micro
// ($SRV.STATS) counters against the load generator's own count.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "support/latency_accounts.h"
#include "support/promtool.h"
#include "support/temp_dir.h"

namespace farrier::itest {
namespace {

using farrier::test::TempDir;

class Probes : public ::testing::Test {
 protected:
  // Starts a sample worker in queue group "workers" on api.echo and waits until it is ready.
  ChildProcess& StartWorker(int concurrency, const std::string& service_time, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{FARRIER_SAMPLE_WORKER,
                                  "--url",
                                  server_->client_url(),
                                  "--subject",
                                  "api.echo",
                                  "--queue",
                                  "workers",
                                  "--concurrency",
                                  std::to_string(concurrency),
                                  "--service-time",
                                  service_time,
                                  "--overflow",
                                  "drop",
                                  "--seed",
                                  std::to_string(workers_.size() + 7)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    workers_.push_back(std::make_unique<ChildProcess>(argv));
    ChildProcess& w = *workers_.back();
    EXPECT_TRUE(w.WaitForOutput("ready", 10s)) << w.Describe() << "\n" << w.ReadStderr();
    return w;
  }

  // farrier with `services` (a JSON array) in a config file, polling this server.
  std::unique_ptr<Farrier> StartFarrier(const Json& services, std::vector<std::string> extra = {}) {
    Json config{{"nats", {{"url", server_->client_url()}, {"monitor_url", server_->monitor_url()}}},
                {"poll", {{"interval", "500ms"}, {"timeout", "400ms"}}},
                {"services", services}};
    std::filesystem::path file = dir_.path() / ("farrier-" + std::to_string(++configs_) + ".json");
    std::ofstream(file) << config.dump(2);
    std::vector<std::string> args{"--config", file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<Farrier>(args);
  }

  Json RunLoad(double rate, const std::string& duration, const std::string& timeout) {
    ChildProcess lg(std::vector<std::string>{FARRIER_LOADGEN, "--url", server_->client_url(), "--subject", "api.echo",
                                             "--rate", std::to_string(rate), "--duration", duration, "--timeout",
                                             timeout, "--arrivals", "even"});
    EXPECT_EQ(lg.WaitExit(60s), 0) << lg.Describe() << "\n" << lg.ReadStderr();
    return LastJsonLine(lg.ReadStdout());
  }

  static double Failures(const Scrape& s, const std::string& reason) {
    return s.Number("nats_service_probe_failures_total", {{"service", "echo"}, {"reason", reason}});
  }
  static double ProbeCount(const Scrape& s) { return s.Number("nats_service_probes_total", {{"service", "echo"}}); }
  static double Answered(const Scrape& s) {
    return s.Number("nats_service_request_duration_seconds_count", {{"service", "echo"}});
  }
  static bool ProbeUp(const Scrape& s) { return s.Value("nats_service_probe_up", {{"service", "echo"}}) == 1.0; }

  TempDir dir_{"farrier-probes"};
  std::unique_ptr<NatsServer> server_ = std::make_unique<NatsServer>();
  std::vector<std::unique_ptr<ChildProcess>> workers_;
  int configs_ = 0;
};

// Service time fixed at T = 20 ms: every probe is answered, none faster than T, nine in ten
// within 10 ms of it and all within 100 ms (the client, server and worker timer add ~1-2 ms here;
// on a loaded 2-core machine the scheduler adds an occasional outlier: one probe in 40 took
// more than 30 ms while the suite ran two tests at once). Buckets are set around T to check both
// bounds.
TEST_F(Probes, LatencyOfAFixedServiceTimeIsAtLeastTAndCloseToIt) {
  StartWorker(4, "20ms");
  auto f = StartFarrier(Json::array({{{"name", "echo"},
                                      {"subject", "api.echo"},
                                      {"queue_group", "workers"},
                                      {"probe", {{"interval", "50ms"}, {"timeout", "1s"}}},
                                      {"buckets", {0.0199, 0.025, 0.03, 0.1}}}}));
  auto s = f->WaitFor([](const Scrape& x) { return ProbeCount(x) >= 40; }, 20s);
  ASSERT_TRUE(s) << f->Metrics().Describe() << f->Stderr();
  EXPECT_EQ(Failures(*s, "timeout") + Failures(*s, "no_responders") + Failures(*s, "error"), 0) << s->Describe();
  // Every completed probe is in the histogram: _count equals the probes counted.
  EXPECT_EQ(Answered(*s), ProbeCount(*s));
  const PromLabels echo{{"service", "echo"}};
  auto bucket = [&](const char* le) {
    return s->Number("nats_service_request_duration_seconds_bucket", {{"service", "echo"}, {"le", le}});
  };
  EXPECT_EQ(bucket("0.0199"), 0) << "a probe was answered faster than the 20 ms service time\n" << s->Describe();
  EXPECT_GE(bucket("0.03"), 0.9 * Answered(*s)) << "more than one probe in ten took over T + 10 ms\n" << s->Describe();
  EXPECT_EQ(bucket("0.1"), Answered(*s)) << "a probe took more than 100 ms\n" << s->Describe();
  EXPECT_EQ(bucket("+Inf"), Answered(*s));
  double mean = s->Number("nats_service_request_duration_seconds_sum", echo) / Answered(*s);
  EXPECT_GE(mean, 0.020);
  EXPECT_LT(mean, 0.030);
  EXPECT_TRUE(ProbeUp(*s));
  EXPECT_EQ(s->Value("nats_exporter_nats_connected"), 1.0);
  // The histogram and counters pass promtool's parser and linter.
  auto lint = farrier::test::PromtoolCheckMetrics(s->response.body);
  EXPECT_TRUE(lint.ok) << lint.output;
}

// Nobody in the queue group: the server answers "no responders" at once. These are counted as
// such, never as timeouts, and the probe is down.
TEST_F(Probes, NoWorkerCountsNoRespondersNotTimeouts) {
  auto f = StartFarrier(
      Json::array({{{"name", "echo"}, {"subject", "api.echo"}, {"probe", {{"interval", "50ms"}, {"timeout", "2s"}}}}}));
  auto s = f->WaitFor([](const Scrape& x) { return Failures(x, "no_responders") >= 5; }, 10s);
  ASSERT_TRUE(s) << f->Metrics().Describe();
  EXPECT_EQ(Failures(*s, "timeout"), 0);
  EXPECT_EQ(Failures(*s, "error"), 0);
  EXPECT_EQ(Answered(*s), 0);
  EXPECT_FALSE(ProbeUp(*s));
  EXPECT_EQ(ProbeCount(*s), Failures(*s, "no_responders"));

  // A worker joins: probes are answered from then on.
  StartWorker(2, "1ms");
  EXPECT_TRUE(f->WaitFor([](const Scrape& x) { return ProbeUp(x) && Answered(x) >= 3; }, 10s))
      << f->Metrics().Describe();
}

// One drop-mode worker with a single slot and 100 ms per request, loaded at 5x its capacity:
// a probe almost always finds the slot taken and is ignored, so it times out and the probe is
// down. When the load stops, probes are answered again.
TEST_F(Probes, SaturatedDropPoolTimesOutAndRecovers) {
  StartWorker(1, "100ms");
  auto f = StartFarrier(Json::array({{{"name", "echo"},
                                      {"subject", "api.echo"},
                                      {"worker_concurrency", 1},
                                      {"probe", {{"interval", "250ms"}, {"timeout", "200ms"}}}}}));
  ASSERT_TRUE(f->WaitFor([](const Scrape& x) { return ProbeUp(x); }, 10s)) << f->Metrics().Describe();

  Json load;
  std::thread loader([&] { load = RunLoad(50, "6s", "500ms"); });
  Scrape last;
  auto during = f->WaitFor([](const Scrape& x) { return Failures(x, "timeout") >= 3 && !ProbeUp(x); }, 6s, &last);
  loader.join();
  ASSERT_TRUE(during) << last.Describe() << "\nload: " << load.dump();
  EXPECT_GT(load.value("timeouts", 0), 0) << "the pool was not saturated: " << load.dump();
  EXPECT_EQ(Failures(*during, "no_responders"), 0);

  auto after = f->WaitFor([](const Scrape& x) { return ProbeUp(x); }, 10s);
  ASSERT_TRUE(after) << f->Metrics().Describe();
  EXPECT_EQ(ProbeCount(*after), Answered(*after) + Failures(*after, "timeout") + Failures(*after, "error"));
}

// NATS goes away (SIGKILL) and comes back on the same ports: farrier keeps serving, counts the
// probes it cannot send as `error`, reports the connection down, reconnects by itself and
// probing resumes.
TEST_F(Probes, NatsKilledAndRestartedProbingResumes) {
  StartWorker(2, "1ms");
  auto f = StartFarrier(Json::array(
      {{{"name", "echo"}, {"subject", "api.echo"}, {"probe", {{"interval", "100ms"}, {"timeout", "300ms"}}}}}));
  ASSERT_TRUE(f->WaitFor([](const Scrape& x) { return ProbeUp(x) && Answered(x) >= 3; }, 10s));

  server_->Kill();
  workers_.clear();  // the samples do not reconnect; a new worker joins after the restart
  Scrape last;
  auto down = f->WaitFor(
      [](const Scrape& x) {
        return x.Value("nats_exporter_nats_connected") == 0.0 && Failures(x, "error") >= 5 && !ProbeUp(x);
      },
      10s, &last);
  ASSERT_TRUE(down) << last.Describe();
  EXPECT_TRUE(f->process().Running());

  server_->Restart();
  StartWorker(2, "1ms");
  double answered_before = Answered(*down);
  auto up = f->WaitFor(
      [&](const Scrape& x) {
        return x.Value("nats_exporter_nats_connected") == 1.0 && ProbeUp(x) && Answered(x) >= answered_before + 3;
      },
      20s, &last);
  ASSERT_TRUE(up) << last.Describe() << "\n" << f->Stderr();
  EXPECT_GE(up->Number("nats_exporter_nats_reconnects_total"), 1);
  std::string log = f->Stderr();
  // One line per state change: lost, failing, reconnected, answered again.
  EXPECT_NE(log.find("NATS connection to"), std::string::npos) << log;
  EXPECT_NE(log.find("3 probes in a row failed (last: error)"), std::string::npos) << log;
  EXPECT_NE(log.find("probe answered again"), std::string::npos) << log;
  size_t failing_lines = 0;
  for (size_t at = 0; (at = log.find("probes in a row failed", at)) != std::string::npos; ++at) ++failing_lines;
  EXPECT_EQ(failing_lines, 1u) << log;
  EXPECT_NE(log.find("NATS reconnected"), std::string::npos) << log;
}

// Two micro-enabled workers; probes off so that the only requests are the load generator's.
// $SRV.STATS answers are summed per endpoint: requests equal the replies the load generator
// got, and processing time is about requests x service time.
TEST_F(Probes, MicroStatsSumInstancesAndMatchTheLoad) {
  StartWorker(8, "5ms", {"--micro-name", "EchoService", "--micro-endpoint", "echo"});
  StartWorker(8, "5ms", {"--micro-name", "EchoService", "--micro-endpoint", "echo"});
  auto f = StartFarrier(Json::array({{{"name", "echo"},
                                      {"subject", "api.echo"},
                                      {"micro_service", "EchoService"},
                                      {"probe", {{"enabled", false}, {"timeout", "200ms"}}}}}));
  auto two = f->WaitFor(
      [](const Scrape& x) {
        return x.Value("nats_micro_instances", {{"service", "echo"}}) == 2.0;
      },
      10s);
  ASSERT_TRUE(two) << f->Metrics().Describe();
  EXPECT_EQ(two->Value("nats_micro_stats_up", {{"service", "echo"}}), 1.0);
  EXPECT_FALSE(two->Has("nats_service_probes_total")) << "probe disabled but exported";

  Json load = RunLoad(100, "2s", "1s");
  ASSERT_TRUE(load.is_object());
  const double replies = load.value("replies", 0.0);
  ASSERT_GT(replies, 150);
  const PromLabels ep{{"service", "echo"}, {"endpoint", "echo"}};
  Scrape last;
  auto s = f->WaitFor([&](const Scrape& x) { return x.Number("nats_micro_requests_total", ep) == replies; }, 10s, &last,
                      100ms);
  ASSERT_TRUE(s) << "loadgen: " << load.dump() << "\n" << last.Describe();
  EXPECT_EQ(s->Number("nats_micro_errors_total", ep), 0);
  double seconds = s->Number("nats_micro_processing_seconds_total", ep);
  EXPECT_GE(seconds, replies * 0.005 * 0.99);
  EXPECT_LE(seconds, replies * 0.005 * 1.5);

  // One instance goes away: the counter must not drop (no fake reset for rate()).
  workers_.back()->Stop();
  auto one = f->WaitFor(
      [](const Scrape& x) {
        return x.Value("nats_micro_instances", {{"service", "echo"}}) == 1.0;
      },
      10s);
  ASSERT_TRUE(one) << f->Metrics().Describe();
  EXPECT_EQ(one->Number("nats_micro_requests_total", ep), replies);
}

// Service-latency events: SVC exports api.echo with latency tracking, CLIENT imports it. farrier
// logs in to SVC with a user and a password file, subscribes to the latency subject, and turns
// each event into histograms and a status count; its own probe (inside SVC, no import) shows
// that the password login works. 20 requests through the import: 20 events with status 200,
// whose total latency covers the worker's 20 ms. With no worker: status 503.
TEST(ProbeLatencyEvents, EventsBecomeHistogramsAndStatusCounts) {
  TempDir dir("farrier-latency-events");
  auto accounts = farrier::test::MakeLatencyAccounts({.response_threshold = "1s"});
  NatsServer server({.extra_config = accounts.extra_config});
  auto worker = std::make_unique<ChildProcess>(std::vector<std::string>{
      FARRIER_SAMPLE_WORKER, "--url", accounts.ServiceUrl(server), "--subject", "api.echo", "--queue", "workers",
      "--concurrency", "8", "--service-time", "20ms"});
  ASSERT_TRUE(worker->WaitForOutput("ready", 10s)) << worker->ReadStderr();

  std::filesystem::path password = dir.path() / "svc.password";
  std::ofstream(password) << accounts.service_password << "\n";
  Json config{{"nats",
               {{"url", server.client_url()},
                {"user", accounts.service_user},
                {"password_file", password.string()},
                {"monitor_url", server.monitor_url()}}},
              {"services",
               {{{"name", "echo"},
                 {"subject", "api.echo"},
                 {"latency_subject", "latency.echo"},
                 {"probe", {{"interval", "200ms"}}}}}}};
  std::filesystem::path file = dir.path() / "farrier.json";
  std::ofstream(file) << config.dump();
  Farrier f({"--config", file.string()});
  ASSERT_TRUE(f.WaitFor(
      [](const Scrape& x) {
        return x.Value("nats_service_probe_up", {{"service", "echo"}}) == 1.0;
      },
      10s))
      << f.Metrics().Describe() << f.Stderr();

  ChildProcess load(std::vector<std::string>{FARRIER_LOADGEN, "--url", accounts.ClientUrl(server), "--subject",
                                             "api.echo", "--rate", "20", "--duration", "1s", "--timeout", "1s"});
  ASSERT_EQ(load.WaitExit(30s), 0) << load.ReadStderr();
  Json result = LastJsonLine(load.ReadStdout());
  const double replies = result.value("replies", 0.0);
  ASSERT_EQ(replies, 20) << result.dump();

  const PromLabels ok{{"service", "echo"}, {"status", "200"}};
  Scrape last;
  auto s = f.WaitFor([&](const Scrape& x) { return x.Number("nats_latency_observations_total", ok) == replies; }, 10s,
                     &last);
  ASSERT_TRUE(s) << last.Describe();
  const PromLabels echo{{"service", "echo"}};
  EXPECT_EQ(s->Number("nats_latency_total_seconds_count", echo), replies);
  EXPECT_EQ(s->Number("nats_latency_service_seconds_count", echo), replies);
  double total_mean = s->Number("nats_latency_total_seconds_sum", echo) / replies;
  double service_mean = s->Number("nats_latency_service_seconds_sum", echo) / replies;
  EXPECT_GE(total_mean, 0.020) << "total latency below the worker's service time";
  EXPECT_LT(total_mean, 0.080);
  EXPECT_GT(service_mean, 0.005);
  EXPECT_LE(service_mean, total_mean);
  EXPECT_EQ(s->Number("nats_latency_invalid_events_total", echo), 0);

  // Nobody answers in SVC: the server reports 503 for each request through the import.
  worker->Stop();
  ChildProcess none(std::vector<std::string>{FARRIER_LOADGEN, "--url", accounts.ClientUrl(server), "--subject",
                                             "api.echo", "--rate", "10", "--duration", "200ms", "--timeout", "300ms"});
  ASSERT_EQ(none.WaitExit(30s), 0) << none.ReadStderr();
  double sent = LastJsonLine(none.ReadStdout()).value("sent", 0.0);
  ASSERT_GT(sent, 0);
  EXPECT_TRUE(f.WaitFor(
      [&](const Scrape& x) {
        return x.Number("nats_latency_observations_total", {{"service", "echo"}, {"status", "503"}}) == sent;
      },
      10s, &last))
      << last.Describe();
  std::string log = f.Stderr();
  EXPECT_EQ(log.find(accounts.service_password), std::string::npos) << "password in the log";
  EXPECT_EQ(last.response.body.find(accounts.service_password), std::string::npos) << "password in /metrics";
}

// Token and nkey logins against servers that require them: farrier authenticates from the
// secret files (token file; nkey seed file, public key derived from the seed), and with a wrong
// secret it stays up, reports the connection down and counts probes as errors. No secret
// reaches the log or /metrics.
TEST(ProbeAuth, TokenAndNkeySeedFromFiles) {
  TempDir dir("farrier-probe-auth");
  // The reference key pair of the NATS client libraries' own tests.
  const std::string seed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU";
  const std::string public_key = "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L";
  const std::string other_seed = "SUAGMJH5XLGZKQQWAWKRZJIGMOU4HPFUYLXJMXOO5NLFEO2OOQJ5LPRDPM";
  struct Case {
    std::string name, server_config, option, good_secret, bad_secret;
  };
  const std::vector<Case> cases = {
      {"token", "authorization { token: \"s3cr3t-token-value\" }", "token_file", "s3cr3t-token-value",
       "wrong-token-value"},
      {"nkey", "authorization { users = [ { nkey: " + public_key + " } ] }", "nkey_seed_file", seed, other_seed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    NatsServer server({.extra_config = c.server_config});
    for (bool good : {true, false}) {
      std::filesystem::path secret = dir.path() / (c.name + (good ? "-good" : "-bad"));
      std::ofstream(secret) << (good ? c.good_secret : c.bad_secret) << "\n";
      Json config{
          {"nats", {{"url", server.client_url()}, {"monitor_url", server.monitor_url()}, {c.option, secret.string()}}},
          {"services", {{{"name", "echo"}, {"subject", "api.echo"}, {"probe", {{"interval", "100ms"}}}}}}};
      std::filesystem::path file = dir.path() / (c.name + ".json");
      std::ofstream(file) << config.dump();
      Farrier f({"--config", file.string()});
      Scrape last;
      if (good) {
        // Connected and authorized: nobody serves api.echo, so the server answers no-responders.
        EXPECT_TRUE(f.WaitFor(
            [](const Scrape& x) {
              return x.Value("nats_exporter_nats_connected") == 1.0 &&
                     x.Number("nats_service_probe_failures_total",
                              {{"service", "echo"}, {"reason", "no_responders"}}) >= 2;
            },
            10s, &last))
            << last.Describe() << f.Stderr();
      } else {
        EXPECT_TRUE(f.WaitFor(
            [](const Scrape& x) {
              return x.Value("nats_exporter_nats_connected") == 0.0 &&
                     x.Number("nats_service_probe_failures_total", {{"service", "echo"}, {"reason", "error"}}) >= 3;
            },
            10s, &last))
            << last.Describe() << f.Stderr();
        EXPECT_TRUE(f.process().Running());
      }
      std::string log = f.Stderr();
      for (const std::string& s : {c.good_secret, c.bad_secret}) {
        EXPECT_EQ(log.find(s), std::string::npos) << "secret in the log:\n" << log;
        EXPECT_EQ(last.response.body.find(s), std::string::npos) << "secret in /metrics";
      }
    }
  }
}

// The bad-configuration cases named in the issue, through the real binary: exit 2 and a message
// that names the field.
TEST(ProbeConfig, BadServiceConfigurationExitsWithTheFieldNamed) {
  TempDir dir("farrier-probe-config");
  struct Case {
    std::string name;
    Json config;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"unknown field",
       {{"services", {{{"name", "a"}, {"subject", "x"}, {"subjcet", "y"}}}}},
       "$.services[0].subjcet: unknown field"},
      {"wrong type",
       {{"services", {{{"name", "a"}, {"subject", "x"}, {"worker_concurrency", "4"}}}}},
       "$.services[0].worker_concurrency: expected an integer"},
      {"missing subject", {{"services", {{{"name", "a"}}}}}, "$.services[0].subject: required"},
      {"negative interval",
       {{"services", {{{"name", "a"}, {"subject", "x"}, {"probe", {{"interval", "-1s"}}}}}}},
       "$.services[0].probe.interval: expected a positive duration"},
      {"unreadable creds",
       {{"nats", {{"creds_file", (dir.path() / "missing.creds").string()}}}},
       "nats.creds-file: cannot read"},
  };
  for (const Case& c : cases) {
    std::filesystem::path file = dir.path() / "config.json";
    std::ofstream(file) << c.config.dump();
    Exited e = RunFarrier({"--config", file.string()});
    EXPECT_EQ(e.code, 2) << c.name << "\n" << e.err;
    EXPECT_NE(e.err.find(c.expected), std::string::npos) << c.name << ": " << e.err;
    EXPECT_NE(e.err.find(file.string()), std::string::npos) << c.name << ": the message names no file: " << e.err;
  }
}

}  // namespace
}  // namespace farrier::itest
