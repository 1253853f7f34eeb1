// Every capture of every supported release (tests/fixtures/nats-*): each parses, and where a
// release changed what a field means, what farrier reports follows the capture of that release.
// The expected behaviour is read from each capture itself (its HTTP status, its fields, its
// own counts), so a test states the server's behaviour and farrier's answer side by side.
#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <set>

#include "core/json_fields.h"
#include "fixtures.h"
#include "polled_snapshot.h"
#include "rendered.h"
#include "services/service_latency.h"
#include "snapshot/render.h"

namespace farrier {
namespace {

using test::CapturedReleases;
using test::ConfigWith;
using test::FixtureJsonOf;
using test::HasFixtureOf;
using test::PolledSnapshot;
using test::ReadFixtureOf;
using test::StatusOf;

// A snapshot rendered as a scrape would, for lookups.
class Scraped {
 public:
  Scraped(const Snapshot& s, const Config& config) {
    for (const auto& f : RenderSnapshot(s, config.poll.sources, s.taken_at)) {
      for (const auto& m : f.metric) {
        test::LabelMap labels;
        for (const auto& l : m.label) labels[l.name] = l.value;
        double v = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
        samples_[f.name].push_back({labels, v});
      }
    }
  }
  bool Has(const std::string& family) const { return samples_.count(family) > 0; }
  std::optional<double> Value(const std::string& family, const test::LabelMap& labels = {}) const {
    auto it = samples_.find(family);
    if (it == samples_.end()) return std::nullopt;
    for (const auto& s : it->second) {
      if (s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
  const std::vector<test::RenderedSample>& Samples(const std::string& family) const {
    static const std::vector<test::RenderedSample> kNone;
    auto it = samples_.find(family);
    return it == samples_.end() ? kNone : it->second;
  }

 private:
  std::map<std::string, std::vector<test::RenderedSample>> samples_;
};

ServerVersion VersionOf(const std::string& release) { return ServerVersion::Parse(release); }

// ---------------------------------------------------------------------- every capture parses

// Which parser reads a capture, by its file name.
using ErrorOf = std::function<std::string(std::string_view)>;
template <class T>
ErrorOf Wrap(Result<T> (*parse)(std::string_view)) {
  return [parse](std::string_view body) {
    Result<T> r = parse(body);
    return r.ok() ? std::string() : r.error();
  };
}

const std::vector<std::pair<std::regex, ErrorOf>>& ParsersByFileName() {
  static const std::vector<std::pair<std::regex, ErrorOf>> parsers = {
      {std::regex("(.*-)?varz\\.json"), Wrap(ParseVarz)},
      {std::regex("(.*-)?connz(-.*)?\\.json"), Wrap(ParseConnzPage)},
      {std::regex("(.*-)?routez(-.*)?\\.json"), Wrap(ParseRoutez)},
      {std::regex("subsz\\.json"), Wrap(ParseSubsz)},
      {std::regex("subsz-(test|subs).*\\.json"), Wrap(ParseSubsTest)},
      {std::regex("(.*-)?jsz(-.*)?\\.json"), Wrap(ParseJsz)},
      {std::regex("(.*-)?healthz(-.*)?\\.json"), Wrap(ParseHealthz)},
      {std::regex("(.*-)?leafz(-.*)?\\.json"), Wrap(ParseLeafz)},
      {std::regex("gatewayz.*\\.json"), Wrap(ParseGatewayz)},
      {std::regex("accstatz.*\\.json"), Wrap(ParseAccstatz)},
      {std::regex("(.*-)?raftz(-.*)?\\.json"), Wrap(ParseRaftz)},
      {std::regex("service-latency-.*\\.json"), Wrap(ParseServiceLatency)},
  };
  return parsers;
}

// Captures nothing in farrier reads (kept for later work or as the script's records), and the
// deliberately broken derivatives of a real capture.
bool NotAnEndpointFarrierReads(const std::string& file) {
  static const std::set<std::string> kOther = {
      "status-codes.json",    "capture-facts.json",        "accountz.json",
      "accountz-global.json", "consumer-pause-reply.json", "consumer-create-grouped-reply.json"};
  return kOther.count(file) > 0;
}
bool DeliberatelyBroken(const std::string& file) {
  return file == "truncated-varz.json" || file == "wrong-type-varz.json" || file == "empty.json";
}

TEST(EveryRelease, EveryCaptureParses) {
  for (const std::string& release : CapturedReleases()) {
    size_t parsed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(test::FixturePathOf(release, ""))) {
      const std::string file = entry.path().filename().string();
      if (entry.path().extension() != ".json" || NotAnEndpointFarrierReads(file)) continue;
      SCOPED_TRACE(release + "/" + file);
      if (DeliberatelyBroken(file)) {
        EXPECT_NE(Wrap(ParseVarz)(ReadFixtureOf(release, file)), "");
        continue;
      }
      const ErrorOf* parse = nullptr;
      for (const auto& [pattern, p] : ParsersByFileName()) {
        if (std::regex_match(file, pattern)) {
          parse = &p;
          break;
        }
      }
      ASSERT_NE(parse, nullptr) << "no parser for this capture: name it, or list it as not read";
      EXPECT_EQ((*parse)(ReadFixtureOf(release, file)), "");
      ++parsed;
    }
    EXPECT_GT(parsed, 50u) << release;
  }
}

// Every source of each release's single server and cluster leader, polled and rendered whole:
// the contract of every family holds on every release (names, types, HELP, no duplicates).
TEST(EveryRelease, EverySourceRendersWellFormed) {
  Config config = ConfigWith({"--collector.leafz", "--collector.gatewayz", "--collector.accstatz", "--collector.raftz",
                              "--connz.detail", "--queuegroups.all", "--queuegroups.subscription-limit", "2"});
  for (const std::string& release : CapturedReleases()) {
    for (const auto& scenario : {test::SingleServer(), test::ClusterNode(1)}) {
      SCOPED_TRACE(release + " " + scenario.at("/varz"));
      Snapshot s = PolledSnapshot(release, scenario, config);
      for (const char* source : {"varz", "jsz", "routez", "raftz", "healthz"}) {
        EXPECT_TRUE(s.status[source].up) << source << ": " << s.status[source].detail;
      }
      std::set<std::string> names;
      for (const auto& f : RenderSnapshot(s, config.poll.sources, s.taken_at)) {
        SCOPED_TRACE(f.name);
        EXPECT_TRUE(names.insert(f.name).second) << "family rendered twice";
        EXPECT_FALSE(f.metric.empty());
        const bool total = f.name.size() > 6 && f.name.compare(f.name.size() - 6, 6, "_total") == 0;
        EXPECT_EQ(total, f.type == prometheus::MetricType::Counter) << "_total iff counter";
        std::set<test::LabelMap> series;
        for (const auto& m : f.metric) {
          test::LabelMap labels;
          for (const auto& l : m.label) EXPECT_TRUE(labels.emplace(l.name, l.value).second) << l.name;
          EXPECT_TRUE(series.insert(labels).second) << "duplicate series";
        }
      }
    }
  }
}

// -------------------------------------------------------------------------------- /healthz

TEST(EveryRelease, LameDuckHealthzIsAnUnhealthyAnswer) {
  Config config = ConfigWith({});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    const bool details = HealthzHasDetails(VersionOf(release));
    // The server's answer: 500 since 2.10 (not ready for connections), 503 on 2.9.
    EXPECT_EQ(StatusOf(release, "ldm-healthz-details.json"), details ? 500 : 503);
    Snapshot s = PolledSnapshot(release, test::LameDuckServer(), config);
    ASSERT_TRUE(s.status["healthz"].up) << s.status["healthz"].detail;
    EXPECT_NE(s.Local().healthz->error.find("ready for connections"), std::string::npos) << s.Local().healthz->error;
    Scraped out(s, config);
    EXPECT_EQ(out.Value("nats_server_healthy"), 0);
    if (details) {
      EXPECT_EQ(out.Value("nats_server_health_errors", {{"type", "connection"}}), 1);
      EXPECT_EQ(out.Value("nats_server_health_errors", {{"type", "jetstream"}}), 0);
      EXPECT_EQ(out.Samples("nats_server_health_errors").size(), 6u);
    } else {
      EXPECT_FALSE(out.Has("nats_server_health_errors"));
    }
  }
}

TEST(EveryRelease, NoMetaLeaderIsAJetStreamHealthProblem) {
  Config config = ConfigWith({});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    EXPECT_EQ(StatusOf(release, "cluster-node1-nometa-healthz-details.json"), 503);
    Snapshot s = PolledSnapshot(release, test::ClusterNodeWithoutMetaLeader(), config);
    ASSERT_TRUE(s.status["healthz"].up) << s.status["healthz"].detail;
    ASSERT_TRUE(s.status["jsz"].up) << s.status["jsz"].detail;
    Scraped out(s, config);
    EXPECT_EQ(out.Value("nats_server_healthy"), 0);
    EXPECT_EQ(out.Value("nats_jetstream_meta_leader_known"), 0);
    EXPECT_EQ(out.Value("nats_jetstream_meta_leader"), 0);
    if (HealthzHasDetails(VersionOf(release))) {
      EXPECT_GE(out.Value("nats_server_health_errors", {{"type", "jetstream"}}).value_or(0), 1);
    }
  }
}

// --------------------------------------------------------------------------------- /connz

TEST(EveryRelease, ConnzCountsClientsAndLeafNodesApart) {
  Config config = ConfigWith({});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    nlohmann::json varz = FixtureJsonOf(release, "cluster-node1-leaf-varz.json");
    nlohmann::json connz = FixtureJsonOf(release, "cluster-node1-leaf-connz.json");
    const bool listed = ConnzListsLeafnodes(VersionOf(release));
    // The captures: one leaf node, no client; /connz lists the leaf node since 2.11.5.
    ASSERT_EQ(varz["connections"], 0);
    ASSERT_EQ(varz["leafnodes"], 1);
    EXPECT_EQ(connz["total"], listed ? 1 : 0);

    Snapshot s = PolledSnapshot(release, test::LeafOnClusterNode(), config);
    Scraped out(s, config);
    EXPECT_EQ(out.Value("nats_connz_connections", {{"kind", "client"}}), varz["connections"].get<double>());
    if (listed) {
      EXPECT_EQ(out.Value("nats_connz_connections", {{"kind", "leafnode"}}), 1);
    } else {
      EXPECT_FALSE(out.Value("nats_connz_connections", {{"kind", "leafnode"}}));
    }
  }
}

// -------------------------------------------------------------------------------- /routez

TEST(EveryRelease, RoutesArePerPeerByName) {
  Config config = ConfigWith({});
  for (const std::string& release : CapturedReleases()) {
    for (int n = 1; n <= 3; ++n) {
      SCOPED_TRACE(release + " node " + std::to_string(n));
      nlohmann::json varz = FixtureJsonOf(release, "cluster-node" + std::to_string(n) + "-varz.json");
      nlohmann::json routez = FixtureJsonOf(release, "cluster-node" + std::to_string(n) + "-routez.json");
      const bool named = routez["routes"][0].contains("remote_name");
      std::set<std::string> peers;
      for (int m = 1; m <= 3; ++m) {
        if (m == n) continue;
        nlohmann::json peer = FixtureJsonOf(release, "cluster-node" + std::to_string(m) + "-varz.json");
        peers.insert(peer[named ? "server_name" : "server_id"].get<std::string>());
      }
      Snapshot s = PolledSnapshot(release, test::ClusterNode(n), config);
      Scraped out(s, config);
      EXPECT_EQ(out.Value("nats_server_remotes"), 2);
      EXPECT_EQ(out.Value("nats_server_routes"), varz["routes"].get<double>());
      std::set<std::string> labelled;
      double connections = 0;
      for (const auto& sample : out.Samples("nats_route_connections")) {
        ASSERT_EQ(sample.labels.size(), 1u);
        labelled.insert(sample.labels.at(named ? "remote_name" : "remote_id"));
        connections += sample.value;
      }
      EXPECT_EQ(labelled, peers);
      EXPECT_EQ(connections, routez["num_routes"].get<double>());
      // Pooling: one connection per peer on 2.9, a pool plus the $SYS route since 2.10.
      EXPECT_EQ(routez["num_routes"].get<int>(), RoutesArePooled(VersionOf(release)) ? 8 : 2);
    }
  }
}

// ---------------------------------------------------------------------------------- /jsz

TEST(EveryRelease, PausedConsumerIsMarked) {
  Config config = ConfigWith({});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    const bool can_pause = ConsumersCanPause(VersionOf(release));
    nlohmann::json facts = FixtureJsonOf(release, "capture-facts.json");
    EXPECT_EQ(facts["request_pause"] == "replied", can_pause);
    Snapshot s = PolledSnapshot(release, test::SingleServer(), config);
    Scraped out(s, config);
    test::LabelMap processor{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "PROCESSOR"}};
    if (!can_pause) {
      EXPECT_FALSE(out.Has("nats_consumer_paused"));
      EXPECT_FALSE(out.Has("nats_consumer_pause_remaining_seconds"));
      continue;
    }
    EXPECT_EQ(out.Value("nats_consumer_paused", processor), 1);
    double remaining = 0;
    const nlohmann::json jsz = FixtureJsonOf(release, "jsz-paused.json");
    for (const auto& stream : jsz["account_details"][0]["stream_detail"]) {
      for (const auto& c : stream.value("consumer_detail", nlohmann::json::array())) {
        if (c["name"] == "PROCESSOR") remaining = c["pause_remaining"].get<double>() / 1e9;
      }
    }
    EXPECT_GT(remaining, 3000);  // paused for an hour
    EXPECT_DOUBLE_EQ(*out.Value("nats_consumer_pause_remaining_seconds", processor), remaining);
    // Durable consumers that are not paused say so; the folded ephemerals have no such series.
    EXPECT_EQ(out.Value("nats_consumer_paused", {{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "GROUPED"}}), 0);
    EXPECT_FALSE(out.Value("nats_consumer_paused",
                           {{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "_ephemeral"}}));
  }
}

// The meta group's size, leader and queue from every node; its members' state from the meta
// leader only, and only where the release prints them.
TEST(EveryRelease, MetaGroupStateComesFromItsLeader) {
  Config config = ConfigWith({});
  for (const std::string& release : CapturedReleases()) {
    int leaders = 0;
    for (int n = 1; n <= 3; ++n) {
      SCOPED_TRACE(release + " node " + std::to_string(n));
      nlohmann::json jsz = FixtureJsonOf(release, "cluster-node" + std::to_string(n) + "-jsz-full.json");
      nlohmann::json varz = FixtureJsonOf(release, "cluster-node" + std::to_string(n) + "-varz.json");
      const nlohmann::json& meta = jsz["meta_cluster"];
      const bool leader = meta["leader"] == varz["server_name"];
      Snapshot s = PolledSnapshot(release, test::ClusterNode(n), config);
      Scraped out(s, config);
      EXPECT_EQ(out.Value("nats_jetstream_meta_cluster_size"), 3);
      EXPECT_EQ(out.Value("nats_jetstream_meta_leader"), leader ? 1 : 0);
      EXPECT_EQ(out.Value("nats_jetstream_meta_leader_known"), 1);
      EXPECT_EQ(out.Has("nats_jetstream_meta_pending"), meta.contains("pending"));
      EXPECT_EQ(out.Has("nats_jetstream_meta_quorum_needed"), meta.contains("quorum_needed"));
      EXPECT_EQ(out.Has("nats_jetstream_meta_snapshot_pending_entries"), meta.contains("snapshot"));
      if (leader && meta.contains("replicas")) {
        ++leaders;
        EXPECT_EQ(out.Samples("nats_jetstream_meta_replica_current").size(), 2u);
        for (const auto& r : meta["replicas"]) {
          EXPECT_EQ(out.Value("nats_jetstream_meta_replica_current", {{"replica", r["name"].get<std::string>()}}),
                    r.value("current", false) ? 1 : 0);
        }
      } else {
        EXPECT_FALSE(out.Has("nats_jetstream_meta_replica_current"));
      }
    }
    EXPECT_EQ(leaders, 1) << release << ": the meta leader lists its members";
  }
}

// --------------------------------------------------------------------------------- /raftz

TEST(EveryRelease, RaftzGroupsOfEveryAccount) {
  Config config = ConfigWith({"--collector.raftz"});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    Snapshot s = PolledSnapshot(release, test::ClusterNode(1), config);
    ASSERT_TRUE(s.status["raftz"].up) << s.status["raftz"].detail;
    Scraped out(s, config);
    if (!HasFixtureOf(release, "cluster-node1-raftz.json")) {  // before 2.10.17: 404
      EXPECT_EQ(StatusOf(release, "cluster-node1-raftz.txt"), 404);
      EXPECT_FALSE(out.Has("nats_raft_group_term"));
      EXPECT_NE(s.status["raftz"].note.find("does not serve /raftz"), std::string::npos);
      continue;
    }
    // The system account's groups (the meta group) and the default account's (stream, consumer).
    nlohmann::json groups = FixtureJsonOf(release, "cluster-node1-raftz.json");
    groups.update(FixtureJsonOf(release, "cluster-node1-raftz-acc.json"));
    size_t n = 0;
    for (const auto& [account, by_group] : groups.items()) {
      for (const auto& [name, g] : by_group.items()) {
        ++n;
        test::LabelMap l{{"account", account}, {"group", name}};
        EXPECT_EQ(out.Value("nats_raft_group_term", l), g["term"].get<double>()) << name;
        EXPECT_EQ(out.Value("nats_raft_group_applied_index", l), g["applied"].get<double>()) << name;
        EXPECT_EQ(out.Value("nats_raft_group_leader", l), g["state"] == "LEADER" ? 1 : 0) << name;
      }
    }
    EXPECT_EQ(n, 3u);  // _meta_, the stream's and the consumer's
    EXPECT_EQ(out.Samples("nats_raft_group_term").size(), n);
    EXPECT_TRUE(out.Value("nats_raft_group_term", {{"account", "$SYS"}, {"group", "_meta_"}}));
  }
}

TEST(EveryRelease, RaftzOfASingleServerIsNoData) {
  Config config = ConfigWith({"--collector.raftz"});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    EXPECT_EQ(StatusOf(release, "raftz-single.txt"), 404);
    Snapshot s = PolledSnapshot(release, test::SingleServer(), config);
    ASSERT_TRUE(s.status["raftz"].up) << s.status["raftz"].detail;
    EXPECT_FALSE(s.status["raftz"].note.empty());
    EXPECT_FALSE(Scraped(s, config).Has("nats_raft_group_term"));
  }
}

// --------------------------------------------------------------------------------- /subsz

TEST(EveryRelease, SubszTotalSaysWhatTheLimitCut) {
  Config config = ConfigWith({"--queuegroups.all", "--queuegroups.subscription-limit", "2"});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    nlohmann::json page = FixtureJsonOf(release, "subsz-subs-limit2.json");
    const bool counts_all = SubszTotalCountsAllMatches(VersionOf(release));
    ASSERT_EQ(page["subscriptions_list"].size(), 2u);
    // The capture: `total` counts every match since 2.11.6, the page before.
    EXPECT_EQ(page["total"].get<int>() > 2, counts_all);
    Snapshot s = PolledSnapshot(release, test::SingleServer(), config);
    ASSERT_TRUE(s.status["queuegroups"].up) << s.status["queuegroups"].detail;
    Scraped out(s, config);
    if (counts_all) {
      EXPECT_EQ(out.Value("nats_exporter_queue_groups_subscriptions_unread"), page["total"].get<double>() - 2);
    } else {
      EXPECT_FALSE(out.Has("nats_exporter_queue_groups_subscriptions_unread"));
    }
  }
}

// ----------------------------------------------------------------------------- /accstatz

TEST(EveryRelease, AccountSubscriptionsWhereTheReleasePrintsThem) {
  Config config = ConfigWith({"--collector.accstatz"});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    nlohmann::json accounts = FixtureJsonOf(release, "accstatz-unused.json")["account_statz"];
    Snapshot s = PolledSnapshot(release, test::SingleServer(), config);
    ASSERT_TRUE(s.status["accstatz"].up) << s.status["accstatz"].detail;
    Scraped out(s, config);
    size_t printed = 0;
    for (const auto& a : accounts) {
      auto got = out.Value("nats_account_subscriptions", {{"account", a["acc"].get<std::string>()}});
      if (a.contains("num_subscriptions")) {
        ++printed;
        EXPECT_EQ(got, a["num_subscriptions"].get<double>());
      } else {
        EXPECT_FALSE(got);
      }
    }
    EXPECT_EQ(printed > 0, VersionOf(release).AtLeast(2, 10, 0));
  }
}

// ---------------------------------------------------------------------------------- /varz

// Each field a release added is exported where that release's /varz has it, equal to it, and
// absent where it has not.
TEST(EveryRelease, VarzAdditionsFollowTheCapture) {
  Config config = ConfigWith({});
  struct Field {
    const char* json;
    const char* family;
  };
  const Field fields[] = {{"stale_connections", "nats_server_stale_connections_total"},
                          {"stalled_clients", "nats_server_stalled_clients_total"},
                          {"in_client_msgs", "nats_server_client_messages_received_total"},
                          {"out_client_msgs", "nats_server_client_messages_sent_total"},
                          {"in_client_bytes", "nats_server_client_bytes_received_total"},
                          {"out_client_bytes", "nats_server_client_bytes_sent_total"},
                          {"gomemlimit", "nats_server_go_memory_limit_bytes"}};
  for (const std::string& release : CapturedReleases()) {
    for (const char* file : {"varz.json", "tls-varz.json"}) {
      SCOPED_TRACE(release + "/" + file);
      nlohmann::json varz = FixtureJsonOf(release, file);
      Snapshot s = PolledSnapshot(release, {{"/varz", file}}, config);
      Scraped out(s, config);
      for (const Field& f : fields) {
        if (varz.contains(f.json)) {
          EXPECT_EQ(out.Value(f.family), varz[f.json].get<double>()) << f.json;
        } else {
          EXPECT_FALSE(out.Has(f.family)) << f.json;
        }
      }
      EXPECT_EQ(out.Has("nats_server_slow_consumers_by_kind_total"), varz.contains("slow_consumer_stats"));
      EXPECT_EQ(out.Has("nats_server_stale_connections_by_kind_total"), varz.contains("stale_connection_stats"));
      EXPECT_EQ(out.Has("nats_server_disk_io_waits_total"), varz.contains("disk_io_wait_stats"));
      if (varz.contains("config_digest")) {
        EXPECT_EQ(out.Value("nats_server_config_info", {{"digest", varz["config_digest"].get<std::string>()}}), 1);
      } else {
        EXPECT_FALSE(out.Has("nats_server_config_info"));
      }
    }
  }
}

// Certificate expiry per listener: the capture script gave each listener a certificate with its
// own notAfter (capture-facts.json, read from the certificates with openssl).
TEST(EveryRelease, CertificateExpiryPerListener) {
  Config config = ConfigWith({});
  for (const std::string& release : CapturedReleases()) {
    SCOPED_TRACE(release);
    nlohmann::json varz = FixtureJsonOf(release, "tls-varz.json");
    Snapshot s = PolledSnapshot(release, test::TlsServer(), config);
    Scraped out(s, config);
    if (!varz.contains("tls_cert_not_after")) {
      EXPECT_FALSE(out.Has("nats_server_tls_cert_not_after_timestamp_seconds"));
      continue;
    }
    nlohmann::json expected = FixtureJsonOf(release, "capture-facts.json")["tls_not_after"];
    ASSERT_FALSE(expected.empty());
    for (const auto& [listener, not_after] : expected.items()) {
      auto got = out.Value("nats_server_tls_cert_not_after_timestamp_seconds", {{"listener", listener}});
      ASSERT_TRUE(got) << listener;
      EXPECT_NEAR(*got, json_fields::Rfc3339Seconds(not_after.get<std::string>()), 1) << listener;
    }
    EXPECT_EQ(out.Samples("nats_server_tls_cert_not_after_timestamp_seconds").size(), expected.size());
  }
}

}  // namespace
}  // namespace farrier
