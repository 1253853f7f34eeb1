// Farrier against the reference implementation of the NATS service API: farrier-microworker
// (tests/micro, nats.go's micro package, built by scripts/nats-servers.sh), in one queue group
// on a real nats-server, loaded by farrier-loadgen. Until these tests, only the hand-written
// micro API of farrier-sample-worker had been read by farrier.
//
// Checked: farrier's nats_micro_* series equal the sums of what the workers themselves answer to
// $SRV.STATS.<name> (asked by this test with natskit gather), and the capacity signal matches
// the pool: current workers, λ from the load generator, utilization λ·S/(N·C).
//
// nats.go counts a request and its processing time when the endpoint's handler returns, and
// calls the handler one request at a time. A worker that serves C > 1 at once hands requests to
// goroutines, so its processing_time is the hand-over, not the service time (see
// tests/micro/main.go). The inline pool (C = 1) checks the capacity signal where STATS carries
// the service time; the concurrent pool, where it does not: farrier's probes show that no
// request is that fast, and farrier sizes with their latency instead (docs/capacity.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

using farrier::test::TempDir;

// The binary, or a failure (not a skip) that says how to get it.
bool MicroWorkerPresent() {
  if (std::filesystem::is_regular_file(FARRIER_MICRO_WORKER)) return true;
  ADD_FAILURE() << FARRIER_MICRO_WORKER << " is missing: run scripts/nats-servers.sh, which builds the Go "
                << "reference micro worker (tests/micro) into the tools directory (TOOLS_DIR, CMake's "
                << "FARRIER_TOOLS_DIR)";
  return false;
}

// Sums of the endpoint "echo" over the workers' STATS replies.
struct EndpointSums {
  double requests = 0, errors = 0, processing_seconds = 0;
};

class MicroReference : public ::testing::Test {
 protected:
  static constexpr const char* kService = "Echo";

  void StartWorkers(int n, int concurrency, const std::string& service_time, const std::string& overflow,
                    const std::string& error_rate = "0") {
    for (int i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<ChildProcess>(std::vector<std::string>{
          FARRIER_MICRO_WORKER, "--url", server_.client_url(), "--subject", "api.echo", "--queue", "workers",
          "--concurrency", std::to_string(concurrency), "--service-time", service_time, "--overflow", overflow,
          "--micro-name", kService, "--error-rate", error_rate, "--name",
          "microworker-" + std::to_string(workers_.size() + 1)}));
      ASSERT_TRUE(workers_.back()->WaitForOutput("ready", 10s)) << workers_.back()->Describe() << "\n"
                                                                << workers_.back()->ReadStderr();
    }
  }

  // farrier with one service "echo" reading the micro stats of Echo. Without probes the only
  // requests are the load generator's; with them (every 100 ms) farrier can check the micro
  // service time against what a request really takes.
  std::unique_ptr<Farrier> StartFarrier(int concurrency, const std::string& overflow, bool probes = false) {
    Json probe{{"enabled", probes}, {"timeout", "500ms"}};
    if (probes) probe["interval"] = "100ms";
    Json config{{"nats", {{"url", server_.client_url()}, {"monitor_url", server_.monitor_url()}}},
                {"poll", {{"interval", "500ms"}, {"timeout", "400ms"}}},
                {"scaling", {{"window", "4s"}}},
                {"services",
                 {{{"name", "echo"},
                   {"subject", "api.echo"},
                   {"queue_group", "workers"},
                   {"worker_concurrency", concurrency},
                   {"overflow", overflow},
                   {"micro_service", kService},
                   {"probe", probe}}}}};
    std::filesystem::path file = dir_.path() / "farrier.json";
    std::ofstream(file) << config.dump(2);
    auto f = std::make_unique<Farrier>(std::vector<std::string>{"--config", file.string()});
    Scrape last;
    const double n = static_cast<double>(workers_.size());
    EXPECT_TRUE(f->WaitFor(
        [&](const Scrape& s) {
          return s.Value("nats_micro_instances", {{"service", "echo"}}) == n;
        },
        10s, &last))
        << last.Describe() << f->Stderr();
    return f;
  }

  std::unique_ptr<ChildProcess> StartLoad(double rate, const std::string& duration) {
    return std::make_unique<ChildProcess>(std::vector<std::string>{
        FARRIER_LOADGEN, "--url", server_.client_url(), "--subject", "api.echo", "--rate", std::to_string(rate),
        "--duration", duration, "--timeout", "1s", "--arrivals", "even"});
  }
  static Json Finish(ChildProcess& load) {
    EXPECT_EQ(load.WaitExit(60s), 0) << load.ReadStderr();
    return LastJsonLine(load.ReadStdout());
  }

  // Every instance's answer to $SRV.STATS.Echo, as `nats req --replies` would collect them.
  std::vector<Json> AskStats() {
    ChildProcess gather(std::vector<std::string>{NATSKIT_BINARY, "gather", "--url", server_.client_url(), "--subject",
                                                 std::string("$SRV.STATS.") + kService, "--count",
                                                 std::to_string(workers_.size()), "--wait", "2000"});
    EXPECT_EQ(gather.WaitExit(10s), 0) << gather.ReadStderr();
    std::vector<Json> replies;
    std::istringstream in(gather.ReadStdout());
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) replies.push_back(Json::parse(line, nullptr, /*allow_exceptions=*/false));
    }
    return replies;
  }

  static EndpointSums Sum(const std::vector<Json>& replies) {
    EndpointSums sums;
    for (const Json& r : replies) {
      for (const Json& e : r.value("endpoints", Json::array())) {
        if (e.value("name", "") != "echo") continue;
        sums.requests += e.at("num_requests").get<double>();
        sums.errors += e.at("num_errors").get<double>();
        sums.processing_seconds += e.at("processing_time").get<double>() / 1e9;  // integer nanoseconds
      }
    }
    return sums;
  }

  static Json ScalingEntry(const Farrier& f) {
    HttpResponse r = f.Get("/api/v1/scaling/services/echo");
    return r.status == 200 ? Json::parse(r.body, nullptr, false) : Json();
  }

  TempDir dir_{"farrier-micro-reference"};
  NatsServer server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

// Three workers x C = 4 (drop), 10 ms, one request in twenty answered with a micro error, 150
// requests/s for 3 s. After the load, farrier's counters equal the sums of the three STATS
// answers, endpoint by endpoint, and the STATS count every request the load generator sent.
TEST_F(MicroReference, StatsSumsEqualWhatTheWorkersReport) {
  if (!MicroWorkerPresent()) return;
  StartWorkers(3, 4, "10ms", "drop", "0.05");
  auto f = StartFarrier(4, "drop");
  Json load = Finish(*StartLoad(150, "3s"));
  ASSERT_TRUE(load.is_object()) << load;
  const double sent = load.value("sent", 0.0);
  ASSERT_GT(sent, 400) << load.dump();

  std::vector<Json> replies = AskStats();
  ASSERT_EQ(replies.size(), 3u);
  std::set<std::string> ids;
  for (const Json& r : replies) {
    SCOPED_TRACE(r.dump());
    EXPECT_EQ(r.value("type", ""), "io.nats.micro.v1.stats_response");
    EXPECT_EQ(r.value("name", ""), kService);
    ids.insert(r.value("id", ""));
  }
  EXPECT_EQ(ids.size(), 3u) << "one answer per instance";
  const EndpointSums sums = Sum(replies);
  // Every request reached one member of the group, and nats.go counted each when its handler
  // returned: served, dropped and refused alike.
  EXPECT_EQ(sums.requests, sent) << load.dump();
  EXPECT_GT(sums.errors, 0);

  const PromLabels ep{{"service", "echo"}, {"endpoint", "echo"}};
  Scrape last;
  auto s = f->WaitFor([&](const Scrape& x) { return x.Number("nats_micro_requests_total", ep) == sums.requests; }, 10s,
                      &last, 100ms);
  ASSERT_TRUE(s) << "STATS say " << sums.requests << " requests\n" << last.Describe();
  EXPECT_EQ(s->Value("nats_micro_instances", {{"service", "echo"}}), 3);
  EXPECT_EQ(s->Value("nats_micro_stats_up", {{"service", "echo"}}), 1);
  EXPECT_EQ(s->Number("nats_micro_errors_total", ep), sums.errors);
  EXPECT_NEAR(s->Number("nats_micro_processing_seconds_total", ep), sums.processing_seconds, 1e-6);
  // The reference library's processing time of a concurrent worker: the hand-over to a
  // goroutine, far below the 10 ms each served request took.
  EXPECT_LT(sums.processing_seconds, 0.1 * sums.requests * 0.010) << "nats.go timed the service itself?";

  // The workers' own exit lines agree with the load generator.
  double received = 0, replied = 0, errors = 0;
  for (auto& w : workers_) {
    EXPECT_EQ(w->Stop(15s), 0) << w->Describe() << "\n" << w->ReadStderr();
    Json j = LastJsonLine(w->ReadStdout());
    received += j.value("received", 0.0);
    replied += j.value("replied", 0.0);
    errors += j.value("errors", 0.0);
  }
  EXPECT_EQ(received, sent);
  EXPECT_EQ(replied, load.value("replies", 0.0)) << load.dump();
  EXPECT_EQ(errors, sums.errors);
}

// Three inline workers (C = 1, queue: nats.go's own one-at-a-time model), 20 ms, 60 requests/s
// evenly: ρ = 60 · 0.020 / 3 = 0.4. S comes from STATS, where it is the real service time.
TEST_F(MicroReference, CapacityOfAnInlinePoolMatchesTheLoad) {
  if (!MicroWorkerPresent()) return;
  StartWorkers(3, 1, "20ms", "queue");
  auto f = StartFarrier(1, "queue");
  auto load = StartLoad(60, "9s");
  std::this_thread::sleep_for(7s);  // the 4 s window lies inside the load
  Json e = ScalingEntry(*f);
  Json measured = Finish(*load);
  ASSERT_TRUE(e.is_object()) << f->Get("/api/v1/scaling").body;
  SCOPED_TRACE(e.dump());
  EXPECT_EQ(measured.value("timeouts", -1), 0) << measured.dump();
  EXPECT_EQ(e["current_workers"], 3);
  EXPECT_EQ(e["concurrency"], 1);
  EXPECT_EQ(e["service_time_source"], "micro");
  EXPECT_NEAR(e["arrival_rate"].get<double>(), 60, 6);
  // 20 ms of sleep plus the reply: a little more, never less.
  EXPECT_GE(e["service_time_seconds"].get<double>(), 0.020);
  EXPECT_LT(e["service_time_seconds"].get<double>(), 0.023);
  EXPECT_NEAR(e["utilization"].get<double>(), 0.4, 0.04);
}

// Two workers x C = 4 (drop), 20 ms, 100 requests/s evenly plus farrier's probes (10/s): the
// pool has 8 slots, the load needs 110 · 0.020 = 2.2 of them, ρ = 0.275. STATS of a concurrent
// nats.go worker do not carry the service time (see the top of this file: microseconds, the
// hand-over to a goroutine); the probes show no request is that fast, so farrier sets the STATS
// figure aside, says so, and sizes with the probes' latency (the service time plus a round trip).
TEST_F(MicroReference, CapacityOfAConcurrentPoolMatchesTheLoad) {
  if (!MicroWorkerPresent()) return;
  StartWorkers(2, 4, "20ms", "drop");
  auto f = StartFarrier(4, "drop", /*probes=*/true);
  auto load = StartLoad(100, "9s");
  std::this_thread::sleep_for(7s);
  Json e = ScalingEntry(*f);
  Json measured = Finish(*load);
  ASSERT_TRUE(e.is_object()) << f->Get("/api/v1/scaling").body;
  SCOPED_TRACE(e.dump());
  EXPECT_EQ(e["current_workers"], 2);
  EXPECT_EQ(e["concurrency"], 4);
  EXPECT_NEAR(e["arrival_rate"].get<double>(), 110, 11);
  EXPECT_EQ(e["service_time_source"], "probe");
  ASSERT_TRUE(e.contains("micro_service_time_ignored_seconds"));
  EXPECT_LT(e["micro_service_time_ignored_seconds"].get<double>(), 0.002) << "what nats.go reported";
  EXPECT_NEAR(e["service_time_seconds"].get<double>(), 0.021, 0.003);
  EXPECT_NEAR(e["utilization"].get<double>(), 0.29, 0.05);
  EXPECT_NEAR(e["demand_workers"].get<double>(), 0.58, 0.1) << "λ·S/C = 110 · 0.021 / 4";
  EXPECT_NE(f->Stderr().find("sizing with probe latency instead"), std::string::npos) << f->Stderr();
}

}  // namespace
}  // namespace farrier::itest
