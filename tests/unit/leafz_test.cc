// /leafz: both ends of one leaf link (hub and leaf), a server without leafs ("leafs": null), and
// series keyed by (account, ip) rather than the ephemeral port.
#include "sources/leafz.h"

#include <gtest/gtest.h>

#include "core/json_fields.h"
#include "fixtures.h"
#include "rendered.h"

namespace farrier {
namespace {

using test::FixtureJson;
using test::ReadFixture;
using test::Rendered;

Leafz Parsed(const std::string& body) {
  Result<Leafz> r = ParseLeafz(body);
  if (!r.ok()) throw std::runtime_error(r.error());
  return std::move(r).value();
}

Rendered Render(const Leafz& leafz) {
  Families families;
  RenderLeafz(leafz, families);
  return Rendered(families);
}

TEST(ParseLeafz, BothEndsOfTheLink) {
  // README: 10 messages published on the hub crossed the link to the leaf's subscribers.
  Leafz hub = Parsed(ReadFixture("leafz-hub.json"));
  Leafz leaf = Parsed(ReadFixture("leafz-leaf.json"));
  EXPECT_EQ(hub.server_id, FixtureJson("leafz-hub.json")["server_id"].get<std::string>());
  EXPECT_NE(hub.server_id, leaf.server_id);
  ASSERT_EQ(hub.num_leafs, 1u);
  ASSERT_EQ(leaf.num_leafs, 1u);
  ASSERT_EQ(hub.leafs.size(), 1u);
  ASSERT_EQ(leaf.leafs.size(), 1u);
  const LeafConnection& h = hub.leafs[0];
  const LeafConnection& l = leaf.leafs[0];
  EXPECT_EQ(h.account, "$G");
  EXPECT_EQ(l.account, "$G");
  EXPECT_EQ(h.ip, "127.0.0.1");
  EXPECT_EQ(h.out_msgs, 10u);
  EXPECT_EQ(l.in_msgs, 10u);
  EXPECT_EQ(h.out_bytes, l.in_bytes);  // one link, seen from both ends
  EXPECT_EQ(h.in_msgs, 0u);
  EXPECT_EQ(h.port, FixtureJson("leafz-hub.json")["leafs"][0]["port"].get<uint64_t>());
  EXPECT_DOUBLE_EQ(h.rtt_seconds,
                   json_fields::GoDurationSeconds(FixtureJson("leafz-hub.json")["leafs"][0]["rtt"].get<std::string>()));
  EXPECT_GT(h.rtt_seconds, 0);
  EXPECT_EQ(l.subscriptions, FixtureJson("leafz-leaf.json")["leafs"][0]["subscriptions"].get<uint64_t>());
}

TEST(ParseLeafz, SubscriptionCountMatchesTheListing) {
  nlohmann::json raw = FixtureJson("leafz-hub-subs.json");  // ?subs=1
  Leafz hub = Parsed(raw.dump());
  ASSERT_EQ(hub.leafs.size(), 1u);
  const nlohmann::json& list = raw["leafs"][0]["subscriptions_list"];
  EXPECT_EQ(hub.leafs[0].subscriptions, list.size());
  size_t propagated = 0;  // README: 2 leaf clients x 3 subscriptions on leafsub.<i>.<k>
  for (const auto& subject : list) {
    if (subject.get<std::string>().rfind("leafsub.", 0) == 0) ++propagated;
  }
  EXPECT_EQ(propagated, 6u);
}

TEST(ParseLeafz, NoLeafsIsNull) {
  ASSERT_TRUE(FixtureJson("leafz-none.json")["leafs"].is_null());
  Leafz none = Parsed(ReadFixture("leafz-none.json"));
  EXPECT_EQ(none.num_leafs, 0u);
  EXPECT_TRUE(none.leafs.empty());
  Rendered r = Render(none);
  test::ExpectWellFormed(r, "leafz");
  EXPECT_EQ(r.Value("nats_leafz_leafnodes"), 0);
  EXPECT_EQ(r.Names(), (std::set<std::string>{"nats_leafz_leafnodes"}));
}

TEST(ParseLeafz, ErrorsNameSourceAndPath) {
  Result<Leafz> bad = ParseLeafz(test::EditedFixture("leafz-hub.json",
                                                     [](nlohmann::json& j) { j["leafs"][0]["rtt"] = 194; }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "leafz: $.leafs[0].rtt: expected string, got number");

  bad = ParseLeafz(test::EditedFixture("leafz-hub.json",
                                       [](nlohmann::json& j) { j["leafs"] = nlohmann::json::object(); }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "leafz: $.leafs: expected array, got object");

  bad = ParseLeafz(test::EditedFixture("leafz-hub.json", [](nlohmann::json& j) { j["leafs"][0].erase("account"); }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "leafz: $.leafs[0].account: expected string, field missing");

  bad = ParseLeafz(ReadFixture("routez.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "leafz: $.leafnodes: expected unsigned integer, field missing");

  bad = ParseLeafz(ReadFixture("varz.json"));  // has server_id and a "leafnodes" count
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "leafz: $.leafs: expected array, field missing");
}

TEST(RenderLeafz, HubSeriesByAccountAndIp) {
  nlohmann::json o = FixtureJson("leafz-hub.json")["leafs"][0];
  Rendered r = Render(Parsed(ReadFixture("leafz-hub.json")));
  test::ExpectWellFormed(r, "leafz");
  test::LabelMap l{{"account", "$G"}, {"ip", "127.0.0.1"}};
  EXPECT_EQ(r.Value("nats_leafz_leafnodes"), 1);
  EXPECT_EQ(r.Value("nats_leaf_connections", l), 1);
  EXPECT_EQ(r.Value("nats_leaf_messages_sent_total", l), 10);
  EXPECT_EQ(r.Value("nats_leaf_messages_received_total", l), 0);
  EXPECT_EQ(r.Value("nats_leaf_bytes_sent_total", l), o["out_bytes"].get<double>());
  EXPECT_EQ(r.Value("nats_leaf_bytes_received_total", l), o["in_bytes"].get<double>());
  EXPECT_EQ(r.Value("nats_leaf_subscriptions", l), o["subscriptions"].get<double>());
  EXPECT_DOUBLE_EQ(r.Value("nats_leaf_rtt_seconds", l).value_or(-1),
                   json_fields::GoDurationSeconds(o["rtt"].get<std::string>()));
  for (const auto& [name, family] : r.families()) {
    for (const auto& sample : family.samples) {
      EXPECT_EQ(sample.labels.count("port"), 0u) << name;  // ephemeral on the hub side
    }
  }
}

TEST(RenderLeafz, ConnectionsSharingAccountAndIpAreSummed) {
  // Two leaf servers behind one address: the capture's connection plus a copy on another
  // ephemeral port with its own counters and a not yet measured RTT.
  nlohmann::json raw = FixtureJson("leafz-hub.json");
  nlohmann::json second = raw["leafs"][0];
  second["port"] = second["port"].get<uint64_t>() + 1;
  second["in_msgs"] = 3;
  second["out_msgs"] = 4;
  second["in_bytes"] = 30;
  second["out_bytes"] = 40;
  second["subscriptions"] = 2;
  second["rtt"] = "0s";
  raw["leafs"].push_back(second);
  raw["leafnodes"] = 2;
  Rendered r = Render(Parsed(raw.dump()));
  test::ExpectWellFormed(r, "leafz");
  test::LabelMap l{{"account", "$G"}, {"ip", "127.0.0.1"}};
  EXPECT_EQ(r.Value("nats_leafz_leafnodes"), 2);
  EXPECT_EQ(r.SampleCount("nats_leaf_connections"), 1u);
  EXPECT_EQ(r.Value("nats_leaf_connections", l), 2);
  const nlohmann::json& first = raw["leafs"][0];
  EXPECT_EQ(r.Value("nats_leaf_messages_sent_total", l), 14);  // 10 captured + 4
  EXPECT_EQ(r.Value("nats_leaf_messages_received_total", l), first["in_msgs"].get<double>() + 3);
  EXPECT_EQ(r.Value("nats_leaf_bytes_received_total", l), first["in_bytes"].get<double>() + 30);
  EXPECT_EQ(r.Value("nats_leaf_bytes_sent_total", l), first["out_bytes"].get<double>() + 40);
  EXPECT_EQ(r.Value("nats_leaf_subscriptions", l), raw["leafs"][0]["subscriptions"].get<double>() + 2);
  // The measured connection's RTT stands; "0s" means not measured, not zero.
  EXPECT_DOUBLE_EQ(r.Value("nats_leaf_rtt_seconds", l).value_or(-1),
                   json_fields::GoDurationSeconds(raw["leafs"][0]["rtt"].get<std::string>()));
}

}  // namespace
}  // namespace farrier
