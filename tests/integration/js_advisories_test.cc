// --jetstream.advisories against real nats-servers: each advisory caused for real (natskit
// request for the JetStream API, natskit js-reply for NAK/TERM/ACK) and the counters read from
// farrier's /metrics. Runs on 2.9.10 and, through the version matrix, on every newer release.
#include <gtest/gtest.h>

#include <fstream>

#include <string>
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
  // Every advisory family served has its row in docs/metrics.md, with its type.
  EXPECT_EQ(ExpectFamiliesDocumented(*s, "nats_jetstream_advisor"),
            11);  // all but leader elections, lost quorums and restores
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
  EXPECT_TRUE(after) << f.Metrics().Describe(20000);
}

// Way 2 of docs/configuration.md: farrier's account imports $JS.EVENT.> of the asset account.
TEST(JsAdvisories, ImportedFromAnotherAccount) {
  NatsServer server(NatsServerOptions{.jetstream = true, .extra_config = R"(
accounts {
  ORDERS: {
    jetstream: enabled
    users: [{user: orders, password: orders-pw}]
    exports: [{stream: "$JS.EVENT.>"}]
  }
  MONITOR: {
    users: [{user: farrier, password: farrier-pw}]
    imports: [{stream: {account: ORDERS, subject: "$JS.EVENT.>"}}]
  }
}
)"});
  farrier::test::TempDir dir;
  const std::string password = (dir.path() / "password").string();
  { std::ofstream(password) << "farrier-pw"; }
  Farrier f(FarrierArgs(server, {"--nats.user", "farrier", "--nats.password-file", password}));
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
