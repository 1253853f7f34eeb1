// $SRV.STATS (NATS micro, ADR-32 v1): parsing real answers of farrier-sample-worker and the
// nats.go micro README example (tests/fixtures/micro, see its README), the error messages for
// broken answers, and MicroCounters keeping per-endpoint totals monotonic while instances come,
// go, restart and reset.
#include "services/micro_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace farrier {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string ReadMicroFixture(const std::string& name) {
  std::string path = std::string(FARRIER_SOURCE_DIR) + "/tests/fixtures/micro/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

MicroStatsResponse Parsed(const std::string& body) {
  Result<MicroStatsResponse> r = ParseMicroStats(body);
  if (!r.ok()) throw std::runtime_error(r.error());
  return std::move(r).value();
}

// The parser's values against the fixture's own JSON, read independently here.
void ExpectMatchesRaw(const MicroStatsResponse& r, const Json& raw) {
  EXPECT_EQ(r.name, raw["name"].get<std::string>());
  EXPECT_EQ(r.id, raw["id"].get<std::string>());
  EXPECT_EQ(r.version, raw["version"].get<std::string>());
  EXPECT_EQ(r.started, raw["started"].get<std::string>());
  ASSERT_EQ(r.endpoints.size(), raw["endpoints"].size());
  for (size_t i = 0; i < r.endpoints.size(); ++i) {
    const Json& e = raw["endpoints"][i];
    EXPECT_EQ(r.endpoints[i].name, e["name"].get<std::string>());
    EXPECT_EQ(r.endpoints[i].subject, e["subject"].get<std::string>());
    EXPECT_EQ(r.endpoints[i].queue_group, e.value("queue_group", std::string()));
    EXPECT_EQ(r.endpoints[i].num_requests, e["num_requests"].get<uint64_t>());
    EXPECT_EQ(r.endpoints[i].num_errors, e["num_errors"].get<uint64_t>());
    EXPECT_EQ(r.endpoints[i].last_error, e["last_error"].get<std::string>());
    EXPECT_DOUBLE_EQ(r.endpoints[i].processing_seconds, e["processing_time"].get<double>() / 1e9);
  }
}

TEST(ParseMicroStats, SampleWorkerCapture) {
  std::string body = ReadMicroFixture("sample-worker-stats.json");
  MicroStatsResponse r = Parsed(body);
  ExpectMatchesRaw(r, Json::parse(body));
  EXPECT_EQ(r.name, "echo-svc");
  EXPECT_EQ(r.version, "1.0.0");
  EXPECT_EQ(r.id.size(), 22u);
  ASSERT_EQ(r.endpoints.size(), 1u);
  const MicroEndpointStats& e = r.endpoints[0];
  EXPECT_EQ(e.name, "echo");  // last token of the subject
  EXPECT_EQ(e.subject, "api.echo");
  EXPECT_EQ(e.queue_group, "workers");
  EXPECT_GT(e.num_requests, 0u);
  EXPECT_EQ(e.num_errors, 0u);
  EXPECT_EQ(e.last_error, "");
  // 20 ms of fixed service time per request, plus timer and publish overhead.
  double mean = e.processing_seconds / static_cast<double>(e.num_requests);
  EXPECT_GE(mean, 0.020);
  EXPECT_LT(mean, 0.025);
}

TEST(ParseMicroStats, SampleWorkerWithErrorRate) {
  std::string body = ReadMicroFixture("sample-worker-stats-errors.json");
  MicroStatsResponse r = Parsed(body);
  ExpectMatchesRaw(r, Json::parse(body));
  ASSERT_EQ(r.endpoints.size(), 1u);
  EXPECT_GT(r.endpoints[0].num_errors, 0u);
  EXPECT_LT(r.endpoints[0].num_errors, r.endpoints[0].num_requests);  // errors are part of requests
  EXPECT_EQ(r.endpoints[0].last_error, "500:simulated failure");
}

TEST(ParseMicroStats, NatsGoReadmeExample) {
  // No queue_group (before ADR-32 revision 2), endpoint "metadata": null, service metadata {}.
  std::string body = ReadMicroFixture("nats-go-readme-stats.json");
  MicroStatsResponse r = Parsed(body);
  ExpectMatchesRaw(r, Json::parse(body));
  EXPECT_EQ(r.name, "EchoService");
  EXPECT_EQ(r.id, "tNoopzL5Sp1M4qJZdhdxqC");
  ASSERT_EQ(r.endpoints.size(), 1u);
  EXPECT_EQ(r.endpoints[0].name, "default");
  EXPECT_EQ(r.endpoints[0].queue_group, "");
  EXPECT_EQ(r.endpoints[0].num_requests, 0u);
}

TEST(ParseMicroStats, LenientWhereHarmless) {
  Json j = Json::parse(ReadMicroFixture("sample-worker-stats.json"));
  j["endpoints"][0]["processing_time"] = 1500.5;  // fractional nanoseconds
  j["endpoints"][0].erase("average_processing_time");
  j["endpoints"][0]["data"] = {{"anything", 1}};
  j.erase("metadata");
  j.erase("started");
  MicroStatsResponse r = Parsed(j.dump());
  EXPECT_DOUBLE_EQ(r.endpoints[0].processing_seconds, 1500.5e-9);
  EXPECT_EQ(r.started, "");

  j["endpoints"] = nullptr;
  EXPECT_TRUE(Parsed(j.dump()).endpoints.empty());
}

struct BadCase {
  const char* what;
  std::function<void(Json&)> edit;
  const char* error;
};

TEST(ParseMicroStats, ErrorsNameTheFieldAndTheExpectation) {
  const std::vector<BadCase> cases = {
      {"info instead of stats", [](Json& j) { j["type"] = "io.nats.micro.v1.info_response"; },
       "micro stats: $.type: expected \"io.nats.micro.v1.stats_response\", got \"io.nats.micro.v1.info_response\""},
      {"no type", [](Json& j) { j.erase("type"); }, "micro stats: $.type: expected string, field missing"},
      {"no name", [](Json& j) { j.erase("name"); }, "micro stats: $.name: expected string, field missing"},
      {"empty id", [](Json& j) { j["id"] = ""; }, "micro stats: $.id: expected non-empty string, got empty string"},
      {"numeric version", [](Json& j) { j["version"] = 1; }, "micro stats: $.version: expected string, got number"},
      {"no endpoints", [](Json& j) { j.erase("endpoints"); },
       "micro stats: $.endpoints: expected array, field missing"},
      {"endpoints object", [](Json& j) { j["endpoints"] = Json::object(); },
       "micro stats: $.endpoints: expected array, got object"},
      {"endpoint not an object", [](Json& j) { j["endpoints"][0] = 3; },
       "micro stats: $.endpoints[0]: expected object, got number"},
      {"no endpoint name", [](Json& j) { j["endpoints"][0].erase("name"); },
       "micro stats: $.endpoints[0].name: expected string, field missing"},
      {"count as string", [](Json& j) { j["endpoints"][0]["num_requests"] = "12"; },
       "micro stats: $.endpoints[0].num_requests: expected unsigned integer, got string"},
      {"negative count", [](Json& j) { j["endpoints"][0]["num_errors"] = -3; },
       "micro stats: $.endpoints[0].num_errors: expected unsigned integer, got negative number -3"},
      {"fractional count", [](Json& j) { j["endpoints"][0]["num_requests"] = 1.5; },
       "micro stats: $.endpoints[0].num_requests: expected unsigned integer, got number"},
      {"no count", [](Json& j) { j["endpoints"][0].erase("num_requests"); },
       "micro stats: $.endpoints[0].num_requests: expected unsigned integer, field missing"},
      {"duration as Go string", [](Json& j) { j["endpoints"][0]["processing_time"] = "1.5ms"; },
       "micro stats: $.endpoints[0].processing_time: expected number, got string"},
      {"negative duration", [](Json& j) { j["endpoints"][0]["processing_time"] = -10; },
       "micro stats: $.endpoints[0].processing_time: expected non-negative nanoseconds, got -10"},
      {"no duration", [](Json& j) { j["endpoints"][0].erase("processing_time"); },
       "micro stats: $.endpoints[0].processing_time: expected number, field missing"},
      {"negative average", [](Json& j) { j["endpoints"][0]["average_processing_time"] = -1; },
       "micro stats: $.endpoints[0].average_processing_time: expected non-negative nanoseconds, got -1"},
      {"numeric queue group", [](Json& j) { j["endpoints"][0]["queue_group"] = 7; },
       "micro stats: $.endpoints[0].queue_group: expected string, got number"},
      {"last_error object", [](Json& j) { j["endpoints"][0]["last_error"] = Json::object(); },
       "micro stats: $.endpoints[0].last_error: expected string, got object"},
  };
  const Json good = Json::parse(ReadMicroFixture("sample-worker-stats-errors.json"));
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    Json j = good;
    c.edit(j);
    Result<MicroStatsResponse> r = ParseMicroStats(j.dump());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), c.error);
  }
}

TEST(ParseMicroStats, NotJson) {
  EXPECT_EQ(ParseMicroStats("").error(), "micro stats: empty body");
  EXPECT_EQ(ParseMicroStats("{\"type\":").error(), "micro stats: body is not valid JSON");
  EXPECT_EQ(ParseMicroStats("[]").error(), "micro stats: $: expected object, got array");
}

// --- MicroCounters -------------------------------------------------------------------------

MicroStatsResponse Instance(const std::string& id, std::map<std::string, uint64_t> requests,
                            const std::string& started = "2026-01-01T00:00:00Z") {
  MicroStatsResponse r{"svc", id, "1.0.0", started, {}};
  for (const auto& [name, n] : requests) {
    // errors and processing time follow requests, so one number describes an endpoint
    r.endpoints.push_back({name, "api." + name, "q", n, n / 10, static_cast<double>(n) * 0.02, ""});
  }
  return r;
}

std::map<std::string, uint64_t> Requests(const MicroCounters& c) {
  std::map<std::string, uint64_t> out;
  for (const auto& t : c.Totals()) out[t.endpoint] = t.requests;
  return out;
}

using Totals = std::map<std::string, uint64_t>;

const Clock::time_point t0{};

TEST(MicroCounters, InstancesAreSummedPerEndpoint) {
  MicroCounters c;
  c.Update({Instance("a", {{"echo", 10}, {"add", 4}}), Instance("b", {{"echo", 5}})}, t0);
  EXPECT_EQ(c.Instances(), 2u);
  EXPECT_EQ(Requests(c), (Totals{{"add", 4}, {"echo", 15}}));
  std::vector<MicroCounters::EndpointTotals> t = c.Totals();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].endpoint, "add");  // sorted by name
  EXPECT_EQ(t[1].errors, 1u);       // 10/10 + 5/10
  EXPECT_DOUBLE_EQ(t[1].processing_seconds, 0.3);
}

TEST(MicroCounters, DisappearedInstanceKeepsContributing) {
  MicroCounters c;
  c.Update({Instance("a", {{"echo", 10}}), Instance("b", {{"echo", 5}})}, t0);
  c.Update({Instance("a", {{"echo", 12}})}, t0 + 5s);
  EXPECT_EQ(c.Instances(), 1u);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 17}}));
  c.Update({}, t0 + 10s);  // nobody answered: nothing changes
  EXPECT_EQ(c.Instances(), 0u);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 17}}));
}

TEST(MicroCounters, RestartWithNewIdIsMonotonic) {
  MicroCounters c;
  c.Update({Instance("a", {{"echo", 10}}), Instance("b", {{"echo", 5}})}, t0);
  c.Update({Instance("a", {{"echo", 11}}), Instance("b2", {{"echo", 1}})}, t0 + 5s);  // b restarted as b2
  EXPECT_EQ(Requests(c), (Totals{{"echo", 17}}));
  c.Update({Instance("a", {{"echo", 11}}), Instance("b2", {{"echo", 4}})}, t0 + 10s);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 20}}));
}

TEST(MicroCounters, ResetOfOneInstanceIsMonotonic) {
  MicroCounters c;
  c.Update({Instance("a", {{"echo", 10}}), Instance("b", {{"echo", 5}})}, t0);
  c.Update({Instance("a", {{"echo", 2}}), Instance("b", {{"echo", 6}})}, t0 + 5s);  // a reset, same started
  EXPECT_EQ(Requests(c), (Totals{{"echo", 18}}));
  c.Update({Instance("a", {{"echo", 3}}), Instance("b", {{"echo", 6}})}, t0 + 10s);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 19}}));
}

TEST(MicroCounters, NewStartedTimeIsAResetEvenWhenValuesGrew) {
  // nats.go's Reset() sets a new `started`; the counter may already be past its old value.
  MicroCounters c;
  c.Update({Instance("a", {{"echo", 10}}, "2026-01-01T00:00:00Z")}, t0);
  c.Update({Instance("a", {{"echo", 12}}, "2026-01-01T00:00:03Z")}, t0 + 5s);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 22}}));
}

TEST(MicroCounters, DuplicateAnswerInOneRoundCountsOnce) {
  MicroCounters c;
  c.Update({Instance("a", {{"echo", 10}}), Instance("a", {{"echo", 10}})}, t0);
  EXPECT_EQ(c.Instances(), 1u);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 10}}));
}

TEST(MicroCounters, EndpointsSharingANameAreSummedWithinAnInstance) {
  MicroCounters c;
  MicroStatsResponse a = Instance("a", {{"echo", 10}});
  a.endpoints.push_back(a.endpoints[0]);
  a.endpoints.back().subject = "api.echo2";
  c.Update({a}, t0);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 20}}));
}

TEST(MicroCounters, InstancesGoneBeyondTheHorizonAreFoldedAndForgotten) {
  MicroCounters c(1h);
  c.Update({Instance("a", {{"echo", 10}}), Instance("b", {{"echo", 5}})}, t0);
  c.Update({Instance("a", {{"echo", 20}})}, t0 + 59min);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 25}}));
  c.Update({Instance("a", {{"echo", 30}})}, t0 + 61min);  // b folded into the base here
  EXPECT_EQ(Requests(c), (Totals{{"echo", 35}}));
  EXPECT_EQ(c.tracked_instances(), 1u);
  // a restarts as a2; an hour after its last answer a is folded too: the base holds 30 + 5.
  c.Update({Instance("a2", {{"echo", 1}})}, t0 + 200min);
  EXPECT_EQ(Requests(c), (Totals{{"echo", 36}}));
  EXPECT_EQ(c.Instances(), 1u);
  EXPECT_EQ(c.tracked_instances(), 1u);
}

TEST(MicroCounters, EndpointCapIgnoresExtrasAndCountsThem) {
  MicroCounters c(1h, /*max_endpoints=*/2);
  c.Update({Instance("a", {{"a1", 1}, {"a2", 2}, {"a3", 3}}), Instance("b", {{"b1", 4}, {"a1", 5}})}, t0);
  EXPECT_EQ(Requests(c), (Totals{{"a1", 6}, {"a2", 2}}));
  EXPECT_EQ(c.dropped_endpoints(), 2u);  // a3 and b1
  c.Update({Instance("a", {{"a1", 2}})}, t0 + 5s);
  EXPECT_EQ(c.dropped_endpoints(), 0u);  // per round
  EXPECT_EQ(Requests(c), (Totals{{"a1", 7}, {"a2", 2}}));
}

// A random life of a service: instances serve, vanish for a while, reset and restart, and old
// ids are retired. After every round no total may go down; at the end, once every live
// instance has answered, each total equals the requests the instances ever reported. (Requests
// served after an instance's last answer and before its reset or restart are invisible to any
// poller; the simulation leaves them out of the truth. Resets announce themselves with a new
// `started`, as nats.go's do; restarts get a new id.)
TEST(MicroCounters, RandomLifeStaysMonotonicAndExact) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    struct Sim {
      std::string id;
      int generation = 0;
      Totals counts;      // what its STATS would say
      Totals unobserved;  // served since its last answer
    };
    int next_id = 0;
    std::vector<Sim> live(4);
    for (Sim& s : live) s.id = "i" + std::to_string(next_id++);
    auto answer = [](Sim& s) {
      s.unobserved.clear();
      return Instance(s.id, s.counts, "gen" + std::to_string(s.generation));
    };
    Totals truth, last;
    MicroCounters c(1min);  // restarted ids retire within the run
    Clock::time_point now = t0;
    for (int round = 0; round < 300; ++round) {
      now += 5s;
      std::vector<MicroStatsResponse> answers;
      for (Sim& s : live) {
        if (chance(0.05) || chance(0.03)) {  // a reset, or a restart under a new id
          for (const auto& [ep, n] : s.unobserved) truth[ep] -= n;
          s = chance(0.5) ? Sim{s.id, s.generation + 1, {}, {}} : Sim{"i" + std::to_string(next_id++), 0, {}, {}};
        }
        for (const char* ep : {"echo", "add"}) {
          uint64_t n = rng() % 20;
          s.counts[ep] += n;
          s.unobserved[ep] += n;
          truth[ep] += n;
        }
        if (chance(0.8)) answers.push_back(answer(s));
      }
      c.Update(answers, now);
      Totals now_totals = Requests(c);
      for (const auto& [ep, n] : last) ASSERT_GE(now_totals[ep], n) << "round " << round;
      last = now_totals;
    }
    std::vector<MicroStatsResponse> all;
    for (Sim& s : live) all.push_back(answer(s));
    c.Update(all, now + 5s);
    EXPECT_EQ(Requests(c), truth);
    EXPECT_EQ(c.Instances(), live.size());
  }
}

}  // namespace
}  // namespace farrier
