// /varz and /healthz: parsers and renderers on the single-server and cluster captures.
#include "sources/varz.h"

#include <gtest/gtest.h>

#include "core/json_fields.h"
#include "fixtures.h"
#include "rendered.h"
#include "sources/healthz.h"

namespace farrier {
namespace {

using test::FixtureJson;
using test::ReadFixture;
using test::Rendered;

TEST(ParseVarz, SingleServerCapture) {
  nlohmann::json j = FixtureJson("varz.json");
  Result<Varz> v = ParseVarz(ReadFixture("varz.json"));
  ASSERT_TRUE(v.ok()) << v.error();
  EXPECT_EQ(v->server_id, j["server_id"].get<std::string>());
  EXPECT_EQ(v->server_name, "farrier-single");
  EXPECT_EQ(v->version, "2.9.10");
  EXPECT_EQ(v->cluster, "");      // "cluster": {} on a server without a cluster block
  EXPECT_EQ(v->connections, 7u);  // README: 5 idle + svc-workers + orders-setup
  EXPECT_EQ(v->total_connections, j["total_connections"].get<uint64_t>());
  EXPECT_GT(v->total_connections, v->connections);  // setup clients came and went
  EXPECT_EQ(v->routes, 0u);
  EXPECT_EQ(v->leafnodes, 0u);
  EXPECT_EQ(v->subscriptions, j["subscriptions"].get<uint64_t>());
  EXPECT_EQ(v->in_msgs, j["in_msgs"].get<uint64_t>());
  EXPECT_EQ(v->out_msgs, j["out_msgs"].get<uint64_t>());
  EXPECT_EQ(v->in_bytes, j["in_bytes"].get<uint64_t>());
  EXPECT_EQ(v->out_bytes, j["out_bytes"].get<uint64_t>());
  EXPECT_EQ(v->mem_bytes, j["mem"].get<uint64_t>());
  EXPECT_DOUBLE_EQ(v->cpu_percent, j["cpu"].get<double>());
  EXPECT_EQ(v->cores, j["cores"].get<uint64_t>());
  EXPECT_EQ(v->max_connections, 65536u);  // server defaults
  EXPECT_EQ(v->max_payload_bytes, 1048576u);
  EXPECT_EQ(v->max_pending_bytes, 67108864u);
  EXPECT_DOUBLE_EQ(v->start_time_seconds, json_fields::Rfc3339Seconds(j["start"].get<std::string>()));
  EXPECT_GT(v->start_time_seconds, 1.7e9);
}

TEST(ParseVarz, ClusterNodeNamesItsCluster) {
  for (int n = 1; n <= 3; ++n) {
    std::string file = "cluster-node" + std::to_string(n) + "-varz.json";
    SCOPED_TRACE(file);
    Result<Varz> v = ParseVarz(ReadFixture(file));
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->server_name, "farrier-n" + std::to_string(n));
    EXPECT_EQ(v->cluster, "farrier-c3");
    EXPECT_EQ(v->routes, 2u);  // the script waited for 2 routes per node
  }
}

TEST(ParseVarz, ErrorsNameSourceAndPath) {
  Result<Varz> wrong = ParseVarz(ReadFixture("wrong-type-varz.json"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error(), "varz: $.connections: expected unsigned integer, got string");

  Result<Varz> truncated = ParseVarz(ReadFixture("truncated-varz.json"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error(), "varz: body is not valid JSON");

  Result<Varz> empty = ParseVarz(ReadFixture("empty.json"));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), "varz: empty body");

  // Another endpoint's body (valid JSON) lacks the required identity.
  Result<Varz> other = ParseVarz(ReadFixture("jsz.json"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error(), "varz: $.version: expected string, field missing");
}

TEST(RenderVarz, FamiliesFromTheCapture) {
  nlohmann::json j = FixtureJson("varz.json");
  Result<Varz> v = ParseVarz(ReadFixture("varz.json"));
  ASSERT_TRUE(v.ok()) << v.error();
  Families families;
  RenderVarz(*v, families);
  Rendered r(families);
  test::ExpectWellFormed(r, "varz");

  EXPECT_EQ(r.Value("nats_server_info", {{"server_id", j["server_id"].get<std::string>()},
                                         {"server_name", "farrier-single"},
                                         {"version", "2.9.10"},
                                         {"cluster", ""}}),
            1);
  EXPECT_EQ(r.Value("nats_server_connections"), 7);
  EXPECT_EQ(r.Value("nats_server_connections_total"), j["total_connections"].get<double>());
  EXPECT_EQ(r.Value("nats_server_messages_received_total"), j["in_msgs"].get<double>());
  EXPECT_EQ(r.Value("nats_server_messages_sent_total"), j["out_msgs"].get<double>());
  EXPECT_EQ(r.Value("nats_server_bytes_received_total"), j["in_bytes"].get<double>());
  EXPECT_EQ(r.Value("nats_server_bytes_sent_total"), j["out_bytes"].get<double>());
  EXPECT_EQ(r.Value("nats_server_subscriptions"), j["subscriptions"].get<double>());
  EXPECT_EQ(r.Value("nats_server_memory_bytes"), j["mem"].get<double>());
  EXPECT_EQ(r.Value("nats_server_cpu_ratio"), j["cpu"].get<double>() / 100);
  EXPECT_EQ(r.Value("nats_server_max_payload_bytes"), 1048576);
  EXPECT_EQ(r.Family("nats_server_slow_consumers_total")->type, prometheus::MetricType::Counter);
  EXPECT_EQ(r.Family("nats_server_connections")->type, prometheus::MetricType::Gauge);
  ASSERT_TRUE(r.Value("nats_server_start_time_seconds").has_value());
  EXPECT_NEAR(*r.Value("nats_server_start_time_seconds"), json_fields::Rfc3339Seconds(j["start"].get<std::string>()),
              1e-3);
}

TEST(Healthz, OkCapture) {
  Result<Healthz> h = ParseHealthz(ReadFixture("healthz.json"));  // {"status":"ok"}
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_TRUE(h->healthy);
  EXPECT_EQ(h->error, "");
  Families families;
  RenderHealthz(*h, /*has_details=*/false, families);
  Rendered r(families);
  test::ExpectWellFormed(r, "healthz");
  EXPECT_EQ(r.Value("nats_server_healthy"), 1);
  EXPECT_EQ(r.Names(), (std::set<std::string>{"nats_server_healthy"}));
}

TEST(Healthz, UnavailableVerdict) {
  // The capture is of a healthy server; this is its body with the fields 2.9.10 sets on 503.
  std::string body = test::EditedFixture("healthz.json", [](nlohmann::json& j) {
    j["status"] = "unavailable";
    j["error"] = "JetStream has not established contact with a meta leader";
  });
  Result<Healthz> h = ParseHealthz(body);
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_FALSE(h->healthy);
  EXPECT_EQ(h->error, "JetStream has not established contact with a meta leader");
  Families families;
  RenderHealthz(*h, /*has_details=*/false, families);
  EXPECT_EQ(Rendered(families).Value("nats_server_healthy"), 0);
}

TEST(Healthz, Errors) {
  Result<Healthz> other = ParseHealthz(ReadFixture("varz.json"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error(), "healthz: $.status: expected string, field missing");
  std::string wrong = test::EditedFixture("healthz.json", [](nlohmann::json& j) { j["status"] = 1; });
  Result<Healthz> typed = ParseHealthz(wrong);
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.error(), "healthz: $.status: expected string, got number");
}

}  // namespace
}  // namespace farrier
