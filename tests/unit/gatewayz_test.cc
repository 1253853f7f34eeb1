// /gatewayz: the east/west gateway pair seen from both sides, with account interest listing, and
// a server without gateways.
#include "sources/gatewayz.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/json_fields.h"
#include "fixtures.h"
#include "rendered.h"

namespace farrier {
namespace {

using test::FixtureJson;
using test::ReadFixture;
using test::Rendered;

Gatewayz Parsed(const std::string& body) {
  Result<Gatewayz> r = ParseGatewayz(body);
  if (!r.ok()) throw std::runtime_error(r.error());
  return std::move(r).value();
}

Rendered Render(const Gatewayz& g) {
  Families families;
  RenderGatewayz(g, families);
  return Rendered(families);
}

// The server prints "0s" until it has measured the round trip.
double MeasuredRtt(const nlohmann::json& conn) {
  double rtt = json_fields::GoDurationSeconds(conn["rtt"].get<std::string>());
  return rtt > 0 ? rtt : -1;
}

const test::LabelMap kWestOut{{"gateway", "west"}, {"direction", "outbound"}};
const test::LabelMap kWestIn{{"gateway", "west"}, {"direction", "inbound"}};

TEST(ParseGatewayz, EastSeesWestBothWays) {
  nlohmann::json east = FixtureJson("gatewayz.json");
  nlohmann::json west = FixtureJson("gatewayz-west.json");
  Gatewayz g = Parsed(east.dump());
  EXPECT_EQ(g.server_id, east["server_id"].get<std::string>());
  EXPECT_EQ(g.name, "east");
  ASSERT_EQ(g.connections.size(), 2u);

  const GatewayConnection& out = g.connections[0];
  const nlohmann::json& out_raw = east["outbound_gateways"]["west"]["connection"];
  EXPECT_EQ(out.gateway, "west");
  EXPECT_EQ(out.direction, "outbound");
  EXPECT_TRUE(out.configured);
  EXPECT_EQ(out.remote_server_id, west["server_id"].get<std::string>());
  EXPECT_EQ(out.cid, out_raw["cid"].get<uint64_t>());
  EXPECT_GE(out.out_msgs, 10u);  // README: 10 messages on gwsub.0.0 went to west
  EXPECT_EQ(out.out_msgs, out_raw["out_msgs"].get<uint64_t>());
  EXPECT_EQ(out.out_bytes, out_raw["out_bytes"].get<uint64_t>());
  EXPECT_EQ(out.subscriptions, out_raw["subscriptions"].get<uint64_t>());
  EXPECT_EQ(out.pending_bytes, out_raw["pending_bytes"].get<uint64_t>());
  EXPECT_DOUBLE_EQ(out.rtt_seconds, MeasuredRtt(out_raw));

  const GatewayConnection& in = g.connections[1];
  const nlohmann::json& in_raw = east["inbound_gateways"]["west"][0]["connection"];
  EXPECT_EQ(in.gateway, "west");
  EXPECT_EQ(in.direction, "inbound");
  EXPECT_FALSE(in.configured);  // inbound connections are never "configured"
  EXPECT_EQ(in.remote_server_id, west["server_id"].get<std::string>());
  EXPECT_EQ(in.in_msgs, in_raw["in_msgs"].get<uint64_t>());
  EXPECT_EQ(in.in_bytes, in_raw["in_bytes"].get<uint64_t>());
  EXPECT_EQ(in.out_msgs, 0u);  // the inbound side only receives
  EXPECT_DOUBLE_EQ(in.rtt_seconds, MeasuredRtt(in_raw));

  Gatewayz w = Parsed(west.dump());
  EXPECT_EQ(w.name, "west");
  ASSERT_EQ(w.connections.size(), 2u);
  EXPECT_EQ(w.connections[0].gateway, "east");
  EXPECT_EQ(w.connections[0].remote_server_id, g.server_id);
}

TEST(ParseGatewayz, AccountInterestListingIsIgnored) {
  Gatewayz plain = Parsed(ReadFixture("gatewayz.json"));
  Gatewayz accs = Parsed(ReadFixture("gatewayz-accs.json"));  // ?accs=1
  ASSERT_EQ(accs.connections.size(), plain.connections.size());
  for (size_t i = 0; i < accs.connections.size(); ++i) {
    EXPECT_EQ(accs.connections[i].gateway, plain.connections[i].gateway);
    EXPECT_EQ(accs.connections[i].direction, plain.connections[i].direction);
    EXPECT_EQ(accs.connections[i].cid, plain.connections[i].cid);
  }
}

TEST(ParseGatewayz, NoGatewaysRendersNothing) {
  Gatewayz none = Parsed(ReadFixture("gatewayz-none.json"));
  EXPECT_EQ(none.name, "");
  EXPECT_TRUE(none.connections.empty());
  EXPECT_TRUE(Render(none).families().empty());
}

TEST(ParseGatewayz, ErrorsNameSourceAndPath) {
  Result<Gatewayz> bad = ParseGatewayz(test::EditedFixture("gatewayz.json", [](nlohmann::json& j) {
    j["inbound_gateways"]["west"] = nlohmann::json::object();
  }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "gatewayz: $.inbound_gateways[\"west\"]: expected array, got object");

  bad = ParseGatewayz(test::EditedFixture("gatewayz.json", [](nlohmann::json& j) {
    j["outbound_gateways"]["west"]["connection"]["in_msgs"] = -1;
  }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(),
            "gatewayz: $.outbound_gateways[\"west\"].connection.in_msgs: expected unsigned "
            "integer, got number");

  bad = ParseGatewayz(test::EditedFixture("gatewayz.json", [](nlohmann::json& j) {
    j["inbound_gateways"]["west"][0]["connection"].erase("cid");
  }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(),
            "gatewayz: $.inbound_gateways[\"west\"][0].connection.cid: expected unsigned integer, "
            "field missing");

  bad = ParseGatewayz(test::EditedFixture("gatewayz.json",
                                          [](nlohmann::json& j) { j["outbound_gateways"] = nlohmann::json::array(); }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "gatewayz: $.outbound_gateways: expected object, got array");

  bad = ParseGatewayz(ReadFixture("leafz-none.json"));  // has server_id, is not /gatewayz
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "gatewayz: $.outbound_gateways: expected object, field missing");
}

TEST(RenderGatewayz, SeriesPerRemoteGatewayAndDirection) {
  for (const char* file : {"gatewayz.json", "gatewayz-west.json"}) {
    SCOPED_TRACE(file);
    nlohmann::json raw = FixtureJson(file);
    const std::string self = raw["name"];
    const std::string remote = self == "east" ? "west" : "east";
    Rendered r = Render(Parsed(raw.dump()));
    test::ExpectWellFormed(r, "gatewayz");
    EXPECT_EQ(r.Value("nats_gatewayz_info", {{"name", self}}), 1);
    const nlohmann::json& out_raw = raw["outbound_gateways"][remote]["connection"];
    const nlohmann::json& in_raw = raw["inbound_gateways"][remote][0]["connection"];
    test::LabelMap out{{"gateway", remote}, {"direction", "outbound"}};
    test::LabelMap in{{"gateway", remote}, {"direction", "inbound"}};
    EXPECT_EQ(r.Value("nats_gateway_connections", out), 1);
    EXPECT_EQ(r.Value("nats_gateway_connections", in), 1);
    EXPECT_EQ(r.Value("nats_gateway_messages_sent_total", out), out_raw["out_msgs"].get<double>());
    EXPECT_EQ(r.Value("nats_gateway_bytes_sent_total", out), out_raw["out_bytes"].get<double>());
    EXPECT_EQ(r.Value("nats_gateway_messages_received_total", in), in_raw["in_msgs"].get<double>());
    EXPECT_EQ(r.Value("nats_gateway_bytes_received_total", in), in_raw["in_bytes"].get<double>());
    EXPECT_EQ(r.Value("nats_gateway_subscriptions", out), out_raw["subscriptions"].get<double>());
    EXPECT_EQ(r.Value("nats_gateway_pending_bytes", in), in_raw["pending_bytes"].get<double>());
    for (const auto& [labels, conn] : {std::pair{out, out_raw}, std::pair{in, in_raw}}) {
      double rtt = MeasuredRtt(conn);
      EXPECT_EQ(r.Value("nats_gateway_rtt_seconds", labels), rtt > 0 ? std::optional<double>(rtt) : std::nullopt);
    }
  }
}

TEST(RenderGatewayz, InboundConnectionsOfOneGatewayAreSummed) {
  // A second server of west connecting in, and an outbound entry without its (omitempty)
  // connection object, which has nothing to measure.
  nlohmann::json raw = FixtureJson("gatewayz.json");
  nlohmann::json second = raw["inbound_gateways"]["west"][0];
  second["connection"]["cid"] = 99;
  second["connection"]["in_msgs"] = 6;
  second["connection"]["in_bytes"] = 60;
  second["connection"]["out_msgs"] = 2;  // non-zero everywhere, so a misread key shows
  second["connection"]["out_bytes"] = 20;
  second["connection"]["pending_bytes"] = 512;
  second["connection"]["subscriptions"] = 7;
  second["connection"]["rtt"] = "3ms";
  raw["inbound_gateways"]["west"].push_back(second);
  raw["outbound_gateways"]["west"].erase("connection");
  Gatewayz g = Parsed(raw.dump());
  ASSERT_EQ(g.connections.size(), 2u);  // the two inbound ones
  Rendered r = Render(g);
  test::ExpectWellFormed(r, "gatewayz");
  EXPECT_EQ(r.Value("nats_gateway_connections", kWestIn), 2);
  EXPECT_EQ(r.Value("nats_gateway_messages_received_total", kWestIn),
            raw["inbound_gateways"]["west"][0]["connection"]["in_msgs"].get<double>() + 6);
  const nlohmann::json& first = raw["inbound_gateways"]["west"][0]["connection"];
  EXPECT_EQ(r.Value("nats_gateway_bytes_received_total", kWestIn), first["in_bytes"].get<double>() + 60);
  EXPECT_EQ(r.Value("nats_gateway_messages_sent_total", kWestIn), first["out_msgs"].get<double>() + 2);
  EXPECT_EQ(r.Value("nats_gateway_bytes_sent_total", kWestIn), first["out_bytes"].get<double>() + 20);
  EXPECT_EQ(r.Value("nats_gateway_pending_bytes", kWestIn), first["pending_bytes"].get<double>() + 512);
  EXPECT_EQ(r.Value("nats_gateway_subscriptions", kWestIn), first["subscriptions"].get<double>() + 7);
  // The largest: 3 ms or the captured connection's, when the capture measured it.
  EXPECT_EQ(r.Value("nats_gateway_rtt_seconds", kWestIn), std::max(3e-3, MeasuredRtt(first)));
  EXPECT_FALSE(r.Value("nats_gateway_connections", kWestOut).has_value());
}

}  // namespace
}  // namespace farrier
