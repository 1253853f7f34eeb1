// /connz: one page parsed, pages folded by ConnzAccumulator, totals and per-connection series.
#include "sources/connz.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "core/json_fields.h"
#include "fixtures.h"
#include "rendered.h"

namespace farrier {
namespace {

using test::FixtureJson;
using test::ReadFixture;
using test::Rendered;

ConnzPage Page(const std::string& file) {
  Result<ConnzPage> page = ParseConnzPage(ReadFixture(file));
  if (!page.ok()) throw std::runtime_error(page.error());
  return std::move(page).value();
}

uint64_t SumOf(const nlohmann::json& conns, const char* key) {
  uint64_t sum = 0;
  for (const auto& c : conns) sum += c[key].get<uint64_t>();
  return sum;
}

TEST(ParseConnzPage, FullCapture) {
  nlohmann::json j = FixtureJson("connz.json");
  ConnzPage page = Page("connz.json");
  EXPECT_EQ(page.total, 7u);  // README: 7 open client connections
  EXPECT_EQ(page.offset, 0u);
  EXPECT_EQ(page.limit, 1024u);  // the server's default page
  ASSERT_EQ(page.connections.size(), 7u);
  std::set<std::string> names;
  for (size_t i = 0; i < page.connections.size(); ++i) {
    const Connection& c = page.connections[i];
    const nlohmann::json& raw = j["connections"][i];
    SCOPED_TRACE(raw["name"].get<std::string>());
    names.insert(c.name);
    EXPECT_EQ(c.cid, raw["cid"].get<uint64_t>());
    EXPECT_EQ(c.lang, raw["lang"].get<std::string>());
    EXPECT_EQ(c.subscriptions, raw["subscriptions"].get<uint64_t>());
    EXPECT_EQ(c.pending_bytes, raw["pending_bytes"].get<uint64_t>());
    EXPECT_EQ(c.in_msgs, raw["in_msgs"].get<uint64_t>());
    EXPECT_EQ(c.out_msgs, raw["out_msgs"].get<uint64_t>());
    EXPECT_EQ(c.in_bytes, raw["in_bytes"].get<uint64_t>());
    EXPECT_EQ(c.out_bytes, raw["out_bytes"].get<uint64_t>());
    EXPECT_DOUBLE_EQ(c.rtt_seconds, json_fields::GoDurationSeconds(raw["rtt"].get<std::string>()));
    EXPECT_GT(c.rtt_seconds, 0);
    if (c.name.rfind("idle-", 0) == 0) {
      EXPECT_EQ(c.lang, "natskit");
      EXPECT_EQ(c.subscriptions, 2u);  // --subs 2
    }
    if (c.name == "svc-workers") {
      EXPECT_EQ(c.subscriptions, 3u);  // --count 3 queue subs
    }
    if (c.name == "idle-0") {
      EXPECT_EQ(c.out_msgs, 10u);  // natskit pub --subject idle.0.0 x10
    }
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"idle-0", "idle-1", "idle-2", "idle-3", "idle-4", "svc-workers", "orders-setup"}));
}

TEST(ParseConnzPage, PageAndOtherListings) {
  ConnzPage page = Page("connz-page.json");  // ?limit=2&offset=2
  nlohmann::json full = FixtureJson("connz.json");
  EXPECT_EQ(page.total, 7u);
  EXPECT_EQ(page.offset, 2u);
  EXPECT_EQ(page.limit, 2u);
  ASSERT_EQ(page.connections.size(), 2u);
  // Same server state, default sort by cid: the page is the 3rd and 4th connection.
  EXPECT_EQ(page.connections[0].cid, full["connections"][2]["cid"].get<uint64_t>());
  EXPECT_EQ(page.connections[1].cid, full["connections"][3]["cid"].get<uint64_t>());

  // Subscription details and closed connections carry extra fields the parser ignores.
  ConnzPage detail = Page("connz-subs-detail.json");
  EXPECT_EQ(detail.connections.size(), 7u);
  ConnzPage closed = Page("connz-closed.json");
  EXPECT_EQ(closed.total, FixtureJson("connz-closed.json")["total"].get<uint64_t>());
  EXPECT_EQ(closed.connections.size(), closed.total);
}

TEST(ParseConnzPage, ErrorsNameSourceAndPath) {
  std::string body = test::EditedFixture("connz.json", [](nlohmann::json& j) { j["connections"][3]["cid"] = "four"; });
  Result<ConnzPage> bad = ParseConnzPage(body);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "connz: $.connections[3].cid: expected unsigned integer, got string");

  body = test::EditedFixture("connz.json", [](nlohmann::json& j) { j["connections"] = 7; });
  bad = ParseConnzPage(body);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "connz: $.connections: expected array, got number");

  // /varz has a "connections" count and no "total": rejected, whichever the parser meets first.
  bad = ParseConnzPage(ReadFixture("varz.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error() == "connz: $.total: expected unsigned integer, field missing" ||
              bad.error() == "connz: $.connections: expected array, got number")
      << bad.error();
}

TEST(ConnzAccumulator, OverlappingPagesCountOnce) {
  nlohmann::json j = FixtureJson("connz.json");
  ConnzAccumulator acc(/*detail_limit=*/0);
  acc.Add(Page("connz.json"));
  acc.Add(Page("connz-page.json"));  // two connections seen again
  Connz c = std::move(acc).Finish();
  EXPECT_EQ(c.pages, 2u);
  EXPECT_EQ(c.clients.connections, 7u);
  EXPECT_EQ(c.clients.subscriptions, SumOf(j["connections"], "subscriptions"));
  EXPECT_EQ(c.clients.pending_bytes, SumOf(j["connections"], "pending_bytes"));
  EXPECT_EQ(c.leafnodes.connections, 0u);
  EXPECT_EQ(c.other.connections, 0u);
  EXPECT_TRUE(c.detailed.empty());
  EXPECT_EQ(c.detailed_dropped, 0u);  // detail off: nothing is "dropped"
}

TEST(ConnzAccumulator, DetailKeepsTheLowestCids) {
  nlohmann::json j = FixtureJson("connz.json");
  ConnzAccumulator acc(/*detail_limit=*/3);
  acc.Add(Page("connz.json"));
  acc.Add(Page("connz-page.json"));
  Connz c = std::move(acc).Finish();
  ASSERT_EQ(c.detailed.size(), 3u);
  EXPECT_EQ(c.detailed_dropped, 4u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c.detailed[i].cid, j["connections"][i]["cid"].get<uint64_t>());
  }
}

TEST(RenderConnz, TotalsOnlyWithoutDetail) {
  nlohmann::json j = FixtureJson("connz.json");
  ConnzAccumulator acc(0);
  acc.Add(Page("connz.json"));
  Families families;
  RenderConnz(std::move(acc).Finish(), /*lists_leafnodes=*/false, families);
  Rendered r(families);
  test::ExpectWellFormed(r, "connz");
  // 2.9 lists clients only: no leaf-node series, rather than a zero it cannot know.
  EXPECT_EQ(r.Value("nats_connz_connections", {{"kind", "client"}}), 7);
  EXPECT_EQ(r.SampleCount("nats_connz_connections"), 1u);
  EXPECT_EQ(r.Value("nats_connz_subscriptions", {{"kind", "client"}}), SumOf(j["connections"], "subscriptions"));
  EXPECT_EQ(r.Value("nats_exporter_connz_pages"), 1);
  EXPECT_TRUE(r.Value("nats_connz_pending_bytes_max", {{"kind", "client"}}).has_value());
  EXPECT_FALSE(r.Has("nats_connection_messages_sent_total"));
  EXPECT_FALSE(r.Has("nats_exporter_connz_detail_dropped"));
}

TEST(RenderConnz, PerConnectionSeries) {
  nlohmann::json j = FixtureJson("connz.json");
  ConnzAccumulator acc(100);
  acc.Add(Page("connz.json"));
  Families families;
  RenderConnz(std::move(acc).Finish(), /*lists_leafnodes=*/false, families);
  Rendered r(families);
  test::ExpectWellFormed(r, "connz");
  EXPECT_EQ(r.Value("nats_exporter_connz_detail_dropped"), 0);
  EXPECT_EQ(r.SampleCount("nats_connection_messages_sent_total"), 7u);
  for (const auto& raw : j["connections"]) {
    test::LabelMap l{{"cid", std::to_string(raw["cid"].get<uint64_t>())}, {"name", raw["name"].get<std::string>()}};
    SCOPED_TRACE(raw["name"].get<std::string>());
    EXPECT_EQ(r.Value("nats_connection_subscriptions", l), raw["subscriptions"].get<double>());
    EXPECT_EQ(r.Value("nats_connection_messages_sent_total", l), raw["out_msgs"].get<double>());
    EXPECT_EQ(r.Value("nats_connection_messages_received_total", l), raw["in_msgs"].get<double>());
    EXPECT_EQ(r.Value("nats_connection_bytes_sent_total", l), raw["out_bytes"].get<double>());
    EXPECT_EQ(r.Value("nats_connection_bytes_received_total", l), raw["in_bytes"].get<double>());
    EXPECT_EQ(r.Value("nats_connection_pending_bytes", l), raw["pending_bytes"].get<double>());
    ASSERT_TRUE(r.Value("nats_connection_rtt_seconds", l).has_value());
    EXPECT_GT(*r.Value("nats_connection_rtt_seconds", l), 0);
  }
}

}  // namespace
}  // namespace farrier
