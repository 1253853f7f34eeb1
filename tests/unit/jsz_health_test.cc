// JetStream health beyond backlogs on the captures of every release: mirror and source lag and
// activity, consumer delivery and ack times, account limits (farrier-health, jsz-health.json),
// leader_since and presence in the 3-node cluster. Values against the capture's own JSON.
#include "sources/jsz_health.h"

#include <gtest/gtest.h>

#include "core/json_fields.h"
#include "fixtures.h"
#include "rendered.h"

namespace farrier {
namespace {

using test::CapturedReleases;
using test::FixtureJsonOf;
using test::LabelMap;
using test::Rendered;

Rendered RenderOf(const std::string& release, const std::string& file, const std::string& server,
                  const std::vector<ExpectedAsset>& expected = {}) {
  Result<Jsz> jsz = ParseJsz(test::ReadFixtureOf(release, file));
  if (!jsz.ok()) throw std::runtime_error(jsz.error());
  JszRenderOptions options;
  options.expected = expected;
  Families families;
  RenderJsz(*jsz, options, server, ServerVersion::Parse(release), families);
  return Rendered(families);
}

// The raw stream `name` of account APP.
nlohmann::json RawStream(const nlohmann::json& jsz, const std::string& name) {
  for (const auto& account : jsz["account_details"]) {
    for (const auto& s : account.value("stream_detail", nlohmann::json::array())) {
      if (account["name"] == "APP" && s["name"] == name) return s;
    }
  }
  throw std::runtime_error("no stream APP/" + name);
}

double Seconds(const nlohmann::json& rfc3339) { return json_fields::Rfc3339Seconds(rfc3339.get<std::string>()); }

TEST(EveryRelease, MirrorAndSourceLagAndActivity) {
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    const nlohmann::json raw = FixtureJsonOf(release, "jsz-health.json");
    const double now = Seconds(raw["now"]);
    Rendered r = RenderOf(release, "jsz-health.json", "farrier-health");
    const nlohmann::json mirror = RawStream(raw, "BACKUP")["mirror"];
    const nlohmann::json source = RawStream(raw, "AGG")["sources"][0];
    const LabelMap m{{"account", "APP"}, {"stream", "BACKUP"}, {"origin", "SRC"}, {"kind", "mirror"}};
    const LabelMap s{{"account", "APP"}, {"stream", "AGG"}, {"origin", "SRC"}, {"kind", "source"}};
    EXPECT_EQ(r.Value("nats_stream_origin_lag", m), mirror["lag"].get<double>());
    EXPECT_EQ(r.Value("nats_stream_origin_lag", s), source["lag"].get<double>());
    EXPECT_EQ(r.SampleCount("nats_stream_origin_lag"), 2u);  // SRC has neither
    ASSERT_GT(mirror["active"].get<int64_t>(), 0);
    EXPECT_NEAR(*r.Value("nats_stream_origin_last_active_timestamp_seconds", m),
                now - mirror["active"].get<double>() / 1e9, 1e-6);
    EXPECT_NEAR(*r.Value("nats_stream_origin_last_active_timestamp_seconds", s),
                now - source["active"].get<double>() / 1e9, 1e-6);
    EXPECT_LT(*r.Value("nats_stream_origin_last_active_timestamp_seconds", m), now);
  }
}

// AGG sourcing SRC twice (e.g. two subject filters): one series, lags added, the oldest activity.
TEST(RenderJszHealth, AnOriginSourcedTwiceIsOneSeries) {
  const std::string release = CapturedReleases().back();
  Jsz jsz = *ParseJsz(test::ReadFixtureOf(release, "jsz-health.json"));
  JszStream* agg = nullptr;
  for (JszStream& s : jsz.stream_details) {
    if (s.name == "AGG") agg = &s;
  }
  ASSERT_TRUE(agg && agg->sources.size() == 1u && agg->sources[0].last_active_seconds);
  JszStreamOrigin second = agg->sources[0];
  second.lag = 5;
  second.last_active_seconds = *second.last_active_seconds - 60;
  agg->sources[0].lag = 2;
  agg->sources.push_back(second);
  Families families;
  RenderJsz(jsz, {}, "farrier-health", ServerVersion::Parse(release), families);
  Rendered r(families);
  const LabelMap s{{"account", "APP"}, {"stream", "AGG"}, {"origin", "SRC"}, {"kind", "source"}};
  EXPECT_EQ(r.Value("nats_stream_origin_lag", s), 7);
  EXPECT_EQ(r.Value("nats_stream_origin_last_active_timestamp_seconds", s), *second.last_active_seconds);
  EXPECT_EQ(r.SampleCount("nats_stream_origin_lag"), 2u);  // and BACKUP's mirror
  agg->sources[1].last_active_seconds.reset();             // never active: the pair has no activity time
  Families again;
  RenderJsz(jsz, {}, "farrier-health", ServerVersion::Parse(release), again);
  EXPECT_FALSE(Rendered(again).Value("nats_stream_origin_last_active_timestamp_seconds", s));
}

TEST(EveryRelease, ConsumerLastDeliveryAndAck) {
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    const nlohmann::json raw = FixtureJsonOf(release, "jsz-health.json");
    const nlohmann::json worker = RawStream(raw, "SRC")["consumer_detail"][0];
    ASSERT_EQ(worker["name"], "WORKER");
    Rendered r = RenderOf(release, "jsz-health.json", "farrier-health");
    const LabelMap w{{"account", "APP"}, {"stream", "SRC"}, {"consumer", "WORKER"}};
    EXPECT_DOUBLE_EQ(*r.Value("nats_consumer_last_delivery_timestamp_seconds", w),
                     Seconds(worker["delivered"]["last_active"]));
    EXPECT_DOUBLE_EQ(*r.Value("nats_consumer_last_ack_timestamp_seconds", w),
                     Seconds(worker["ack_floor"]["last_active"]));
    // 10 delivered, 8 acked: the ack floor moved after the delivery it acknowledges started.
    EXPECT_GT(*r.Value("nats_consumer_last_delivery_timestamp_seconds", w), 1.7e9);
  }
}

TEST(EveryRelease, AccountLimitsNextToUsage) {
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    Rendered r = RenderOf(release, "jsz-health.json", "farrier-health");
    const LabelMap app{{"account", "APP"}};
    EXPECT_EQ(r.Value("nats_jetstream_account_max_memory_bytes", app), 67108864);  // max_mem of the script
    EXPECT_EQ(r.Value("nats_jetstream_account_max_storage_bytes", app), 268435456);
    EXPECT_GT(*r.Value("nats_jetstream_account_storage_bytes", app), 0);
    // $G of the single server has no limits: 2^64-1 in the body, no limit sample.
    Rendered single = RenderOf(release, "jsz-full.json", "farrier-single");
    EXPECT_TRUE(single.Value("nats_jetstream_account_storage_bytes", {{"account", "$G"}}));
    EXPECT_FALSE(single.Has("nats_jetstream_account_max_storage_bytes"));
    EXPECT_FALSE(single.Has("nats_jetstream_account_max_memory_bytes"));
  }
}

TEST(EveryRelease, ExpectedAssetsPresentOrNot) {
  const std::vector<ExpectedAsset> expected{{"APP", "SRC", ""},    {"APP", "BACKUP", ""},    {"APP", "GONE", ""},
                                            {"OTHER", "SRC", ""},  {"APP", "SRC", "WORKER"}, {"APP", "SRC", "GONE"},
                                            {"", "SRC", "WORKER"}, {"APP", "AGG", "WORKER"}};
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    Rendered r = RenderOf(release, "jsz-health.json", "farrier-health", expected);
    EXPECT_EQ(r.Value("nats_stream_present", {{"account", "APP"}, {"stream", "SRC"}}), 1);
    EXPECT_EQ(r.Value("nats_stream_present", {{"account", "APP"}, {"stream", "BACKUP"}}), 1);
    EXPECT_EQ(r.Value("nats_stream_present", {{"account", "APP"}, {"stream", "GONE"}}), 0);
    EXPECT_EQ(r.Value("nats_stream_present", {{"account", "OTHER"}, {"stream", "SRC"}}), 0);
    EXPECT_EQ(r.Value("nats_consumer_present", {{"account", "APP"}, {"stream", "SRC"}, {"consumer", "WORKER"}}), 1);
    EXPECT_EQ(r.Value("nats_consumer_present", {{"account", "APP"}, {"stream", "SRC"}, {"consumer", "GONE"}}), 0);
    EXPECT_EQ(r.Value("nats_consumer_present", {{"account", ""}, {"stream", "SRC"}, {"consumer", "WORKER"}}), 1);
    EXPECT_EQ(r.Value("nats_consumer_present", {{"account", "APP"}, {"stream", "AGG"}, {"consumer", "WORKER"}}), 0);
    EXPECT_EQ(r.SampleCount("nats_stream_present") + r.SampleCount("nats_consumer_present"), expected.size());
  }
}

// In the cluster exactly one sidecar says 1 for the R3 stream JOBS and its consumer WORKERS,
// whichever server leads them; leader_since only from that leader, where the release prints it.
TEST(EveryRelease, ClusterPresenceAndLeaderSinceFromTheLeader) {
  const std::vector<ExpectedAsset> expected{{"$G", "JOBS", ""}, {"$G", "JOBS", "WORKERS"}, {"$G", "NONE", ""}};
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    double stream_present = 0, consumer_present = 0, none_present = 0;
    for (int n = 1; n <= 3; ++n) {
      const std::string node = "cluster-node" + std::to_string(n);
      const std::string name = FixtureJsonOf(release, node + "-varz.json")["server_name"];
      const nlohmann::json raw = FixtureJsonOf(release, node + "-jsz-full.json");
      Rendered r = RenderOf(release, node + "-jsz-full.json", name, expected);
      stream_present += *r.Value("nats_stream_present", {{"account", "$G"}, {"stream", "JOBS"}});
      consumer_present += *r.Value("nats_consumer_present",
                                   {{"account", "$G"}, {"stream", "JOBS"}, {"consumer", "WORKERS"}});
      none_present += *r.Value("nats_stream_present", {{"account", "$G"}, {"stream", "NONE"}});
      const nlohmann::json& stream = raw["account_details"][0]["stream_detail"][0];
      ASSERT_EQ(stream["name"], "JOBS");
      const bool leads = stream["cluster"]["leader"] == name;
      auto since = r.Value("nats_stream_leader_since_timestamp_seconds", {{"account", "$G"}, {"stream", "JOBS"}});
      if (leads && stream["cluster"].contains("leader_since")) {
        EXPECT_DOUBLE_EQ(*since, Seconds(stream["cluster"]["leader_since"]));
      } else {
        EXPECT_FALSE(since) << node;
      }
      const nlohmann::json& consumer = stream["consumer_detail"][0];
      const bool leads_consumer = consumer["cluster"]["leader"] == name;
      auto csince = r.Value("nats_consumer_leader_since_timestamp_seconds",
                            {{"account", "$G"}, {"stream", "JOBS"}, {"consumer", "WORKERS"}});
      if (leads_consumer && consumer["cluster"].contains("leader_since")) {
        EXPECT_DOUBLE_EQ(*csince, Seconds(consumer["cluster"]["leader_since"]));
      } else {
        EXPECT_FALSE(csince) << node;
      }
    }
    EXPECT_EQ(stream_present, 1);
    EXPECT_EQ(consumer_present, 1);
    EXPECT_EQ(none_present, 0);
  }
}

}  // namespace
}  // namespace farrier
