// /subsz: the sublist statistics, plain (?subs absent: only the statistics, no server_id) and
// with a subscription listing (statistics plus server_id, paging and the list).
#include "sources/subsz.h"

#include <gtest/gtest.h>

#include "fixtures.h"
#include "rendered.h"

namespace farrier {
namespace {

using test::FixtureJson;
using test::ReadFixture;
using test::Rendered;

TEST(ParseSubsz, PlainCapture) {
  nlohmann::json j = FixtureJson("subsz.json");
  ASSERT_FALSE(j.contains("server_id"));  // what makes /subsz different from the others
  Result<Subsz> s = ParseSubsz(ReadFixture("subsz.json"));
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->subscriptions, j["num_subscriptions"].get<uint64_t>());
  EXPECT_EQ(s->cache_entries, j["num_cache"].get<uint64_t>());
  EXPECT_EQ(s->inserts, j["num_inserts"].get<uint64_t>());
  EXPECT_EQ(s->removes, j["num_removes"].get<uint64_t>());
  EXPECT_EQ(s->matches, j["num_matches"].get<uint64_t>());
  EXPECT_DOUBLE_EQ(s->cache_hit_ratio, j["cache_hit_rate"].get<double>());
  EXPECT_EQ(s->max_fanout, j["max_fanout"].get<uint64_t>());
  EXPECT_DOUBLE_EQ(s->avg_fanout, j["avg_fanout"].get<double>());
  // The table holds what is subscribed and not yet removed.
  EXPECT_EQ(s->subscriptions, s->inserts - s->removes);
  EXPECT_GT(s->cache_hit_ratio, 0);
  EXPECT_LE(s->cache_hit_ratio, 1);
}

TEST(ParseSubsz, ListingCaptureCarriesTheSameStatistics) {
  Result<Subsz> plain = ParseSubsz(ReadFixture("subsz.json"));
  Result<Subsz> listing = ParseSubsz(ReadFixture("subsz-test.json"));  // ?subs=1&test=svc.echo
  ASSERT_TRUE(plain.ok()) << plain.error();
  ASSERT_TRUE(listing.ok()) << listing.error();
  EXPECT_EQ(listing->subscriptions, plain->subscriptions);
  EXPECT_EQ(listing->inserts, plain->inserts);
  EXPECT_EQ(FixtureJson("subsz-test.json")["subscriptions_list"].size(), 3u);  // 3 queue subs
}

TEST(ParseSubsz, ErrorsNameSourceAndPath) {
  Result<Subsz> bad = ParseSubsz(test::EditedFixture("subsz.json",
                                                     [](nlohmann::json& j) { j["cache_hit_rate"] = "high"; }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "subsz: $.cache_hit_rate: expected number, got string");

  bad = ParseSubsz(test::EditedFixture("subsz.json", [](nlohmann::json& j) { j["num_matches"] = 1.5; }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "subsz: $.num_matches: expected unsigned integer, got number");

  bad = ParseSubsz(ReadFixture("varz.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "subsz: $.num_subscriptions: expected unsigned integer, field missing");

  bad = ParseSubsz(ReadFixture("empty.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "subsz: empty body");
}

TEST(RenderSubsz, FamiliesFromTheCapture) {
  nlohmann::json j = FixtureJson("subsz.json");
  Result<Subsz> s = ParseSubsz(ReadFixture("subsz.json"));
  ASSERT_TRUE(s.ok()) << s.error();
  Families families;
  RenderSubsz(*s, families);
  Rendered r(families);
  test::ExpectWellFormed(r, "subsz");
  EXPECT_EQ(r.Names(),
            (std::set<std::string>{"nats_subsz_subscriptions", "nats_subsz_cache_entries", "nats_subsz_inserts_total",
                                   "nats_subsz_removes_total", "nats_subsz_matches_total", "nats_subsz_cache_hit_ratio",
                                   "nats_subsz_max_fanout", "nats_subsz_avg_fanout"}));
  EXPECT_EQ(r.Value("nats_subsz_subscriptions"), j["num_subscriptions"].get<double>());
  EXPECT_EQ(r.Value("nats_subsz_cache_entries"), j["num_cache"].get<double>());
  EXPECT_EQ(r.Value("nats_subsz_inserts_total"), j["num_inserts"].get<double>());
  EXPECT_EQ(r.Value("nats_subsz_removes_total"), j["num_removes"].get<double>());
  EXPECT_EQ(r.Value("nats_subsz_matches_total"), j["num_matches"].get<double>());
  EXPECT_EQ(r.Value("nats_subsz_cache_hit_ratio"), j["cache_hit_rate"].get<double>());
  EXPECT_EQ(r.Value("nats_subsz_max_fanout"), j["max_fanout"].get<double>());
  EXPECT_EQ(r.Value("nats_subsz_avg_fanout"), j["avg_fanout"].get<double>());
  EXPECT_EQ(r.Family("nats_subsz_matches_total")->type, prometheus::MetricType::Counter);
  EXPECT_EQ(r.Family("nats_subsz_cache_hit_ratio")->type, prometheus::MetricType::Gauge);
}

}  // namespace
}  // namespace farrier
