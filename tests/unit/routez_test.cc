// /routez: a single server (no routes) and the 3-node cluster, where every node has a route to
// each of the two others.
#include "sources/routez.h"

#include <gtest/gtest.h>

#include <set>

#include "core/json_fields.h"
#include "fixtures.h"
#include "rendered.h"

namespace farrier {
namespace {

using test::FixtureJson;
using test::ReadFixture;
using test::Rendered;

Routez Parsed(const std::string& body) {
  Result<Routez> r = ParseRoutez(body);
  if (!r.ok()) throw std::runtime_error(r.error());
  return std::move(r).value();
}

Rendered Render(const Routez& routez) {
  Families families;
  RenderRoutez(routez, families);
  return Rendered(families);
}

std::string RoutezFile(int n) { return "cluster-node" + std::to_string(n) + "-routez.json"; }
std::string VarzFile(int n) { return "cluster-node" + std::to_string(n) + "-varz.json"; }

TEST(ParseRoutez, SingleServerHasNoRoutes) {
  Routez r = Parsed(ReadFixture("routez.json"));
  EXPECT_EQ(r.server_id, FixtureJson("varz.json")["server_id"].get<std::string>());
  EXPECT_EQ(r.num_routes, 0u);
  EXPECT_TRUE(r.routes.empty());
  Rendered out = Render(r);
  test::ExpectWellFormed(out, "routez");
  EXPECT_EQ(out.Value("nats_routez_routes"), 0);
  EXPECT_EQ(out.Names(), (std::set<std::string>{"nats_routez_routes"}));
}

TEST(ParseRoutez, EachClusterNodeRoutesToTheOtherTwo) {
  for (int n = 1; n <= 3; ++n) {
    SCOPED_TRACE(RoutezFile(n));
    nlohmann::json raw = FixtureJson(RoutezFile(n));
    Routez r = Parsed(ReadFixture(RoutezFile(n)));
    EXPECT_EQ(r.server_id, FixtureJson(VarzFile(n))["server_id"].get<std::string>());
    EXPECT_EQ(r.num_routes, 2u);
    ASSERT_EQ(r.routes.size(), 2u);
    // remote_id is the peer's server id, as that peer's own /varz reports it.
    std::set<std::string> peers, remote_ids;
    for (int m = 1; m <= 3; ++m) {
      if (m != n) peers.insert(FixtureJson(VarzFile(m))["server_id"].get<std::string>());
    }
    for (size_t i = 0; i < r.routes.size(); ++i) {
      const Route& route = r.routes[i];
      const nlohmann::json& o = raw["routes"][i];
      remote_ids.insert(route.remote_id);
      EXPECT_EQ(route.rid, o["rid"].get<uint64_t>());
      EXPECT_EQ(route.did_solicit, o["did_solicit"].get<bool>());
      // Every config lists both peers, so both ends solicit; which of the two connections
      // survives (solicited here or accepted here) differs from one capture run to the next.
      EXPECT_EQ(route.is_configured, o["is_configured"].get<bool>());
      EXPECT_EQ(route.pending_bytes, o["pending_size"].get<uint64_t>());
      EXPECT_EQ(route.subscriptions, o["subscriptions"].get<uint64_t>());
      EXPECT_EQ(route.in_msgs, o["in_msgs"].get<uint64_t>());
      EXPECT_EQ(route.out_msgs, o["out_msgs"].get<uint64_t>());
      EXPECT_EQ(route.in_bytes, o["in_bytes"].get<uint64_t>());
      EXPECT_EQ(route.out_bytes, o["out_bytes"].get<uint64_t>());
      double rtt = json_fields::GoDurationSeconds(o["rtt"].get<std::string>());
      EXPECT_DOUBLE_EQ(route.rtt_seconds, rtt > 0 ? rtt : -1);
    }
    EXPECT_EQ(remote_ids, peers);
  }
}

TEST(ParseRoutez, SubscriptionDetailIsIgnored) {
  Routez plain = Parsed(ReadFixture("cluster-node1-routez.json"));
  Routez detail = Parsed(ReadFixture("cluster-node1-routez-subs-detail.json"));
  ASSERT_EQ(detail.routes.size(), plain.routes.size());
  // The same peers; nats-server lists routes in map order, which can differ between requests.
  std::set<std::string> plain_ids, detail_ids;
  for (const Route& route : plain.routes) plain_ids.insert(route.remote_id);
  for (const Route& route : detail.routes) detail_ids.insert(route.remote_id);
  EXPECT_EQ(detail_ids, plain_ids);
  for (size_t i = 0; i < detail.routes.size(); ++i) {
    EXPECT_EQ(detail.routes[i].subscriptions,
              FixtureJson("cluster-node1-routez-subs-detail.json")["routes"][i]["subscriptions_list_detail"].size());
  }
}

TEST(ParseRoutez, ErrorsNameSourceAndPath) {
  Result<Routez> bad = ParseRoutez(test::EditedFixture("cluster-node1-routez.json",
                                                       [](nlohmann::json& j) { j["routes"][1]["remote_id"] = 5; }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "routez: $.routes[1].remote_id: expected string, got number");

  bad = ParseRoutez(test::EditedFixture("cluster-node1-routez.json",
                                        [](nlohmann::json& j) { j["routes"][0].erase("rid"); }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "routez: $.routes[0].rid: expected unsigned integer, field missing");

  bad = ParseRoutez(test::EditedFixture("cluster-node1-routez.json",
                                        [](nlohmann::json& j) { j["routes"][0]["in_msgs"] = -3; }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "routez: $.routes[0].in_msgs: expected unsigned integer, got number");

  bad = ParseRoutez(ReadFixture("varz.json"));  // has a server_id, but is not /routez
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "routez: $.num_routes: expected unsigned integer, field missing");

  bad = ParseRoutez(ReadFixture("garbage.txt"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "routez: body is not valid JSON");
}

TEST(RenderRoutez, OneSeriesSetPerPeer) {
  nlohmann::json raw = FixtureJson("cluster-node1-routez.json");
  Rendered r = Render(Parsed(ReadFixture("cluster-node1-routez.json")));
  test::ExpectWellFormed(r, "routez");
  EXPECT_EQ(r.Value("nats_routez_routes"), 2);
  EXPECT_EQ(r.SampleCount("nats_route_messages_received_total"), 2u);
  for (const nlohmann::json& o : raw["routes"]) {
    test::LabelMap l{{"remote_id", o["remote_id"].get<std::string>()}};
    EXPECT_EQ(r.Value("nats_route_connections", l), 1);
    EXPECT_EQ(r.Value("nats_route_pending_bytes", l), o["pending_size"].get<double>());
    EXPECT_EQ(r.Value("nats_route_subscriptions", l), o["subscriptions"].get<double>());
    EXPECT_EQ(r.Value("nats_route_messages_received_total", l), o["in_msgs"].get<double>());
    EXPECT_EQ(r.Value("nats_route_messages_sent_total", l), o["out_msgs"].get<double>());
    EXPECT_EQ(r.Value("nats_route_bytes_received_total", l), o["in_bytes"].get<double>());
    EXPECT_EQ(r.Value("nats_route_bytes_sent_total", l), o["out_bytes"].get<double>());
    double rtt = json_fields::GoDurationSeconds(o["rtt"].get<std::string>());
    if (rtt > 0) {
      ASSERT_TRUE(r.Value("nats_route_rtt_seconds", l).has_value());
      EXPECT_DOUBLE_EQ(*r.Value("nats_route_rtt_seconds", l), rtt);
    } else {
      EXPECT_FALSE(r.Value("nats_route_rtt_seconds", l).has_value());
    }
  }
}

TEST(RenderRoutez, DuplicateRoutesToOnePeerAreSummed) {
  // A second connection to the first peer (as while a duplicate route is being resolved),
  // with a new rid, its own counters and a slower round trip.
  nlohmann::json raw = FixtureJson("cluster-node1-routez.json");
  const nlohmann::json first = raw["routes"][0];
  nlohmann::json second = first;
  second["rid"] = first["rid"].get<uint64_t>() + 100;
  // Every field non-zero (the capture's pending_size is 0), so a misread key shows.
  second["in_msgs"] = 5;
  second["out_msgs"] = 6;
  second["in_bytes"] = 500;
  second["out_bytes"] = 700;
  second["pending_size"] = 4096;
  second["subscriptions"] = 3;
  second["rtt"] = "2.5ms";
  raw["routes"].push_back(second);
  raw["num_routes"] = 3;
  Rendered r = Render(Parsed(raw.dump()));
  test::ExpectWellFormed(r, "routez");
  test::LabelMap l{{"remote_id", first["remote_id"].get<std::string>()}};
  EXPECT_EQ(r.Value("nats_routez_routes"), 3);
  EXPECT_EQ(r.SampleCount("nats_route_connections"), 2u);  // still two peers
  EXPECT_EQ(r.Value("nats_route_connections", l), 2);
  EXPECT_EQ(r.Value("nats_route_messages_received_total", l), first["in_msgs"].get<double>() + 5);
  EXPECT_EQ(r.Value("nats_route_messages_sent_total", l), first["out_msgs"].get<double>() + 6);
  EXPECT_EQ(r.Value("nats_route_bytes_received_total", l), first["in_bytes"].get<double>() + 500);
  EXPECT_EQ(r.Value("nats_route_bytes_sent_total", l), first["out_bytes"].get<double>() + 700);
  EXPECT_EQ(r.Value("nats_route_pending_bytes", l), first["pending_size"].get<double>() + 4096);
  EXPECT_EQ(r.Value("nats_route_subscriptions", l), first["subscriptions"].get<double>() + 3);
  EXPECT_EQ(r.Value("nats_route_rtt_seconds", l), 2.5e-3);  // the slower one

  // Neither connection to that peer measured yet: no RTT series for it, the other peer keeps its.
  raw["routes"][0]["rtt"] = "0s";
  raw["routes"][2]["rtt"] = "0s";
  Rendered unmeasured = Render(Parsed(raw.dump()));
  EXPECT_FALSE(unmeasured.Value("nats_route_rtt_seconds", l).has_value());
  EXPECT_EQ(unmeasured.SampleCount("nats_route_rtt_seconds"), r.SampleCount("nats_route_rtt_seconds") - 1);
}

}  // namespace
}  // namespace farrier
