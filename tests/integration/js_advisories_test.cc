// --jetstream.advisories against real nats-servers: each advisory caused for real (natskit
// request for the JetStream API, natskit js-reply for NAK/TERM/ACK, natskit js-snapshot and
// js-restore for a restore, killed cluster nodes for a lost quorum) and the counters read from
// farrier's /metrics. Runs on 2.9.10 and, through the version matrix, on every newer release.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"

namespace farrier::itest {
namespace {

using farrier::test::NatsServerOptions;
using farrier::test::StartCluster;

double Sum(const Scrape& s, std::string_view name, const PromLabels& subset = {}) {
  double sum = 0;
  if (!s.metrics) return 0;
  for (const auto& sample : s.metrics->SamplesOf(name, subset)) sum += sample.value;
  return sum;
}

void Request(const std::string& url, const std::string& subject, const std::string& data = "") {
  RunNatskit({"request", "--url", url, "--subject", subject, "--data", data});
}

// A JetStream API call's reply; throws when natskit fails (no reply).
Json Api(const std::string& url, const std::string& subject, const std::string& data = "") {
  ChildProcess request({NATSKIT_BINARY, "request", "--url", url, "--subject", subject, "--data", data});
  if (request.WaitExit(10s) != 0) throw std::runtime_error("natskit request " + subject + ": " + request.ReadStderr());
  return Json::parse(request.ReadStdout());
}

void Consumer(const std::string& url, const std::string& stream, const std::string& name, const std::string& extra) {
  Request(url, "$JS.API.CONSUMER.DURABLE.CREATE." + stream + "." + name,
          R"({"stream_name":")" + stream + R"(","config":{"durable_name":")" + name + R"(","ack_policy":"explicit")" +
              extra + "}}");
}

void Reply(const std::string& url, const std::string& consumer, const std::string& body, int count) {
  RunNatskit({"js-reply", "--url", url, "--stream", "ADV", "--consumer", consumer, "--reply", body, "--count",
              std::to_string(count), "--timeout", "1000"});
}

std::vector<std::string> FarrierArgs(const NatsServer& server, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--nats.monitor-url", server.monitor_url(), "--nats.url", server.client_url(),
                                "--jetstream.advisories"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// An account with JetStream that exports its $JS.EVENT.> as a stream (way 2 of
// docs/configuration.md); its user is `user`, password `user`-pw.
std::string ExportingAccount(const std::string& name, const std::string& user) {
  return "  " + name + ": {\n    jetstream: enabled\n    users: [{user: " + user + ", password: " + user +
         "-pw}]\n    exports: [{stream: \"$JS.EVENT.>\"}]\n  }\n";
}

// A server whose account MONITOR (user farrier) imports with `imports`, next to `exporting`.
NatsServerOptions ImportingServer(const std::string& exporting, const std::string& imports) {
  return NatsServerOptions{.jetstream = true,
                           .extra_config = "accounts {\n" + exporting +
                                           "  MONITOR: {\n    users: [{user: farrier, password: farrier-pw}]\n"
                                           "    imports: [" +
                                           imports + "]\n  }\n}\n"};
}

// farrier connected as MONITOR's user, its password read from a file in `dir`.
std::vector<std::string> MonitorUserArgs(const NatsServer& server, const farrier::test::TempDir& dir) {
  const std::string password = (dir.path() / "password").string();
  { std::ofstream(password) << "farrier-pw"; }
  return FarrierArgs(server, {"--nats.user", "farrier", "--nats.password-file", password});
}

TEST(JsAdvisories, ConsumerFailuresActionsSnapshotsAndApiErrorsOfASingleServer) {
  NatsServer server(NatsServerOptions{.jetstream = true});
  Farrier f(FarrierArgs(server));
  const std::string url = server.client_url();
  const double errors = WaitUntilAdvisoriesSubscribed(f, url);

  Request(url, "$JS.API.STREAM.CREATE.ADV", R"({"name":"ADV","subjects":["adv.>"],"storage":"file"})");
  Request(url, "$JS.API.STREAM.UPDATE.ADV", R"({"name":"ADV","subjects":["adv.>"],"storage":"file","max_msgs":9})");
  Consumer(url, "ADV", "NAKS", R"(,"max_deliver":2)");
  Consumer(url, "ADV", "TERMS", "");
  Consumer(url, "ADV", "ACKS", R"(,"sample_freq":"100%")");
  RunNatskit({"pub", "--url", url, "--subject", "adv.one", "--count", "1"});
  Reply(url, "NAKS", "-NAK", 3);  // two deliveries NAKed; the third pull finds max_deliver reached
  Reply(url, "TERMS", "+TERM", 1);
  Reply(url, "ACKS", "+ACK", 1);
  // An ephemeral pull consumer: farrier saw it created, so its NAK counts as consumer="_ephemeral".
  ChildProcess create({NATSKIT_BINARY, "request", "--url", url, "--subject", "$JS.API.CONSUMER.CREATE.ADV", "--data",
                       R"({"stream_name":"ADV","config":{"ack_policy":"explicit"}})"});
  ASSERT_EQ(create.WaitExit(10s), 0) << create.ReadStderr();
  const std::string ephemeral = Json::parse(create.ReadStdout()).value("name", "");
  ASSERT_FALSE(ephemeral.empty()) << create.ReadStdout();
  Reply(url, ephemeral, "-NAK", 1);
  Request(url, "$JS.API.STREAM.SNAPSHOT.ADV", R"({"deliver_subject":"adv-snapshot.chunks","chunk_size":1024})");
  Request(url, "$JS.API.CONSUMER.DELETE.ADV.ACKS");
  Request(url, "$JS.API.STREAM.INFO.MISSING");

  const PromLabels adv{{"stream", "ADV"}};
  auto with = [](PromLabels l, const std::string& k, const std::string& v) {
    l[k] = v;
    return l;
  };
  auto s = f.WaitFor(
      [&](const Scrape& s) {
        return Sum(s, "nats_jetstream_advisory_snapshots_total", with(adv, "phase", "complete")) >= 1 &&
               Sum(s, "nats_jetstream_advisory_consumer_actions_total", with(adv, "action", "delete")) >= 1 &&
               Sum(s, "nats_jetstream_advisory_api_errors_total", {{"code", "10059"}}) >= errors + 1 &&
               Sum(s, "nats_jetstream_advisory_max_deliveries_total", adv) >= 1;
      },
      10s);
  ASSERT_TRUE(s) << f.Metrics().Describe(20000);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_naks_total", with(adv, "consumer", "NAKS")), 2);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_naks_total", with(adv, "consumer", "_ephemeral")), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_naks_total", with(adv, "consumer", ephemeral)), 0);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_max_deliveries_total", with(adv, "consumer", "NAKS")), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_terminated_total", with(adv, "consumer", "TERMS")), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_stream_actions_total", with(adv, "action", "create")), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_stream_actions_total", with(adv, "action", "modify")), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_consumer_actions_total", with(adv, "action", "create")), 4);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_consumer_actions_total", with(adv, "action", "delete")), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_snapshots_total", with(adv, "phase", "create")), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_snapshots_total", with(adv, "phase", "complete")), 1);
  EXPECT_EQ(s->Number("nats_jetstream_advisory_api_errors_total", {{"account", "$G"}, {"code", "10059"}}), errors + 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_consumer_ack_seconds_count", with(adv, "consumer", "ACKS")), 1);
  EXPECT_GT(Sum(*s, "nats_jetstream_advisory_consumer_ack_seconds_sum", with(adv, "consumer", "ACKS")), 0);
  EXPECT_EQ(s->Number("nats_jetstream_advisory_invalid_total"), 0);
  EXPECT_EQ(s->Number("nats_jetstream_advisory_series_dropped_total"), 0);
  EXPECT_FALSE(s->Value("nats_jetstream_advisories_total", {{"type", "other"}}));
  EXPECT_EQ(s->Value("nats_exporter_nats_connected"), 1);
  // All but leader elections, lost quorums and restores: the tests below cause those and check
  // their rows.
  EXPECT_EQ(ExpectFamiliesDocumented(*s, "nats_jetstream_advisor"), 11);
}

TEST(JsAdvisories, LeaderStepdownsOnAThreeNodeCluster) {
  auto nodes = StartCluster(3, /*jetstream=*/true);
  Farrier f(FarrierArgs(*nodes[0]));
  const std::string url = nodes[0]->client_url();
  WaitUntilAdvisoriesSubscribed(f, url);
  Request(url, "$JS.API.STREAM.CREATE.R3", R"({"name":"R3","subjects":["r3.>"],"storage":"file","num_replicas":3})");
  Consumer(url, "R3", "C3", "");
  const PromLabels r3{{"stream", "R3"}};
  PromLabels c3 = r3;
  c3["consumer"] = "C3";
  auto before = f.WaitFor(
      [&](const Scrape& s) {
        return Sum(s, "nats_jetstream_advisory_stream_leader_elections_total", r3) >= 1 &&
               Sum(s, "nats_jetstream_advisory_consumer_leader_elections_total", c3) >= 1;
      },
      10s);
  ASSERT_TRUE(before) << f.Metrics().Describe(20000);
  const double streams = Sum(*before, "nats_jetstream_advisory_stream_leader_elections_total", r3);
  const double consumers = Sum(*before, "nats_jetstream_advisory_consumer_leader_elections_total", c3);
  Request(url, "$JS.API.STREAM.LEADER.STEPDOWN.R3");
  Request(url, "$JS.API.CONSUMER.LEADER.STEPDOWN.R3.C3");
  auto after = f.WaitFor(
      [&](const Scrape& s) {
        return Sum(s, "nats_jetstream_advisory_stream_leader_elections_total", r3) > streams &&
               Sum(s, "nats_jetstream_advisory_consumer_leader_elections_total", c3) > consumers;
      },
      15s);
  ASSERT_TRUE(after) << f.Metrics().Describe(20000);
  ExpectFamiliesDocumented(*after, "nats_jetstream_advisor");
}

// A restore for real, as a backup tool makes one: natskit js-snapshot takes the stream to a file
// through $JS.API.STREAM.SNAPSHOT, the stream is deleted, and natskit js-restore sends the file
// back through $JS.API.STREAM.RESTORE. The server announces restore_create when it accepts the
// restore request and restore_complete once the last chunk is in and the stream is back.
TEST(JsAdvisories, RestoreOfADeletedStreamCountsCreateAndComplete) {
  NatsServer server(NatsServerOptions{.jetstream = true});
  Farrier f(FarrierArgs(server));
  const std::string url = server.client_url();
  WaitUntilAdvisoriesSubscribed(f, url);
  Request(url, "$JS.API.STREAM.CREATE.ADV", R"({"name":"ADV","subjects":["adv.>"],"storage":"file"})");
  RunNatskit({"pub", "--url", url, "--subject", "adv.one", "--count", "3"});
  farrier::test::TempDir dir;
  const std::string file = (dir.path() / "ADV.snapshot").string();
  // Chunks of 1 KiB: several chunks each way, so the acks and the restore's replies are exercised.
  RunNatskit({"js-snapshot", "--url", url, "--stream", "ADV", "--file", file, "--chunk-size", "1024"});
  Request(url, "$JS.API.STREAM.DELETE.ADV");
  ChildProcess restore({NATSKIT_BINARY, "js-restore", "--url", url, "--stream", "ADV", "--file", file, "--chunk-size",
                        "1024"});
  ASSERT_EQ(restore.WaitExit(30s), 0) << restore.ReadStderr();
  // The restored stream holds the three messages published before the snapshot: the restore
  // really happened, it was not just announced.
  const Json restored = Json::parse(restore.ReadStdout());
  ASSERT_TRUE(restored.contains("state")) << restored.dump();
  EXPECT_EQ(restored["state"].value("messages", 0), 3) << restored.dump();
  EXPECT_EQ(Api(url, "$JS.API.STREAM.INFO.ADV")["state"].value("messages", 0), 3);

  const PromLabels create{{"stream", "ADV"}, {"phase", "create"}};
  const PromLabels complete{{"stream", "ADV"}, {"phase", "complete"}};
  auto s = f.WaitFor([&](const Scrape& s) { return Sum(s, "nats_jetstream_advisory_restores_total", complete) >= 1; },
                     10s);
  ASSERT_TRUE(s) << f.Metrics().Describe(20000);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_restores_total", create), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_restores_total", complete), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_snapshots_total", {{"stream", "ADV"}, {"phase", "create"}}), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_snapshots_total", {{"stream", "ADV"}, {"phase", "complete"}}), 1);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_stream_actions_total", {{"stream", "ADV"}, {"action", "delete"}}), 1);
  EXPECT_EQ(s->Number("nats_jetstream_advisory_invalid_total"), 0);
  ExpectFamiliesDocumented(*s, "nats_jetstream_advisor");
}

// The leader of a stream's or consumer's Raft group, by its server name, from the JetStream API
// (`cluster.leader` of STREAM.INFO / CONSUMER.INFO); waits up to 10 s for one other than `not`.
// While the group elects, nobody answers INFO (only a leader does): that is retried.
std::string LeaderOf(const std::string& url, const std::string& info_subject, const std::string& not_this = "") {
  std::string leader;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    ChildProcess request({NATSKIT_BINARY, "request", "--url", url, "--subject", info_subject, "--timeout", "1000"});
    if (request.WaitExit(10s) == 0) {
      const Json info = Json::parse(request.ReadStdout());
      leader = info.contains("cluster") ? info["cluster"].value("leader", "") : "";
      if (!leader.empty() && leader != not_this) return leader;
    }
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << info_subject << ": no leader other than \"" << not_this << "\" within 10 s";
  return leader;
}

// Lost quorum for real: a 3-node cluster loses two nodes. When and by whom the advisory is sent,
// from the server's source (jetstream_cluster.go and raft.go, the same from 2.9.10 to 2.15): by
// a replica whose Raft group signals "not leader" while it has no quorum, for a group older than
// 5 s, at most once per 10 s per stream or consumer and server. That happens first to the
// group's leader: it checks every 10 s from its election (lostQuorumCheck) whether a quorum of
// peers was heard from in the last 10 s (lostQuorumInterval), and steps down when not. So the
// advisory comes at the first check at least 10 s after the followers were last heard from (up
// to a 1 s heartbeat before the kill): 9 to 20 s after it, which makes this test take 20 to 25 s;
// the survivor is made the leader of both the stream and the consumer so that this is the path.
// Afterwards every replica left sends it again whenever it campaigns in vain, at most every 20 s
// (switchToCandidate): the counter keeps rising while the group has no quorum.
TEST(JsAdvisories, QuorumLostWhenTwoOfThreeNodesAreKilled) {
  auto nodes = StartCluster(3, /*jetstream=*/true);
  const std::string url0 = nodes[0]->client_url();
  Request(url0, "$JS.API.STREAM.CREATE.R3", R"({"name":"R3","subjects":["r3.>"],"storage":"file","num_replicas":3})");
  Consumer(url0, "R3", "C3", "");  // R3 like its stream
  const std::string leader = LeaderOf(url0, "$JS.API.STREAM.INFO.R3");
  // The consumer's leader is elected apart from the stream's. A stepdown hands it to the
  // preferred replica from 2.11 on (placement.preferred); 2.9 and 2.10 take no request body and
  // pick one of the two others, so a few stepdowns move it to the stream's leader there.
  const bool preferred = farrier::test::ServerVersion(*nodes[0]) >= farrier::test::NatsVersion{2, 11, 0};
  const std::string stepdown = preferred ? R"({"placement":{"preferred":")" + leader + R"("}})" : "";
  std::string consumer_leader = LeaderOf(url0, "$JS.API.CONSUMER.INFO.R3.C3");
  for (int i = 0; i < 16 && consumer_leader != leader; ++i) {
    Request(url0, "$JS.API.CONSUMER.LEADER.STEPDOWN.R3.C3", stepdown);
    consumer_leader = LeaderOf(url0, "$JS.API.CONSUMER.INFO.R3.C3", consumer_leader);
  }
  ASSERT_EQ(consumer_leader, leader) << "C3's leadership never moved to R3's leader";
  NatsServer* survivor = nullptr;
  for (auto& node : nodes) {
    if (node->name() == leader) survivor = node.get();
  }
  ASSERT_NE(survivor, nullptr) << "no node named " << leader;

  // Farrier on the survivor: the advisories are published there, in the stream's account.
  Farrier f(FarrierArgs(*survivor));
  WaitUntilAdvisoriesSubscribed(f, survivor->client_url());
  const auto killed = std::chrono::steady_clock::now();
  for (auto& node : nodes) {
    if (node.get() != survivor) node->Kill();
  }
  const PromLabels r3{{"stream", "R3"}};
  const PromLabels c3{{"stream", "R3"}, {"consumer", "C3"}};
  // 20 s at most by the server's timers, plus room for a loaded machine. When each was counted
  // goes to the test's output: how long a real outage takes to show.
  auto since_kill = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count(); };
  double stream_seconds = 0, consumer_seconds = 0;
  auto s = f.WaitFor(
      [&](const Scrape& s) {
        if (!stream_seconds && Sum(s, "nats_jetstream_advisory_stream_quorum_lost_total", r3) >= 1) {
          stream_seconds = since_kill();
        }
        if (!consumer_seconds && Sum(s, "nats_jetstream_advisory_consumer_quorum_lost_total", c3) >= 1) {
          consumer_seconds = since_kill();
        }
        return stream_seconds && consumer_seconds;
      },
      35s, nullptr, 200ms);
  ASSERT_TRUE(s) << "after " << since_kill() << " s\n" << f.Metrics().Describe(20000) << survivor->LogTail();
  std::cerr << "lost quorum counted " << stream_seconds << " s (stream), " << consumer_seconds
            << " s (consumer) after the kill\n";
  // Exactly as often as the survivor sent it: it logs a warning right before each advisory it
  // publishes. (A second one may already be on its way, at least 10 s after the first, hence
  // the count from the log rather than 1.)
  auto warnings = [&](const std::string& what) {
    const std::string log = survivor->Log();
    int n = 0;
    for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
    return n;
  };
  const std::string stream_warning = "stream '$G > R3' has NO quorum";
  const std::string consumer_warning = "consumer '$G > R3 > C3' has NO quorum";
  auto exact = f.WaitFor(
      [&](const Scrape& s) {
        return Sum(s, "nats_jetstream_advisory_stream_quorum_lost_total", r3) == warnings(stream_warning) &&
               Sum(s, "nats_jetstream_advisory_consumer_quorum_lost_total", c3) == warnings(consumer_warning);
      },
      5s, nullptr, 200ms);
  EXPECT_TRUE(exact) << f.Metrics().Describe(20000) << survivor->LogTail();
  EXPECT_GE(warnings(stream_warning), 1);
  EXPECT_GE(warnings(consumer_warning), 1);
  EXPECT_EQ(s->Number("nats_jetstream_advisory_invalid_total"), 0);
  ExpectFamiliesDocumented(*s, "nats_jetstream_advisor");
}

// Way 2 of docs/configuration.md: farrier's account imports $JS.EVENT.> of the asset account.
TEST(JsAdvisories, ImportedFromAnotherAccount) {
  NatsServer server(ImportingServer(ExportingAccount("ORDERS", "orders"),
                                    R"({stream: {account: ORDERS, subject: "$JS.EVENT.>"}})"));
  farrier::test::TempDir dir;
  Farrier f(MonitorUserArgs(server, dir));
  const std::string url = "nats://orders:orders-pw@127.0.0.1:" + std::to_string(server.client_port());
  WaitUntilAdvisoriesSubscribed(f, url, "ORDERS");
  Request(url, "$JS.API.STREAM.CREATE.ADV", R"({"name":"ADV","subjects":["adv.>"],"storage":"memory"})");
  Consumer(url, "ADV", "NAKS", R"(,"max_deliver":2)");
  RunNatskit({"pub", "--url", url, "--subject", "adv.one", "--count", "1"});
  Reply(url, "NAKS", "-NAK", 3);
  const PromLabels naks{{"stream", "ADV"}, {"consumer", "NAKS"}};
  auto s = f.WaitFor([&](const Scrape& s) { return Sum(s, "nats_jetstream_advisory_max_deliveries_total", naks) >= 1; },
                     10s);
  ASSERT_TRUE(s) << f.Metrics().Describe(20000);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_naks_total", naks), 2);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_max_deliveries_total", naks), 1);
  EXPECT_EQ(s->Number("nats_jetstream_advisory_naks_total", {{"account", ""}, {"stream", "ADV"}, {"consumer", "NAKS"}}),
            2)
      << "imported without a prefix: nothing names the account";
}

// Way 2 with prefixes (docs/configuration.md): two accounts with equal stream and consumer names,
// imported as ORDERS.$JS.EVENT.> (`to`) and BILLING.$JS.EVENT.> (`prefix`): their events stay
// apart by account.
TEST(JsAdvisories, ImportedUnderPrefixesKeepAccountsApart) {
  NatsServer server(ImportingServer(ExportingAccount("ORDERS", "orders") + ExportingAccount("BILLING", "billing"),
                                    R"({stream: {account: ORDERS, subject: "$JS.EVENT.>"}, to: "ORDERS.$JS.EVENT.>"}
       {stream: {account: BILLING, subject: "$JS.EVENT.>"}, prefix: "BILLING"})"));
  farrier::test::TempDir dir;
  Farrier f(MonitorUserArgs(server, dir));
  const std::string port = std::to_string(server.client_port());
  const std::string orders = "nats://orders:orders-pw@127.0.0.1:" + port;
  const std::string billing = "nats://billing:billing-pw@127.0.0.1:" + port;
  WaitUntilAdvisoriesSubscribed(f, orders, "ORDERS");
  for (const std::string& url : {orders, billing}) {
    Request(url, "$JS.API.STREAM.CREATE.ADV", R"({"name":"ADV","subjects":["adv.>"],"storage":"memory"})");
    Consumer(url, "ADV", "NAKS", R"(,"max_deliver":5)");
    RunNatskit({"pub", "--url", url, "--subject", "adv.one", "--count", "1"});
  }
  Reply(orders, "NAKS", "-NAK", 2);
  Reply(billing, "NAKS", "-NAK", 1);
  auto naks = [](const std::string& account) {
    return PromLabels{{"account", account}, {"stream", "ADV"}, {"consumer", "NAKS"}};
  };
  auto s = f.WaitFor(
      [&](const Scrape& s) {
        return s.Number("nats_jetstream_advisory_naks_total", naks("ORDERS")) >= 2 &&
               s.Number("nats_jetstream_advisory_naks_total", naks("BILLING")) >= 1;
      },
      10s);
  ASSERT_TRUE(s) << f.Metrics().Describe(20000);
  EXPECT_EQ(s->Number("nats_jetstream_advisory_naks_total", naks("ORDERS")), 2);
  EXPECT_EQ(s->Number("nats_jetstream_advisory_naks_total", naks("BILLING")), 1);
  EXPECT_FALSE(s->Value("nats_jetstream_advisory_naks_total", naks(""))) << "every event came under a prefix";
  EXPECT_EQ(s->Number("nats_jetstream_advisory_stream_actions_total",
                      {{"account", "BILLING"}, {"stream", "ADV"}, {"action", "create"}}),
            1);
}

TEST(JsAdvisories, LabelSetsPastTheLimitAreCountedAsDropped) {
  NatsServer server(NatsServerOptions{.jetstream = true});
  // Two label sets: the warm-up's API error and the stream's creation; every later set drops.
  Farrier f(FarrierArgs(server, {"--jetstream.advisories-limit", "2"}));
  const std::string url = server.client_url();
  WaitUntilAdvisoriesSubscribed(f, url);
  Request(url, "$JS.API.STREAM.CREATE.ADV", R"({"name":"ADV","subjects":["adv.>"],"storage":"memory"})");
  Consumer(url, "ADV", "NAKS", R"(,"max_deliver":2)");
  RunNatskit({"pub", "--url", url, "--subject", "adv.one", "--count", "1"});
  Reply(url, "NAKS", "-NAK", 3);
  auto s = f.WaitFor(
      [&](const Scrape& s) {
        return s.Number("nats_jetstream_advisories_total", {{"type", "max_deliver"}}) >= 1;
      },
      10s);
  ASSERT_TRUE(s) << f.Metrics().Describe(20000);
  EXPECT_EQ(Sum(*s, "nats_jetstream_advisory_stream_actions_total"), 1);
  EXPECT_FALSE(s->Has("nats_jetstream_advisory_consumer_actions_total"));
  EXPECT_FALSE(s->Has("nats_jetstream_advisory_naks_total"));
  EXPECT_FALSE(s->Has("nats_jetstream_advisory_max_deliveries_total"));
  // consumer create, two NAKs, max_deliver.
  EXPECT_EQ(s->Number("nats_jetstream_advisory_series_dropped_total"), 4);
  EXPECT_EQ(s->Number("nats_jetstream_advisories_total", {{"type", "nak"}}), 2);
}

// A message on the advisory subjects that is no advisory (published by a client) counts as
// invalid, on every release.
TEST(JsAdvisories, GarbageOnTheAdvisorySubjectsCountsAsInvalid) {
  NatsServer server(NatsServerOptions{.jetstream = true});
  Farrier f(FarrierArgs(server));
  const std::string url = server.client_url();
  WaitUntilAdvisoriesSubscribed(f, url);
  RunNatskit({"pub", "--url", url, "--subject", "$JS.EVENT.ADVISORY.FARRIER.TEST", "--count", "1"});
  auto invalid = f.WaitFor([](const Scrape& s) { return s.Number("nats_jetstream_advisory_invalid_total") >= 1; }, 10s);
  ASSERT_TRUE(invalid) << f.Metrics().Describe(20000);
  EXPECT_EQ(invalid->Number("nats_jetstream_advisory_invalid_total"), 1);
}

// A type farrier does not know (consumer_pause, 2.11+) counts as other, not as invalid.
TEST(JsAdvisories, UnknownTypesCountAsOther) {
  NatsServer server(NatsServerOptions{.jetstream = true});
  if (farrier::test::ServerVersion(server) < farrier::test::NatsVersion{2, 11, 0}) {
    GTEST_SKIP() << "consumer pause (io.nats.jetstream.advisory.v1.consumer_pause) exists from 2.11 on";
  }
  Farrier f(FarrierArgs(server));
  const std::string url = server.client_url();
  WaitUntilAdvisoriesSubscribed(f, url);
  Request(url, "$JS.API.STREAM.CREATE.ADV", R"({"name":"ADV","subjects":["adv.>"],"storage":"memory"})");
  Consumer(url, "ADV", "PAUSED", "");
  Request(url, "$JS.API.CONSUMER.PAUSE.ADV.PAUSED", R"({"pause_until":"2099-01-01T00:00:00Z"})");
  auto other = f.WaitFor(
      [](const Scrape& s) {
        return s.Number("nats_jetstream_advisories_total", {{"type", "other"}}) >= 1;
      },
      10s);
  ASSERT_TRUE(other) << f.Metrics().Describe(20000);
  EXPECT_EQ(other->Number("nats_jetstream_advisory_invalid_total"), 0);
}

}  // namespace
}  // namespace farrier::itest
