// The sample programs in exporter/samples against a real nats-server: farrier-sample-worker
// (queue-group worker, at most C requests in service, drop or queue when full) and
// farrier-loadgen (open-loop requests, counts replies, timeouts and no-responders).
//
// Case (c) checks the physics recorded in ../shared/NOTES-nats-2.9.md ("Physics of a
// queue-group pool"): two workers x C=2, 20 ms, drop mode, 200 req/s evenly spaced is
// utilization 1.0; measured loss there was 37 % (Erlang B for Poisson arrivals: 40 %). A run
// of 600 requests has a sampling spread of a few points, so 20-55 % is a wide, safe band that
// still fails if the worker never drops (0 %) or drops everything it should not.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "support/nats_server.h"
#include "support/process.h"

namespace farrier::itest {
namespace {

using namespace std::chrono_literals;
using farrier::test::ChildProcess;
using farrier::test::NatsServer;
using Json = nlohmann::json;

struct WorkerSpec {
  int concurrency = 2;
  std::string service_time = "20ms";
  std::string overflow = "drop";
};

class Samples : public ::testing::Test {
 protected:
  // Starts a worker and waits for "ready" (subscribed and flushed).
  ChildProcess& StartWorker(const WorkerSpec& spec) {
    const std::string name = "worker-" + std::to_string(workers_.size() + 1);
    workers_.push_back(std::make_unique<ChildProcess>(std::vector<std::string>{
        FARRIER_SAMPLE_WORKER, "--url", server_.client_url(), "--subject", "api.echo", "--queue", "workers",
        "--concurrency", std::to_string(spec.concurrency), "--service-time", spec.service_time, "--overflow",
        spec.overflow, "--name", name, "--seed", std::to_string(workers_.size() + 1)}));
    ChildProcess& w = *workers_.back();
    EXPECT_TRUE(w.WaitForOutput("ready", 10s)) << w.Describe() << " not ready\n" << w.ReadStderr();
    return w;
  }

  // Runs the load generator to completion and returns its JSON summary.
  Json RunLoad(double rate, const std::string& duration, const std::string& timeout) {
    ChildProcess lg(std::vector<std::string>{FARRIER_LOADGEN, "--url", server_.client_url(), "--subject", "api.echo",
                                             "--rate", std::to_string(rate), "--duration", duration, "--timeout",
                                             timeout, "--arrivals", "even"});
    std::optional<int> code = lg.WaitExit(30s);
    EXPECT_EQ(code, 0) << lg.Describe() << "\n" << lg.ReadStderr();
    Json j = LastJsonLine(lg.ReadStdout());
    EXPECT_TRUE(j.is_object()) << "loadgen stdout: " << lg.ReadStdout();
    if (j.is_object()) {
      EXPECT_EQ(j["outstanding"].get<int>(), 0) << j.dump();
      EXPECT_EQ(j["sent"].get<int>(),
                j["replies"].get<int>() + j["timeouts"].get<int>() + j["no_responders"].get<int>())
          << j.dump();
    }
    return j;
  }

  // SIGTERMs every worker; each must exit 0 after printing its stats line. (15 s: a worker
  // normally exits within a second; once, in a sanitized build on a busy machine, two took over
  // 5 s, and the next failure should say where they were: stdout and stderr.)
  std::vector<Json> StopWorkers() {
    std::vector<Json> stats;
    for (auto& w : workers_) {
      EXPECT_EQ(w->Stop(15s), 0) << w->Describe() << "\nstdout: " << w->ReadStdout() << "\nstderr: " << w->ReadStderr();
      EXPECT_EQ(w->ReadStderr().find("still had a handler running"), std::string::npos) << w->ReadStderr();
      Json j = LastJsonLine(w->ReadStdout());
      EXPECT_TRUE(j.is_object()) << w->Describe() << " stdout: " << w->ReadStdout();
      stats.push_back(j.is_object() ? j : Json::object({{"received", 0}, {"replied", 0}, {"dropped", 0}}));
    }
    return stats;
  }

  static int Sum(const std::vector<Json>& stats, const char* key) {
    int total = 0;
    for (const Json& s : stats) total += s[key].get<int>();
    return total;
  }

  NatsServer server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

// (a) Light load on one worker (4 slots, ~1 busy on average): every request is answered, and
// the median latency is the service time plus a little transport.
TEST_F(Samples, OneWorkerAnswersEveryRequestAfterTheServiceTime) {
  StartWorker({.concurrency = 4, .service_time = "20ms", .overflow = "queue"});
  Json r = RunLoad(50, "2s", "1s");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["sent"].get<int>(), 100) << r.dump();
  EXPECT_EQ(r["replies"].get<int>(), 100) << r.dump();
  EXPECT_EQ(r["timeouts"].get<int>(), 0) << r.dump();
  EXPECT_EQ(r["no_responders"].get<int>(), 0) << r.dump();
  EXPECT_GE(r["latency_ms"]["p50"].get<double>(), 20.0) << r.dump();
  EXPECT_LT(r["latency_ms"]["p50"].get<double>(), 40.0) << r.dump();
  std::vector<Json> w = StopWorkers();
  EXPECT_EQ(Sum(w, "received"), 100);
  EXPECT_EQ(Sum(w, "replied"), 100);
  EXPECT_EQ(Sum(w, "dropped"), 0);
}

// (b) Nobody in the queue group: the server answers each request with a 503 status at once.
TEST_F(Samples, WithoutWorkersEveryRequestIsANoResponder) {
  Json r = RunLoad(50, "1s", "1s");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["sent"].get<int>(), 50) << r.dump();
  EXPECT_EQ(r["no_responders"].get<int>(), 50) << r.dump();
  EXPECT_EQ(r["timeouts"].get<int>(), 0) << r.dump();
  EXPECT_EQ(r["replies"].get<int>(), 0) << r.dump();
}

// (c) Drop mode at utilization 1.0: a large share is dropped (random member choice overloads
// one worker while the other idles), and every drop is exactly one timeout at the requester.
TEST_F(Samples, DropModeAtFullUtilizationLosesAboutErlangB) {
  StartWorker({.concurrency = 2, .service_time = "20ms", .overflow = "drop"});
  StartWorker({.concurrency = 2, .service_time = "20ms", .overflow = "drop"});
  // Replies come within ~25 ms or never, so a short timeout loses nothing and saves time.
  Json r = RunLoad(200, "3s", "500ms");
  ASSERT_TRUE(r.is_object());
  std::vector<Json> w = StopWorkers();
  const int sent = r["sent"].get<int>();
  const int timeouts = r["timeouts"].get<int>();
  EXPECT_EQ(sent, 600) << r.dump();
  EXPECT_EQ(r["no_responders"].get<int>(), 0) << r.dump();
  EXPECT_EQ(r["late"].get<int>(), 0) << r.dump();
  const double loss = static_cast<double>(timeouts) / sent;
  EXPECT_GE(loss, 0.20) << r.dump();
  EXPECT_LE(loss, 0.55) << r.dump();
  EXPECT_EQ(Sum(w, "received"), sent) << w[0].dump() << " " << w[1].dump();
  EXPECT_NEAR(Sum(w, "dropped"), timeouts, 2) << w[0].dump() << " " << w[1].dump() << " " << r.dump();
  EXPECT_EQ(Sum(w, "replied"), r["replies"].get<int>());
  for (const Json& s : w) EXPECT_GT(s["dropped"].get<int>(), 0) << s.dump();
}

// (d) Queue mode at the same load: nothing is lost, the wait shows up as latency instead.
TEST_F(Samples, QueueModeAtFullUtilizationLosesNothingButWaits) {
  StartWorker({.concurrency = 2, .service_time = "20ms", .overflow = "queue"});
  StartWorker({.concurrency = 2, .service_time = "20ms", .overflow = "queue"});
  // A generous timeout: the backlog at utilization ~1 reaches a few hundred ms.
  Json r = RunLoad(200, "3s", "5s");
  ASSERT_TRUE(r.is_object());
  std::vector<Json> w = StopWorkers();
  EXPECT_EQ(r["sent"].get<int>(), 600) << r.dump();
  EXPECT_EQ(r["replies"].get<int>(), 600) << r.dump();
  EXPECT_EQ(r["timeouts"].get<int>(), 0) << r.dump();
  EXPECT_GT(r["latency_ms"]["p99"].get<double>(), 40.0) << r.dump();
  EXPECT_EQ(Sum(w, "dropped"), 0);
  EXPECT_EQ(Sum(w, "replied"), 600);
}

}  // namespace
}  // namespace farrier::itest
