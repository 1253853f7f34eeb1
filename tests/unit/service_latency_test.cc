// Service-latency events: ParseServiceLatency on the events captured from nats-server 2.9.10
// (tests/fixtures/nats-2.9.10/service-latency-*.json, see the README there for how each status
// was provoked), and on broken variants of them.
#include "services/service_latency.h"

#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"

namespace farrier {
namespace {

using test::EditedFixture;
using test::FixtureJson;
using test::ReadFixture;

double Seconds(const nlohmann::json& ns) { return static_cast<double>(ns.get<int64_t>()) / 1e9; }

std::string ErrorOf(const std::string& body) {
  Result<ServiceLatencyEvent> e = ParseServiceLatency(body);
  EXPECT_FALSE(e.ok()) << "parsed: " << body;
  return e.ok() ? std::string() : e.error();
}

TEST(ParseServiceLatency, AnsweredRequest) {
  nlohmann::json j = FixtureJson("service-latency-200.json");
  Result<ServiceLatencyEvent> e = ParseServiceLatency(ReadFixture("service-latency-200.json"));
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->status, 200);
  EXPECT_EQ(e->error, "");
  EXPECT_DOUBLE_EQ(e->service_seconds, Seconds(j["service"]));
  EXPECT_DOUBLE_EQ(e->system_seconds, Seconds(j["system"]));
  EXPECT_DOUBLE_EQ(e->total_seconds, Seconds(j["total"]));
  EXPECT_DOUBLE_EQ(e->requestor_rtt_seconds, Seconds(j["requestor"]["rtt"]));
  EXPECT_DOUBLE_EQ(e->responder_rtt_seconds, Seconds(j["responder"]["rtt"]));
  // The script's worker answers after 20 ms (README); service excludes the responder's RTT,
  // so only service + that RTT is sure to reach 20 ms (what the capture script checks).
  EXPECT_GE(e->service_seconds + e->responder_rtt_seconds, 0.020);
  EXPECT_LT(e->service_seconds, 0.200);
  EXPECT_GT(e->requestor_rtt_seconds, 0);
  EXPECT_GT(e->responder_rtt_seconds, 0);
  // On 2.9.10 total is exactly both RTTs + service + system (integer nanoseconds).
  EXPECT_EQ(j["total"].get<int64_t>(), j["requestor"]["rtt"].get<int64_t>() + j["responder"]["rtt"].get<int64_t>() +
                                           j["service"].get<int64_t>() + j["system"].get<int64_t>());
  EXPECT_NEAR(e->total_seconds,
              e->requestor_rtt_seconds + e->responder_rtt_seconds + e->service_seconds + e->system_seconds, 1e-12);
}

TEST(ParseServiceLatency, UnansweredStatuses) {
  struct Case {
    int status;
    const char* description;
  };
  for (const Case& c : {Case{400, "Bad Request"}, Case{408, "Request Timeout"}, Case{503, "Service Unavailable"},
                        Case{504, "Service Timeout"}}) {
    const std::string file = "service-latency-" + std::to_string(c.status) + ".json";
    SCOPED_TRACE(file);
    nlohmann::json j = FixtureJson(file);
    Result<ServiceLatencyEvent> e = ParseServiceLatency(ReadFixture(file));
    ASSERT_TRUE(e.ok()) << e.error();
    EXPECT_EQ(e->status, c.status);
    EXPECT_EQ(e->error, c.description);
    EXPECT_EQ(e->service_seconds, 0);
    EXPECT_EQ(e->system_seconds, 0);
    EXPECT_EQ(e->total_seconds, 0);
    EXPECT_FALSE(j.contains("responder"));
    EXPECT_EQ(e->responder_rtt_seconds, 0);
    EXPECT_DOUBLE_EQ(e->requestor_rtt_seconds, Seconds(j["requestor"]["rtt"]));
    EXPECT_GT(e->requestor_rtt_seconds, 0);
  }
}

TEST(ParseServiceLatency, OptionalClientsMayBeAbsent) {
  std::string body = EditedFixture("service-latency-200.json", [](nlohmann::json& j) {
    j.erase("requestor");
    j.erase("responder");
    j.erase("description");
  });
  Result<ServiceLatencyEvent> e = ParseServiceLatency(body);
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->requestor_rtt_seconds, 0);
  EXPECT_EQ(e->responder_rtt_seconds, 0);
  EXPECT_GT(e->service_seconds, 0);
}

TEST(ParseServiceLatency, RejectsOtherEventTypes) {
  EXPECT_EQ(ErrorOf(EditedFixture("service-latency-200.json",
                                  [](nlohmann::json& j) { j["type"] = "io.nats.server.advisory.v1.client_connect"; })),
            "service_latency: $.type: expected \"io.nats.server.metric.v1.service_latency\", "
            "got \"io.nats.server.advisory.v1.client_connect\"");
  // A monitoring body is JSON too, but not an event.
  EXPECT_EQ(ErrorOf(ReadFixture("varz.json")), "service_latency: $.type: expected string, field missing");
}

TEST(ParseServiceLatency, MissingFieldsAreNamed) {
  for (const char* field : {"service", "system", "total"}) {
    EXPECT_EQ(ErrorOf(EditedFixture("service-latency-200.json", [&](nlohmann::json& j) { j.erase(field); })),
              std::string("service_latency: $.") + field + ": expected integer nanoseconds, field missing");
  }
  EXPECT_EQ(ErrorOf(EditedFixture("service-latency-503.json", [](nlohmann::json& j) { j.erase("status"); })),
            "service_latency: $.status: expected integer, field missing");
  EXPECT_EQ(ErrorOf(EditedFixture("service-latency-503.json", [](nlohmann::json& j) { j.erase("type"); })),
            "service_latency: $.type: expected string, field missing");
}

TEST(ParseServiceLatency, WrongTypesAreNamed) {
  auto edited = [](const char* file, auto edit) { return ErrorOf(EditedFixture(file, edit)); };
  const char* ok = "service-latency-200.json";
  EXPECT_EQ(edited(ok, [](nlohmann::json& j) { j["service"] = "21ms"; }),
            "service_latency: $.service: expected integer nanoseconds, got string");
  EXPECT_EQ(edited(ok, [](nlohmann::json& j) { j["total"] = 0.021; }),
            "service_latency: $.total: expected integer nanoseconds, got number");
  EXPECT_EQ(edited(ok, [](nlohmann::json& j) { j["system"] = -5; }),
            "service_latency: $.system: expected non-negative integer nanoseconds, got -5");
  EXPECT_EQ(edited(ok, [](nlohmann::json& j) { j["status"] = "200"; }),
            "service_latency: $.status: expected integer, got string");
  EXPECT_EQ(edited(ok, [](nlohmann::json& j) { j["status"] = 42; }),
            "service_latency: $.status: expected an HTTP-like status 100-599, got 42");
  EXPECT_EQ(edited(ok, [](nlohmann::json& j) { j["requestor"]["rtt"] = "368µs"; }),
            "service_latency: $.requestor.rtt: expected integer nanoseconds, got string");
  EXPECT_EQ(edited(ok, [](nlohmann::json& j) { j["responder"] = "worker"; }),
            "service_latency: $.responder: expected object, got string");
  EXPECT_EQ(edited("service-latency-504.json", [](nlohmann::json& j) { j["description"] = 504; }),
            "service_latency: $.description: expected string, got number");
  EXPECT_EQ(edited(ok, [](nlohmann::json& j) { j["type"] = 1; }),
            "service_latency: $.type: expected string, got number");
}

TEST(ParseServiceLatency, Garbage) {
  EXPECT_EQ(ErrorOf(ReadFixture("garbage.txt")), "service_latency: body is not valid JSON");
  EXPECT_EQ(ErrorOf(""), "service_latency: empty body");
  EXPECT_EQ(ErrorOf("[]"), "service_latency: $: expected object, got array");
  EXPECT_EQ(ErrorOf("\"io.nats.server.metric.v1.service_latency\""), "service_latency: $: expected object, got string");
  const std::string whole = ReadFixture("service-latency-200.json");
  EXPECT_EQ(ErrorOf(whole.substr(0, whole.size() / 2)), "service_latency: body is not valid JSON");
}

}  // namespace
}  // namespace farrier
