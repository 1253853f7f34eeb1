// The exposition as tools see it: promtool's linter, and docs/metrics.md against what /metrics
// really emits in a rich run (JetStream streams and consumers, per-connection series, the
// optional collectors).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "harness.h"
#include "support/promtool.h"

namespace farrier::itest {
namespace {

// A server with JetStream state (file and memory streams, durable and ephemeral consumers),
// idle clients with subscriptions and a queue group, for as many series as farrier can make.
class RichServer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<NatsServer>(farrier::test::NatsServerOptions{.jetstream = true});
    const std::string url = server_->client_url();
    holders_.push_back(StartNatskit({"js-setup", "--url", url, "--stream", "ORDERS", "--subjects", "orders.>",
                                     "--publish", "50", "--consumer", "C", "--fetch", "10", "--ack", "3", "--ephemeral",
                                     "2"},
                                    "ready"));
    RunNatskit({"js-setup", "--url", url, "--stream", "EVENTS", "--subjects", "events.>,audit.*", "--storage", "memory",
                "--publish", "20", "--publish-subject", "audit.login"});
    holders_.push_back(StartNatskit({"idle-conns", "--url", url, "--count", "4", "--subs", "2", "--name-prefix",
                                     "idle \"quoted\" \\ name"},
                                    "ready 4"));
    holders_.push_back(
        StartNatskit({"qsub", "--url", url, "--subject", "svc.echo", "--queue", "workers", "--count", "3"}, "ready 3"));
    RunNatskit({"pub", "--url", url, "--subject", "idle.0.0", "--count", "10"});
  }

  // Starts farrier with `extra` flags and returns a scrape once every enabled source is up.
  Scrape RichScrape(const std::vector<std::string>& extra, const std::vector<std::string>& sources) {
    std::vector<std::string> args = {
        "--nats.monitor-url", server_->monitor_url(), "--poll.interval", "300ms", "--poll.timeout", "250ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    farrier_ = std::make_unique<Farrier>(args);
    Scrape last;
    auto s = farrier_->WaitFor(
        [&](const Scrape& s) {
          for (const auto& src : sources) {
            if (!s.SourceUp(src)) return false;
          }
          return s.Has("nats_consumer_num_pending");
        },
        10s, &last);
    if (!s) {
      ADD_FAILURE() << last.Describe() << farrier_->Stderr();
      return last;
    }
    return *s;
  }

  std::unique_ptr<NatsServer> server_;
  std::vector<std::unique_ptr<ChildProcess>> holders_;
  std::unique_ptr<Farrier> farrier_;
};

const std::vector<std::string> kDefaultSources = {"varz", "connz", "routez", "subsz", "jsz", "healthz"};
const std::vector<std::string> kAllSources = {"varz",    "connz", "routez",   "subsz",   "jsz",
                                              "healthz", "leafz", "gatewayz", "accstatz"};

void ExpectPromtoolClean(const Scrape& s) {
  ASSERT_TRUE(s.ok()) << s.Describe();
  auto result = farrier::test::PromtoolCheckMetrics(s.response.body);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- /metrics ---\n" << s.response.body;
  EXPECT_TRUE(result.ok);
}

// 5. promtool check metrics: no parse error, no lint problem.
TEST_F(RichServer, PromtoolAcceptsJetStreamOutput) {
  Scrape s = RichScrape({}, kDefaultSources);
  EXPECT_TRUE(s.Has("nats_stream_messages"));
  EXPECT_EQ(s.Value("nats_consumer_num_ack_pending", {{"consumer", "_ephemeral"}}), 100)
      << "two ephemerals with 50 unacked each";
  ExpectPromtoolClean(s);
}

TEST_F(RichServer, PromtoolAcceptsConnzDetailOutput) {
  Scrape s = RichScrape({"--connz.detail", "--collector.leafz", "--collector.gatewayz", "--collector.accstatz"},
                        kAllSources);
  // Per-connection series exist, including label values that need escaping.
  ASSERT_TRUE(s.metrics);
  auto subs = s.metrics->SamplesOf("nats_connection_subscriptions");
  EXPECT_EQ(subs.size(), 4u + 1 + 1) << "4 idle + qsub + js-setup\n" << s.Describe(20000);
  bool quoted = false;
  for (const auto& sample : subs) {
    quoted = quoted || sample.labels.at("name").find("idle \"quoted\" \\ name") == 0;
  }
  EXPECT_TRUE(quoted) << s.Describe(20000);
  ExpectPromtoolClean(s);
}

TEST(Promtool, AcceptsOutputWhileServerIsDown) {
  Farrier f({"--nats.monitor-url", NobodyListens(), "--poll.interval", "300ms", "--poll.timeout", "200ms"});
  auto s = f.WaitFor([](const Scrape& s) { return s.Errors("varz", "connect") >= 1; }, 10s);
  ASSERT_TRUE(s) << f.Metrics().Describe();
  ExpectPromtoolClean(*s);
}

// ---------------------------------------------------------------- docs/metrics.md

struct DocRow {
  std::string type;
  int line = 0;
};

// Rows "| `nats_xxx` | gauge | ... |": first cell the family name in backticks, second its type.
std::map<std::string, DocRow> ParseMetricsDoc(const std::filesystem::path& path, std::vector<std::string>* problems) {
  std::map<std::string, DocRow> rows;
  std::ifstream in(path);
  if (!in) {
    problems->push_back("cannot read " + path.string());
    return rows;
  }
  static const std::regex row(R"(^\s*\|\s*`(nats_[a-zA-Z0-9_:]+)(\{[^`]*\})?`\s*\|\s*`?([A-Za-z]+)`?\s*\|)");
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    std::string name = m[1], type = m[3];
    std::transform(type.begin(), type.end(), type.begin(), ::tolower);
    if (type != "gauge" && type != "counter" && type != "histogram") {
      problems->push_back("line " + std::to_string(n) + ": " + name + ": type \"" + type +
                          "\" is not gauge, counter or histogram");
      continue;
    }
    auto [it, inserted] = rows.emplace(name, DocRow{type, n});
    if (!inserted && it->second.type != type) {
      problems->push_back("line " + std::to_string(n) + ": " + name + " documented twice with types " +
                          it->second.type + " and " + type);
    }
  }
  return rows;
}

// 6. Every family farrier emits is documented with the same type; every TYPE has a HELP.
TEST_F(RichServer, DocsMatchMetrics) {
  Scrape s = RichScrape({"--connz.detail", "--collector.leafz", "--collector.gatewayz", "--collector.accstatz"},
                        kAllSources);
  ASSERT_TRUE(s.ok()) << s.Describe();
  const auto doc_path = SourceDir() / "docs" / "metrics.md";
  std::vector<std::string> problems;
  auto docs = ParseMetricsDoc(doc_path, &problems);
  for (const auto& p : problems) ADD_FAILURE() << doc_path.string() << ": " << p;
  ASSERT_FALSE(docs.empty()) << doc_path.string() << " documents no metric family";

  for (const auto& [name, family] : s.metrics->families()) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(family.has_type) << name << " has no TYPE line";
    if (family.has_type) {
      EXPECT_TRUE(family.has_help && !family.help.empty()) << name << " has a TYPE but no HELP";
    }
    auto it = docs.find(name);
    if (it == docs.end()) {
      ADD_FAILURE() << name << " (" << family.type << ") is emitted but not documented in docs/metrics.md";
      continue;
    }
    EXPECT_EQ(it->second.type, family.type) << name << ": docs/metrics.md line " << it->second.line << " says "
                                            << it->second.type << ", /metrics says " << family.type;
  }

  // The reverse, for the families this scenario always produces: every source's families on a
  // single JetStream server with clients, except those that need routes, leaf nodes, gateways,
  // a JetStream cluster or configured stream limits, or configured services or consumers (those
  // families are checked by probes_test.cc and capacity_test.cc).
  std::set<std::string> emitted;
  for (const auto& [name, family] : s.metrics->families()) emitted.insert(name);
  const std::set<std::string> unproducible = {
      "nats_stream_max_bytes", "nats_stream_max_messages", "nats_jetstream_meta_cluster_size",
      "nats_jetstream_meta_leader",
      // values_test.cc, on a 3-node cluster
      "nats_stream_replica_lag", "nats_stream_replica_current", "nats_stream_replica_last_active_seconds",
      "nats_exporter_nats_connected", "nats_exporter_nats_reconnects_total", "nats_consumer_scaling_leader",
      "nats_consumer_lag", "nats_consumer_ack_rate", "nats_consumer_incoming_rate", "nats_consumer_desired_workers",
      "nats_exporter_queue_groups_dropped",
      // only when the cap bites (reload_test.cc)
      "nats_exporter_series_dropped",
      // a paused consumer, a JetStream cluster, TLS
      // listeners, GOMEMLIMIT, --collector.raftz,
      // --queuegroups.all: releases_test.cc
      "nats_consumer_pause_remaining_seconds", "nats_jetstream_meta_leader_known", "nats_jetstream_meta_pending",
      "nats_jetstream_meta_quorum_needed", "nats_jetstream_meta_snapshot_pending_entries",
      "nats_jetstream_meta_snapshot_pending_bytes", "nats_jetstream_meta_snapshot_last_time_seconds",
      "nats_jetstream_meta_snapshot_last_duration_seconds", "nats_jetstream_meta_replica_current",
      "nats_jetstream_meta_replica_offline", "nats_jetstream_meta_replica_last_active_seconds",
      "nats_jetstream_meta_replica_lag", "nats_server_tls_cert_not_after_timestamp_seconds",
      "nats_server_go_memory_limit_bytes", "nats_exporter_raftz_groups_dropped",
      "nats_exporter_queue_groups_subscriptions_unread",
      // mirrors, sources, an account with limits, expected assets: jetstream_health_test.cc;
      // leader_since only in a JetStream cluster (unit tests on the cluster captures)
      "nats_stream_origin_lag", "nats_stream_origin_last_active_timestamp_seconds",
      "nats_jetstream_account_max_memory_bytes", "nats_jetstream_account_max_storage_bytes", "nats_stream_present",
      "nats_consumer_present", "nats_stream_leader_since_timestamp_seconds",
      "nats_consumer_leader_since_timestamp_seconds"};
  // Families of fields a release added: produced only from that release on (docs/versions.md).
  // Two entries for fields backported to an older line.
  using farrier::test::NatsVersion;
  const std::vector<std::pair<std::string, std::vector<NatsVersion>>> added = {
      {"nats_server_slow_consumers_by_kind_total", {{2, 10, 0}}},
      {"nats_server_health_errors", {{2, 10, 0}}},
      {"nats_account_subscriptions", {{2, 10, 0}}},
      {"nats_server_config_info", {{2, 11, 0}}},
      {"nats_consumer_paused", {{2, 11, 0}}},
      {"nats_jetstream_api_level", {{2, 11, 0}}},
      {"nats_server_stale_connections_total", {{2, 12, 0}}},
      {"nats_server_stale_connections_by_kind_total", {{2, 12, 0}}},
      {"nats_server_stalled_clients_total", {{2, 12, 0}}},
      {"nats_server_client_messages_received_total", {{2, 12, 9}, {2, 14, 1}}},
      {"nats_server_client_messages_sent_total", {{2, 12, 9}, {2, 14, 1}}},
      {"nats_server_client_bytes_received_total", {{2, 12, 9}, {2, 14, 1}}},
      {"nats_server_client_bytes_sent_total", {{2, 12, 9}, {2, 14, 1}}},
      {"nats_server_disk_io_waiters", {{2, 12, 14}, {2, 14, 4}}},
      {"nats_server_disk_io_waits_total", {{2, 12, 14}, {2, 14, 4}}},
      {"nats_server_disk_io_wait_seconds_total", {{2, 12, 14}, {2, 14, 4}}},
      {"nats_server_disk_io_max_wait_seconds", {{2, 12, 14}, {2, 14, 4}}},
  };
  const NatsVersion release = farrier::test::ServerVersion(*server_);
  auto released = [&](const std::string& name) {
    for (const auto& [family, since] : added) {
      if (family != name) continue;
      // The first release of the server's own line, or a later line's first release.
      for (const NatsVersion& v : since) {
        if (release.major == v.major && release.minor == v.minor) return release >= v;
      }
      return release >= since.front() && release.minor > since.back().minor;
    }
    return true;
  };
  auto producible = [&](const std::string& name) {
    if (unproducible.count(name) || !released(name)) return false;
    // --jetstream.advisories, off here: js_advisories_test.cc checks those rows.
    if (name.rfind("nats_jetstream_advisor", 0) == 0) return false;
    // --jetstream.account-info, off here: js_account_info_test.cc checks those rows.
    if (name.find("jetstream_account_info") != std::string::npos) return false;
    // --nats.system-account, off here: cluster_mode_test.cc checks those rows.
    if (name.rfind("nats_exporter_servers_", 0) == 0) return false;
    for (const char* prefix :
         {"nats_up", "nats_exporter_", "nats_server_", "nats_connz_", "nats_connection_", "nats_subsz_", "nats_routez_",
          "nats_jetstream_", "nats_stream_", "nats_consumer_", "nats_leafz_", "nats_accstatz_", "nats_account_"}) {
      if (name.rfind(prefix, 0) == 0) return true;
    }
    return false;
  };
  for (const auto& [name, row] : docs) {
    if (!producible(name)) continue;
    EXPECT_TRUE(emitted.count(name)) << name << " is documented (line " << row.line
                                     << ") but not emitted in the rich run";
  }
}

}  // namespace
}  // namespace farrier::itest
