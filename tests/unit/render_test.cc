// The whole render path (RenderSnapshot) on snapshots built from real captures: the metric
// contract (names, types, HELP conventions), docs/metrics.md, and the no-stale-series rule.
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "advisory_fixtures.h"
#include "capacity/render_scaling.h"
#include "config/config.h"
#include "core/reload_state.h"
#include "core/series_limit.h"
#include "fixtures.h"
#include "polled_snapshot.h"
#include "services/render_services.h"
#include "services_snapshot.h"
#include "snapshot/registry.h"
#include "snapshot/render.h"

namespace farrier {
namespace {

using test::ReadFixture;

template <class T>
T MustParse(Result<T> (*parse)(std::string_view), const std::string& fixture) {
  Result<T> r = parse(ReadFixture(fixture));
  if (!r) throw std::runtime_error(fixture + ": " + r.error());
  return std::move(r).value();
}

Config AllCollectors() {
  Result<LoadedConfig> loaded = LoadConfig(
      {"--collector.leafz", "--collector.gatewayz", "--collector.accstatz", "--connz.detail", "--queuegroups.all"}, {});
  if (!loaded) throw std::runtime_error(loaded.error());
  return loaded->config;
}

// Every source up, data from one real capture each. `jsz_fixture` and `varz_fixture` go
// together so that leadership is decided as on that server.
Snapshot FullSnapshot(const std::string& varz_fixture, const std::string& jsz_fixture) {
  Snapshot s;
  s.taken_at = std::chrono::steady_clock::now();
  s.polls = 1;
  for (const SourceSpec& spec : AllSources()) {
    s.status[std::string(spec.name)] = SourceStatus{true, true, 0.01, "", ""};
    s.errors[{std::string(spec.name), "connect"}] = 0;
  }
  s.MutableLocal().varz = MustParse(ParseVarz, varz_fixture);
  s.MutableLocal().server_name = s.MutableLocal().varz->server_name;
  ConnzAccumulator acc(100);
  acc.Add(MustParse(ParseConnzPage, "connz.json"));
  s.MutableLocal().connz = std::move(acc).Finish();
  s.MutableLocal().routez = MustParse(ParseRoutez, "cluster-node1-routez.json");
  s.MutableLocal().subsz = MustParse(ParseSubsz, "subsz.json");
  s.MutableLocal().jsz = MustParse(ParseJsz, jsz_fixture);
  s.MutableLocal().healthz = MustParse(ParseHealthz, "healthz.json");
  s.MutableLocal().leafz = MustParse(ParseLeafz, "leafz-hub.json");
  s.MutableLocal().gatewayz = MustParse(ParseGatewayz, "gatewayz.json");
  s.MutableLocal().accstatz = MustParse(ParseAccstatz, "accstatz.json");
  s.MutableLocal().all_queue_groups = SummarizeQueueGroups(MustParse(ParseSubsTest, "subsz-test.json"), 10);
  return s;
}

std::map<std::string, prometheus::MetricType> FamilyTypes(const Snapshot& s, const Config& c) {
  std::map<std::string, prometheus::MetricType> out;
  for (const auto& f : RenderSnapshot(s, c.poll.sources, s.taken_at)) out[f.name] = f.type;
  return out;
}

// The node of the captured cluster that leads the JOBS stream (the only one that reports its
// replicas), or its consumer, from the capture itself.
enum class Asset { kStream, kConsumer };
std::string LeaderNode(Asset asset) {
  for (int n = 1; n <= 3; ++n) {
    std::string name = "cluster-node" + std::to_string(n);
    auto varz = test::FixtureJson(name + "-varz.json");
    auto jsz = test::FixtureJson(name + "-jsz-full.json");
    auto stream = jsz["account_details"][0]["stream_detail"][0];
    auto led = asset == Asset::kStream ? stream : stream["consumer_detail"][0];
    if (led["cluster"]["leader"] == varz["server_name"]) return name;
  }
  throw std::runtime_error("no node of the captured cluster leads the stream or its consumer");
}

// docs/metrics.md rows: | `name` | type | labels | source |
std::map<std::string, std::string> DocumentedFamilies() {
  std::ifstream in(std::string(FARRIER_SOURCE_DIR) + "/docs/metrics.md");
  std::map<std::string, std::string> out;
  std::regex row(R"(^\|\s*`(nats_[a-z0-9_]+)`\s*\|\s*(gauge|counter|histogram)\s*\|)");
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, row)) out[m[1]] = m[2];
  }
  return out;
}

std::string TypeName(prometheus::MetricType t) {
  switch (t) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Histogram: return "histogram";
    default: return "other";
  }
}

// Cluster mode: the capture `s` as server "n1" of cluster "east" (answered, every source read)
// and a server "n2" that did not answer this poll's discovery.
Snapshot ClusterModeSnapshot(Snapshot s) {
  ServerView n1 = std::move(s.servers.at(""));
  s.servers.clear();
  n1.server_name = "n1";
  n1.cluster = "east";
  n1.answered = true;
  for (const auto& [name, status] : s.status) n1.source_up[name] = status.up;
  ServerView n2;
  n2.server_name = "n2";
  n2.cluster = "east";
  n2.polls_unanswered = 1;
  s.servers["NID1"] = std::move(n1);
  s.servers["NID2"] = std::move(n2);
  s.cluster = ClusterPoll{true, 3, 1, 2, ""};
  return s;
}

TEST(Render, DocsListExactlyTheFamiliesRenderedFromRealCaptures) {
  Config config = AllCollectors();
  auto single = FamilyTypes(FullSnapshot("varz.json", "jsz-full.json"), config);
  std::string consumer_leader = LeaderNode(Asset::kConsumer);
  auto cluster = FamilyTypes(FullSnapshot(consumer_leader + "-varz.json", consumer_leader + "-jsz-full.json"), config);
  std::string stream_leader = LeaderNode(Asset::kStream);
  auto replicas = FamilyTypes(FullSnapshot(stream_leader + "-varz.json", stream_leader + "-jsz-full.json"), config);
  // The captured streams have no limits: the same capture with max_bytes and max_msgs set on one.
  Snapshot limited = FullSnapshot("varz.json", "jsz-full.json");
  limited.MutableLocal().jsz->stream_details.at(0).max_bytes = 1 << 20;
  limited.MutableLocal().jsz->stream_details.at(0).max_msgs = 1000;
  auto limits = FamilyTypes(limited, config);
  auto cluster_mode = FamilyTypes(ClusterModeSnapshot(FullSnapshot("varz.json", "jsz-full.json")), config);
  std::map<std::string, std::string> rendered;
  for (const auto* set : {&single, &cluster, &replicas, &limits, &cluster_mode}) {
    for (const auto& [name, type] : *set) rendered[name] = TypeName(type);
  }
  // And every source of every captured release, polled from its captures: families that only
  // newer releases have (paused consumers, meta group members, raftz, TLS expiry, ...).
  Config every = test::ConfigWith({"--collector.leafz", "--collector.gatewayz", "--collector.accstatz",
                                   "--collector.raftz", "--connz.detail", "--queuegroups.all",
                                   "--queuegroups.subscription-limit", "2"});
  every.poll.sources.jsz.expected = {{"APP", "SRC", ""}, {"APP", "SRC", "WORKER"}};  // the presence families
  for (const std::string& release : test::CapturedReleases()) {
    for (const test::Scenario& scenario :
         {test::SingleServer(), test::ClusterNode(1), test::ClusterNode(2), test::ClusterNode(3),
          test::LeafOnClusterNode(), test::ClusterNodeWithoutMetaLeader(), test::LameDuckServer(), test::TlsServer(),
          test::JsHealthServer()}) {
      for (const auto& [name, type] : FamilyTypes(test::PolledSnapshot(release, scenario, every), every)) {
        rendered[name] = TypeName(type);
      }
    }
  }
  // No capture ran long enough for a meta snapshot (last_time is Go's zero time in all of them):
  // the newest release's cluster node with one taken.
  Snapshot snapshotted = test::PolledSnapshot(test::CapturedReleases().back(), test::ClusterNode(1), every);
  ASSERT_TRUE(snapshotted.Local().jsz && snapshotted.Local().jsz->meta_snapshot);
  snapshotted.MutableLocal().jsz->meta_snapshot->last_time_seconds = 1.8e9;
  snapshotted.MutableLocal().jsz->meta_snapshot->last_duration_seconds = 0.02;
  for (const auto& [name, type] : FamilyTypes(snapshotted, every)) rendered[name] = TypeName(type);
  // The NATS client side (probes, micro stats, latency events) renders from its own snapshot.
  Families services;
  RenderServices(test::FullServicesSnapshot(), services);
  for (const auto& f : services.Take()) rendered[f.name] = TypeName(f.type);
  // JetStream advisories (--jetstream.advisories) from their own captures.
  JsAdvisories advisories(1000, DefaultProbeBuckets());
  test::ObserveEveryAdvisory(advisories);
  Families advisory_families;
  advisories.Render(advisory_families);
  for (const auto& f : advisory_families.Take()) rendered[f.name] = TypeName(f.type);
  // And the capacity signals from theirs: one service with every figure known.
  ScalingSnapshot scaling;
  ServiceSignal signal;
  signal.name = "echo";
  signal.members_known = signal.pending_known = signal.replies_known = true;
  signal.workers = 2;
  signal.service_seconds = 0.02;
  signal.assessment.utilization = 0.5;
  scaling.services.push_back(signal);
  ConsumerSignal consumer;
  consumer.stream = "ORDERS";
  consumer.consumer = "worker";
  consumer.found = consumer.led_here = true;
  scaling.consumers.push_back(consumer);
  Families capacity;
  RenderScaling(scaling, capacity);
  RenderConsumerScaling(scaling, capacity);
  for (const auto& f : capacity.Take()) rendered[f.name] = TypeName(f.type);
  // Farrier's own families that come from no snapshot: the series cap and the reload state.
  std::map<std::string, uint64_t> dropped{{"nats_connection_pending_bytes", 1}};
  rendered[SeriesDroppedFamily(dropped).name] = TypeName(SeriesDroppedFamily(dropped).type);
  for (const auto& f : ReloadStateFamilies(true, std::chrono::system_clock::now())) rendered[f.name] = TypeName(f.type);
  auto documented = DocumentedFamilies();
  ASSERT_GT(documented.size(), 50u) << "docs/metrics.md missing or not in the table format";
  for (const auto& [name, type] : rendered) {
    auto it = documented.find(name);
    if (it == documented.end()) {
      ADD_FAILURE() << name << " (" << type << ") is emitted but not in docs/metrics.md";
    } else {
      EXPECT_EQ(it->second, type) << name << ": docs/metrics.md says " << it->second;
    }
  }
  for (const auto& [name, type] : documented) {
    EXPECT_TRUE(rendered.count(name)) << name << " is documented but never rendered";
  }
}

TEST(Render, FollowsPrometheusNamingConventions) {
  Snapshot s = FullSnapshot("varz.json", "jsz-full.json");
  for (const auto& f : RenderSnapshot(s, AllCollectors().poll.sources, s.taken_at)) {
    bool total = f.name.size() > 6 && f.name.substr(f.name.size() - 6) == "_total";
    if (f.type == prometheus::MetricType::Counter) {
      EXPECT_TRUE(total) << f.name << " is a counter without _total";
    } else {
      EXPECT_FALSE(total) << f.name << " ends in _total but is not a counter";
    }
    EXPECT_FALSE(f.help.empty()) << f.name;
    // HELP names the endpoint and field a server metric comes from.
    if (f.name.rfind("nats_exporter_", 0) != 0 && f.name != "nats_up") {
      EXPECT_NE(f.help.find("(/"), std::string::npos) << f.name << ": " << f.help;
    }
    for (const auto& m : f.metric) {
      std::set<std::string> names;
      for (const auto& l : m.label) EXPECT_TRUE(names.insert(l.name).second) << f.name;
    }
  }
}

TEST(Render, FailedSourceHasNoSeriesAndNatsUpFollowsVarz) {
  Config config = AllCollectors();
  Snapshot s = FullSnapshot("varz.json", "jsz-full.json");
  s.MutableLocal().varz.reset();
  s.status["varz"] = SourceStatus{false, true, 0.2, "timeout", "GET /varz: timed out"};
  s.MutableLocal().jsz.reset();
  s.status["jsz"] = SourceStatus{false, true, 0.2, "connect", ""};
  auto families = RenderSnapshot(s, config.poll.sources, s.taken_at);
  std::map<std::string, const prometheus::MetricFamily*> by_name;
  for (const auto& f : families) by_name[f.name] = &f;
  EXPECT_FALSE(by_name.count("nats_server_connections"));
  EXPECT_FALSE(by_name.count("nats_server_info"));
  EXPECT_FALSE(by_name.count("nats_consumer_num_pending"));
  EXPECT_FALSE(by_name.count("nats_jetstream_enabled"));
  EXPECT_TRUE(by_name.count("nats_connz_connections"));  // connz itself was fine
  ASSERT_TRUE(by_name.count("nats_up"));
  EXPECT_EQ(by_name["nats_up"]->metric.at(0).gauge.value, 0);
  for (const auto& m : by_name["nats_exporter_source_up"]->metric) {
    std::string source = m.label.at(0).value;
    EXPECT_EQ(m.gauge.value, (source == "varz" || source == "jsz") ? 0 : 1) << source;
  }
}

// Cluster mode: every series of a server starts with its server_name and cluster (a renderer's
// own label of the same name is not repeated); nats_up and source_up are per server; a server
// that did not answer has those two at 0 and nothing else.
TEST(Render, ClusterModeLabelsEveryServersSeries) {
  Config config = AllCollectors();
  Snapshot s = ClusterModeSnapshot(FullSnapshot("varz.json", "jsz-full.json"));
  const std::set<std::string> unlabelled{
      "nats_exporter_build_info",       "nats_exporter_poll_duration_seconds",     "nats_exporter_poll_errors_total",
      "nats_exporter_polls_total",      "nats_exporter_snapshot_age_seconds",      "nats_exporter_servers_expected",
      "nats_exporter_servers_answered", "nats_exporter_servers_late_replies_total"};
  size_t n1_series = 0;
  for (const auto& f : RenderSnapshot(s, config.poll.sources, s.taken_at)) {
    for (const auto& m : f.metric) {
      if (unlabelled.count(f.name)) {
        for (const auto& l : m.label) EXPECT_NE(l.name, "server_name") << f.name;
        continue;
      }
      ASSERT_GE(m.label.size(), 2u) << f.name;
      EXPECT_EQ(m.label[0].name, "server_name") << f.name;
      EXPECT_EQ(m.label[1].name, "cluster") << f.name;
      EXPECT_EQ(m.label[1].value, "east") << f.name;
      std::set<std::string> names;
      for (const auto& l : m.label)
        EXPECT_TRUE(names.insert(l.name).second) << f.name << ": label " << l.name << " twice";
      if (m.label[0].value == "n2") {
        EXPECT_TRUE(f.name == "nats_up" || f.name == "nats_exporter_source_up") << f.name << " of a silent server";
        EXPECT_EQ(m.gauge.value, 0) << f.name;
      } else {
        EXPECT_EQ(m.label[0].value, "n1") << f.name;
        ++n1_series;
      }
      if (f.name == "nats_up" && m.label[0].value == "n1") EXPECT_EQ(m.gauge.value, 1);
    }
    if (f.name == "nats_exporter_servers_answered") EXPECT_EQ(f.metric.at(0).gauge.value, 1);
    if (f.name == "nats_exporter_servers_expected") EXPECT_EQ(f.metric.at(0).gauge.value, 3);
    if (f.name == "nats_exporter_servers_late_replies_total") EXPECT_EQ(f.metric.at(0).counter.value, 2);
  }
  EXPECT_GT(n1_series, 100u);
}

TEST(Render, SnapshotAgeIsMeasuredAtRenderTime) {
  Snapshot s = FullSnapshot("varz.json", "jsz-full.json");
  auto families = RenderSnapshot(s, AllCollectors().poll.sources, s.taken_at + std::chrono::milliseconds(2500));
  for (const auto& f : families) {
    if (f.name == "nats_exporter_snapshot_age_seconds") {
      EXPECT_DOUBLE_EQ(f.metric.at(0).gauge.value, 2.5);
      return;
    }
  }
  FAIL() << "nats_exporter_snapshot_age_seconds missing";
}

TEST(Render, DisabledCollectorRendersNothingEvenWithData) {
  Snapshot s = FullSnapshot("varz.json", "jsz-full.json");
  Result<LoadedConfig> loaded = LoadConfig({"--no-collector.jsz"}, {});
  ASSERT_TRUE(loaded) << loaded.error();
  for (const auto& f : RenderSnapshot(s, loaded->config.poll.sources, s.taken_at)) {
    EXPECT_NE(f.name.rfind("nats_jetstream_", 0), 0u) << f.name;
    EXPECT_NE(f.name.rfind("nats_consumer_", 0), 0u) << f.name;
  }
}

// SnapshotExposition: one render per snapshot however many scrapes, the same bytes to each, the
// text of RenderSnapshot without the age family, capped like a scrape would be; a new snapshot
// (the next poll) is rendered anew, so nothing of the old one is served.
std::string Joined(const TextPieces& pieces) {
  std::string text;
  for (const auto& piece : pieces) text += piece->text();
  return text;
}

TEST(Render, SnapshotExpositionRendersEachSnapshotOnce) {
  Config config = AllCollectors();
  auto first = std::make_shared<const Snapshot>(FullSnapshot("varz.json", "jsz-full.json"));
  std::shared_ptr<const Snapshot> current = first;
  SnapshotExposition exposition(config.poll.sources, 0, [&current] { return current; });

  SnapshotExposition::Text a = exposition.Current();
  SnapshotExposition::Text b = exposition.Current();
  EXPECT_EQ(exposition.renders(), 1u);
  ASSERT_FALSE(a.body.empty());
  EXPECT_EQ(a.body, b.body) << "a second scrape of one snapshot must get the same pieces";
  EXPECT_TRUE(a.dropped.empty());

  std::vector<prometheus::MetricFamily> expected = RenderSnapshot(*first, config.poll.sources, first->taken_at);
  std::erase_if(expected, [](const auto& f) { return f.name == "nats_exporter_snapshot_age_seconds"; });
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, expected);
  EXPECT_EQ(Joined(a.body), text.str());
  EXPECT_EQ(Joined(a.body).find("nats_exporter_snapshot_age_seconds"), std::string::npos);
  prometheus::MetricFamily age = SnapshotAgeFamily(*first, first->taken_at + std::chrono::milliseconds(1500));
  EXPECT_EQ(age.name, "nats_exporter_snapshot_age_seconds");
  EXPECT_DOUBLE_EQ(age.metric.at(0).gauge.value, 1.5);

  Snapshot next = *first;
  next.MutableLocal().jsz.reset();  // the next poll lost /jsz: none of its series may linger
  next.status["jsz"] = SourceStatus{false, true, 0.2, "connect", ""};
  current = std::make_shared<const Snapshot>(std::move(next));
  SnapshotExposition::Text c = exposition.Current();
  EXPECT_EQ(exposition.renders(), 2u);
  EXPECT_NE(c.body.front(), a.body.front());
  EXPECT_NE(Joined(a.body).find("nats_consumer_num_pending{"), std::string::npos);
  EXPECT_EQ(Joined(c.body).find("nats_consumer_num_pending{"), std::string::npos);

  current = nullptr;  // before the first poll
  EXPECT_TRUE(exposition.Current().body.empty());
}

// The series cap applies to the cached text as it would to a scrape, and says what it dropped.
TEST(Render, SnapshotExpositionAppliesTheSeriesCap) {
  Config config = AllCollectors();
  auto snapshot = std::make_shared<const Snapshot>(FullSnapshot("varz.json", "jsz-full.json"));
  std::vector<prometheus::MetricFamily> uncapped = RenderSnapshot(*snapshot, config.poll.sources, snapshot->taken_at);
  std::map<std::string, uint64_t> expected = LimitSeries(uncapped, 1);
  ASSERT_FALSE(expected.empty());
  SnapshotExposition exposition(config.poll.sources, 1, [snapshot] { return snapshot; });
  EXPECT_EQ(exposition.Current().dropped, expected);
}

}  // namespace
}  // namespace farrier
