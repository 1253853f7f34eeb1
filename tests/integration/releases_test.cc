// What changed in nats-server's monitoring between 2.9 and today, against a real server of the
// release under test (FARRIER_NATS_SERVER; the ctest matrix runs these against every supported
// release). Each test reads the server's own answer first, so it shows the release's behaviour,
// then checks that farrier reports the same thing on every release:
//   - a server not ready for connections (lame duck) answers /healthz 500 since 2.10 (503 on
//     2.9): unhealthy, not a failed poll; errors by type with details=true since 2.10;
//   - /connz lists leaf nodes since 2.11.5: clients and leaf nodes are counted apart;
//   - routes are pooled since 2.10: peers are counted apart from connections, per peer by name;
//   - /subsz `total` counts every match since 2.11.6: what the limit cut is reported;
//   - /raftz since 2.10.17; fields added later equal the server's own where it prints them.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>
#include <string>

#include "harness.h"
#include "support/certs.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

using farrier::test::NatsServerOptions;

using farrier::test::NatsVersion;

std::vector<std::string> FarrierArgs(const NatsServer& server, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{
      "--nats.monitor-url", server.monitor_url(), "--poll.interval", "200ms", "--poll.timeout", "200ms"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Whether /jsz lists consumer `name` as paused.
bool FindConsumerPaused(const Json& jsz, const std::string& name) {
  for (const auto& account : jsz.value("account_details", Json::array())) {
    for (const auto& stream : account.value("stream_detail", Json::array())) {
      for (const auto& c : stream.value("consumer_detail", Json::array())) {
        if (c.value("name", "") == name) return c.value("paused", false);
      }
    }
  }
  return false;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// ------------------------------------------------------------------------------- /healthz

// Lame-duck mode closes the client listener while the monitoring port keeps serving: the state
// of every server in a rolling restart. The grace period keeps it there for the test's length.
TEST(Releases, LameDuckServerIsUnhealthyNotDown) {
  NatsServerOptions options;
  options.extra_config = "lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"20s\"\n";
  NatsServer server(options);
  const NatsVersion release = farrier::test::ServerVersion(server);
  // With no client at all, lame-duck mode ends at once with a shutdown.
  auto idle = StartNatskit({"idle-conns", "--url", server.client_url(), "--count", "2", "--subs", "1"}, "ready");
  Farrier f(FarrierArgs(server));
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.Value("nats_server_healthy") == 1.0; }, 10s));

  ASSERT_EQ(kill(server.pid(), SIGUSR2), 0);
  farrier::test::HttpResponse verdict;
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] {
        verdict = farrier::test::HttpGet(server.monitor_url() + "/healthz");
        return verdict.status != 200;
      },
      10s));
  // The server's own answer: 500 since 2.10 (not ready for connections), 503 on 2.9.
  EXPECT_EQ(verdict.status, (release >= NatsVersion{2, 10, 0}) ? 500 : 503) << verdict.body;

  Scrape last;
  auto s = f.WaitFor([](const Scrape& s) { return s.Value("nats_server_healthy") == 0.0; }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe();
  EXPECT_TRUE(s->SourceUp("healthz")) << "an unhealthy answer is not a failed poll";
  EXPECT_EQ(s->Errors("healthz"), 0);
  if (release >= NatsVersion{2, 10, 0}) {
    EXPECT_EQ(s->Value("nats_server_health_errors", {{"type", "connection"}}), 1.0) << s->Describe();
    EXPECT_EQ(s->Value("nats_server_health_errors", {{"type", "jetstream"}}), 0.0);
  } else {
    EXPECT_FALSE(s->Has("nats_server_health_errors")) << "2.9 has no breakdown by type";
  }
  // One log line for the change, whatever the number of polls since.
  ASSERT_TRUE(f.WaitForPolls(s->Polls() + 3, 10s));
  EXPECT_EQ(Count(f.Stderr(), "server reports unhealthy"), 1u) << f.Stderr();
  EXPECT_NE(f.Stderr().find("ready for connections"), std::string::npos) << f.Stderr();
}

// --------------------------------------------------------------------------------- /connz

TEST(Releases, ConnzCountsClientsAndLeafNodesApart) {
  NatsServerOptions hub_options;
  hub_options.name = "hub";
  hub_options.extra_config = "leafnodes { listen: \"127.0.0.1:-1\" }\n";  // the kernel picks; /varz says
  NatsServer hub(hub_options);
  const int leaf_port = MonitorJson(hub, "/varz")["leaf"].value("port", 0);
  ASSERT_GT(leaf_port, 0) << "the hub has no leaf node port";
  NatsServerOptions leaf_options;
  leaf_options.name = "leaf";
  leaf_options.extra_config = "leafnodes { remotes: [ { url: \"nats-leaf://127.0.0.1:" + std::to_string(leaf_port) +
                              "\" } ] }\n";
  NatsServer leaf(leaf_options);
  auto clients = StartNatskit({"idle-conns", "--url", hub.client_url(), "--count", "3", "--subs", "2"}, "ready");
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return MonitorJson(hub, "/varz").value("leafnodes", 0) == 1; }, 15s));
  const NatsVersion release = farrier::test::ServerVersion(hub);
  const bool lists_leafnodes = release >= NatsVersion{2, 11, 5};

  // The server's own answers: /varz counts clients only; /connz lists the leaf node since 2.11.5.
  Json varz = MonitorJson(hub, "/varz");
  Json connz = MonitorJson(hub, "/connz");
  ASSERT_EQ(varz.at("connections").get<int>(), 3);
  EXPECT_EQ(connz.at("total").get<int>(), lists_leafnodes ? 4 : 3);

  Farrier f(FarrierArgs(hub));
  Scrape last;
  auto s = f.WaitFor([](const Scrape& s) { return s.SourceUp("connz") && s.SourceUp("varz"); }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe();
  EXPECT_EQ(s->Value("nats_connz_connections", {{"kind", "client"}}), s->Value("nats_server_connections"));
  EXPECT_EQ(s->Value("nats_connz_connections", {{"kind", "client"}}), 3.0);
  EXPECT_EQ(s->Value("nats_connz_subscriptions", {{"kind", "client"}}), 6.0);
  if (lists_leafnodes) {
    EXPECT_EQ(s->Value("nats_connz_connections", {{"kind", "leafnode"}}), 1.0) << s->Describe();
    EXPECT_EQ(s->Value("nats_connz_connections", {{"kind", "leafnode"}}), s->Value("nats_server_leafnodes"));
  } else {
    EXPECT_FALSE(s->Value("nats_connz_connections", {{"kind", "leafnode"}}).has_value())
        << "this release does not list leaf nodes in /connz: no series rather than a wrong 0";
  }
}

// -------------------------------------------------------------------------------- /routez

TEST(Releases, RoutesAreCountedByPeer) {
  auto cluster = farrier::test::StartCluster(3, /*jetstream=*/false);
  NatsServer& node = *cluster[0];
  const NatsVersion release = farrier::test::ServerVersion(node);
  // A pool fills a few connections after the first: wait until the count holds for a second.
  int steady = 0, previous = -1;
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] {
        int now = MonitorJson(node, "/routez").at("num_routes").get<int>();
        steady = now == previous ? steady + 1 : 0;
        previous = now;
        return steady >= 5;
      },
      15s, 200ms));
  Json varz = MonitorJson(node, "/varz");
  Json routez = MonitorJson(node, "/routez");
  // The server's own view: 2 peers; one connection each on 2.9, a pool per peer since 2.10.
  ASSERT_EQ(varz.at("remotes").get<int>(), 2);
  if (release >= NatsVersion{2, 10, 0}) {
    EXPECT_GT(routez.at("num_routes").get<int>(), 2) << "route pooling";
  } else {
    EXPECT_EQ(routez.at("num_routes").get<int>(), 2);
  }

  Farrier f(FarrierArgs(node));
  Scrape last;
  auto s = f.WaitFor(
      [](const Scrape& s) {
        return s.SourceUp("routez") && s.SourceUp("varz") && s.Value("nats_server_remotes") == 2.0;
      },
      15s, &last);
  ASSERT_TRUE(s) << last.Describe();
  // Per peer: by name where the server gives it (stable across the peer's restarts), else by id.
  std::set<std::string> expected, labelled;
  const std::string key = (release >= NatsVersion{2, 10, 0}) ? "remote_name" : "remote_id";
  for (size_t i = 1; i < cluster.size(); ++i) {
    Json peer = MonitorJson(*cluster[i], "/varz");
    expected.insert(peer.at(key == "remote_name" ? "server_name" : "server_id").get<std::string>());
  }
  double connections = 0;
  for (const auto& sample : s->metrics->SamplesOf("nats_route_connections")) {
    ASSERT_TRUE(sample.labels.count(key)) << s->Describe();
    labelled.insert(sample.labels.at(key));
    connections += sample.value;
  }
  EXPECT_EQ(labelled, expected);
  // Connections still add up to the server's own count of them.
  Json after = MonitorJson(node, "/routez");
  EXPECT_EQ(connections, after.at("num_routes").get<double>());
  EXPECT_EQ(s->Value("nats_routez_routes"), after.at("num_routes").get<double>());
}

// --------------------------------------------------------------------------------- /subsz

TEST(Releases, SubszTotalTellsWhatTheLimitCut) {
  NatsServer server;
  const NatsVersion release = farrier::test::ServerVersion(server);
  auto idle = StartNatskit({"idle-conns", "--url", server.client_url(), "--count", "4", "--subs", "2"}, "ready");
  auto workers = StartNatskit(
      {"qsub", "--url", server.client_url(), "--subject", "svc.echo", "--queue", "workers", "--count", "3"}, "ready");
  const int limit = 5;
  Json page = MonitorJson(server, "/subsz?subs=1&limit=" + std::to_string(limit));
  ASSERT_EQ(page.at("subscriptions_list").size(), static_cast<size_t>(limit));
  const bool counts_all = release >= NatsVersion{2, 11, 6};
  // The server's own `total`: every match since 2.11.6, the page length before.
  if (counts_all) {
    EXPECT_GT(page.at("total").get<int>(), limit);
  } else {
    EXPECT_EQ(page.at("total").get<int>(), limit);
  }

  Farrier f(FarrierArgs(server, {"--queuegroups.all", "--queuegroups.subscription-limit", std::to_string(limit)}));
  Scrape last;
  auto s = f.WaitFor([](const Scrape& s) { return s.SourceUp("queuegroups") && s.SourceUp("varz"); }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe();
  if (counts_all) {
    Json now = MonitorJson(server, "/subsz?subs=1&limit=" + std::to_string(limit));
    EXPECT_EQ(s->Value("nats_exporter_queue_groups_subscriptions_unread"), now.at("total").get<double>() - limit)
        << s->Describe();
  } else {
    EXPECT_FALSE(s->Has("nats_exporter_queue_groups_subscriptions_unread"))
        << "this release cannot say what the limit cut";
  }
}

// --------------------------------------------------------------------------------- /raftz

TEST(Releases, RaftzGroupsOfAJetStreamCluster) {
  auto cluster = farrier::test::StartCluster(3, /*jetstream=*/true);
  NatsServer& node = *cluster[0];
  const NatsVersion release = farrier::test::ServerVersion(node);
  RunNatskit({"js-setup", "--url", node.client_url(), "--stream", "JOBS", "--subjects", "jobs.>", "--storage", "memory",
              "--replicas", "3", "--publish", "10", "--consumer", "WORKERS"});
  // /raftz lists the system account's groups (the meta group); ?acc= an asset account's (the
  // stream's and the consumer's, in the default account $G). Farrier reads both.
  auto raftz = [&] {
    Json all = MonitorJson(node, "/raftz");
    if (farrier::test::HttpGet(node.monitor_url() + "/raftz?acc=%24G").status == 200) {
      all.update(MonitorJson(node, "/raftz?acc=%24G"));
    }
    return all;
  };
  auto group_count = [&] {
    size_t n = 0;
    const Json all = raftz();
    for (const auto& [account, by_group] : all.items()) n += by_group.size();
    return n;
  };
  if (release >= NatsVersion{2, 10, 17}) {
    ASSERT_TRUE(farrier::test::WaitUntil([&] { return group_count() >= 3; }, 15s)) << raftz().dump();
  }
  Farrier f(FarrierArgs(node, {"--collector.raftz"}));
  Scrape last;
  auto s = f.WaitFor([](const Scrape& s) { return s.SourceUp("raftz") && s.Polls() >= 2; }, 15s, &last);
  ASSERT_TRUE(s) << last.Describe();
  if (release < NatsVersion{2, 10, 17}) {
    EXPECT_EQ(farrier::test::HttpGet(node.monitor_url() + "/raftz").status, 404);
    EXPECT_FALSE(s->Has("nats_raft_group_term")) << s->Describe();
    EXPECT_NE(f.Stderr().find("does not serve /raftz"), std::string::npos) << f.Stderr();
    return;
  }
  // Every group the server lists, with its term and size (stable while nothing changes).
  size_t groups = 0;
  const Json listed = raftz();
  for (const auto& [account, by_group] : listed.items()) {
    for (const auto& [group, g] : by_group.items()) {
      ++groups;
      PromLabels l{{"account", account}, {"group", group}};
      EXPECT_EQ(s->Value("nats_raft_group_term", l), g.at("term").get<double>()) << account << " " << group;
      EXPECT_EQ(s->Value("nats_raft_group_size", l), 3.0) << group;
      EXPECT_EQ(s->Value("nats_raft_group_leader", l), g.at("state") == "LEADER" ? 1.0 : 0.0) << group;
    }
  }
  // The meta group, the stream's and the consumer's.
  EXPECT_EQ(groups, 3u);
  EXPECT_EQ(s->metrics->SamplesOf("nats_raft_group_term").size(), groups);
  EXPECT_EQ(s->Value("nats_exporter_raftz_groups_dropped"), 0.0);

  // A capped export keeps the first groups and counts the rest.
  Farrier capped(FarrierArgs(node, {"--collector.raftz", "--raftz.group-limit", "1"}));
  auto c = capped.WaitFor([](const Scrape& s) { return s.SourceUp("raftz"); }, 10s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->metrics->SamplesOf("nats_raft_group_term").size(), 1u);
  EXPECT_EQ(c->Value("nats_exporter_raftz_groups_dropped"), static_cast<double>(groups - 1));
}

TEST(Releases, RaftzWithoutRaftGroupsIsNoDataNotAFailure) {
  NatsServer server;  // no clustered JetStream: no Raft group
  const NatsVersion release = farrier::test::ServerVersion(server);
  Farrier f(FarrierArgs(server, {"--collector.raftz"}));
  Scrape last;
  auto s = f.WaitFor([](const Scrape& s) { return s.Polls() >= 3; }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe();
  EXPECT_TRUE(s->SourceUp("raftz"));
  EXPECT_EQ(s->Errors("raftz"), 0);
  EXPECT_FALSE(s->Has("nats_raft_group_term"));
  const std::string said = (release >= NatsVersion{2, 10, 17}) ? "no Raft groups" : "does not serve /raftz";
  EXPECT_EQ(Count(f.Stderr(), said), 1u) << f.Stderr();
}

// ----------------------------------------------------------------------------------- /jsz

// natskit arguments for the JetStream API request that pauses ORDERS/<consumer> for an hour
// (pause_until in RFC 3339 UTC), or resumes it with `resume`. Answered from 2.11 on.
std::vector<std::string> PauseRequest(const NatsServer& server, const std::string& consumer, bool resume = false) {
  std::string data = "{}";
  if (!resume) {
    std::time_t until = std::time(nullptr) + 3600;
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&until));
    data = std::string(R"({"pause_until":")") + stamp + R"("})";
  }
  return {"request", "--url", server.client_url(), "--subject", "$JS.API.CONSUMER.PAUSE.ORDERS." + consumer,
          "--data",  data,    "--timeout",         "2000"};
}

// A paused consumer (2.11+) is marked, so alerts can tell a growing backlog that is meant from a
// stuck one; before 2.11 the pause request gets no answer and there is no such series.
TEST(Releases, PausedConsumerIsMarked) {
  NatsServerOptions options;
  options.jetstream = true;
  NatsServer server(options);
  const NatsVersion release = farrier::test::ServerVersion(server);
  RunNatskit({"js-setup", "--url", server.client_url(), "--stream", "ORDERS", "--subjects", "orders.>", "--publish",
              "20", "--consumer", "PROCESSOR"});
  RunNatskit({"js-setup", "--url", server.client_url(), "--stream", "ORDERS", "--subjects", "orders.>", "--consumer",
              "OTHER"});
  const bool can_pause = release >= NatsVersion{2, 11, 0};
  const std::vector<std::string> pause = PauseRequest(server, "PROCESSOR");
  if (can_pause) {
    RunNatskit(pause);
    ASSERT_TRUE(FindConsumerPaused(MonitorJson(server, kJszFull), "PROCESSOR"));
  } else {
    EXPECT_THROW(RunNatskit(pause), std::exception) << "the API has no pause before 2.11";
  }

  Farrier f(FarrierArgs(server));
  Scrape last;
  auto s = f.WaitFor([](const Scrape& s) { return s.SourceUp("jsz") && s.SourceUp("varz"); }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe();
  PromLabels processor{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "PROCESSOR"}};
  PromLabels other{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "OTHER"}};
  if (!can_pause) {
    EXPECT_FALSE(s->Has("nats_consumer_paused")) << "no series rather than a made-up 0";
    return;
  }
  EXPECT_EQ(s->Value("nats_consumer_paused", processor), 1.0) << s->Describe();
  EXPECT_EQ(s->Value("nats_consumer_paused", other), 0.0);
  auto remaining = s->Value("nats_consumer_pause_remaining_seconds", processor);
  ASSERT_TRUE(remaining);
  EXPECT_GT(*remaining, 3500);
  EXPECT_LE(*remaining, 3600);
  EXPECT_FALSE(s->Value("nats_consumer_pause_remaining_seconds", other));
  // Its backlog is still reported: paused is a fact next to it, not a reason to hide it.
  EXPECT_EQ(s->Value("nats_consumer_num_pending", processor), 20.0);
}

// Creates (or, for an existing durable, updates in place) pull consumer ORDERS/<name> with
// max_ack_pending `limit`, through the JetStream API request every release answers.
void PutConsumer(const NatsServer& server, const std::string& name, int limit) {
  Json request{{"stream_name", "ORDERS"},
               {"config", {{"durable_name", name}, {"ack_policy", "explicit"}, {"max_ack_pending", limit}}}};
  Json reply = Json::parse(RunNatskit({"request", "--url", server.client_url(), "--subject",
                                       "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS." + name, "--data", request.dump(),
                                       "--timeout", "2000"}));
  ASSERT_FALSE(reply.contains("error")) << reply.dump();
  ASSERT_EQ(reply["config"]["max_ack_pending"], limit) << reply.dump();
}

// Between answers with config=true farrier asks /jsz without config and keeps the configured
// fields (--jsz.config-refresh): a consumer created, or deleted and created again, shows its
// own max_ack_pending at once; an edit in place shows within the refresh period, not before.
TEST(Releases, ConsumerConfigFollowsCreateRecreateAndRefresh) {
  NatsServerOptions options;
  options.jetstream = true;
  NatsServer server(options);
  RunNatskit({"js-setup", "--url", server.client_url(), "--stream", "ORDERS", "--subjects", "orders.>", "--publish",
              "5"});
  PutConsumer(server, "A", 100);
  const PromLabels a{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "A"}};
  const PromLabels b{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "B"}};

  Farrier f(FarrierArgs(server, {"--jsz.config-refresh", "1h"}));
  Scrape last;
  ASSERT_TRUE(f.WaitFor([&](const Scrape& s) { return s.Value("nats_consumer_max_ack_pending", a) == 100.0; }, 10s,
                        &last))
      << last.Describe();

  // A new consumer: from its first scrape on, with its own limit.
  PutConsumer(server, "B", 200);
  auto with_b = f.WaitFor([&](const Scrape& s) { return s.Value("nats_consumer_num_pending", b).has_value(); }, 10s,
                          &last);
  ASSERT_TRUE(with_b) << last.Describe();
  EXPECT_EQ(with_b->Value("nats_consumer_max_ack_pending", b), 200.0) << with_b->Describe();
  EXPECT_EQ(with_b->Value("nats_consumer_num_pending", b), 5.0);

  // Edited in place: the kept value holds for the refresh period (an hour here), so farrier is
  // asking without config. (After the poll that found B, one more asks with config, in case
  // more assets keep appearing; then polls go without.)
  ASSERT_TRUE(f.WaitForPolls(f.Metrics().Polls() + 3, 10s));
  PutConsumer(server, "A", 300);
  ASSERT_TRUE(f.WaitForPolls(f.Metrics().Polls() + 10, 10s));
  EXPECT_EQ(f.Metrics().Value("nats_consumer_max_ack_pending", a), 100.0);

  // Deleted and created again under its name: a new consumer, read with config at once.
  RunNatskit({"request", "--url", server.client_url(), "--subject", "$JS.API.CONSUMER.DELETE.ORDERS.A", "--timeout",
              "2000"});
  PutConsumer(server, "A", 400);
  ASSERT_TRUE(f.WaitFor([&](const Scrape& s) { return s.Value("nats_consumer_max_ack_pending", a) == 400.0; }, 10s,
                        &last))
      << last.Describe();

  // With a short refresh period an edit in place shows once it has passed.
  Farrier refreshing(FarrierArgs(server, {"--jsz.config-refresh", "1s"}));
  ASSERT_TRUE(refreshing.WaitFor([&](const Scrape& s) { return s.Value("nats_consumer_max_ack_pending", b) == 200.0; },
                                 10s, &last))
      << last.Describe();
  PutConsumer(server, "B", 250);
  ASSERT_TRUE(refreshing.WaitFor([&](const Scrape& s) { return s.Value("nats_consumer_max_ack_pending", b) == 250.0; },
                                 10s, &last))
      << last.Describe();
}

// The capacity signal of a configured consumer that is paused: its backlog grows while nothing
// can be delivered, so more workers would not help; the desired count holds (KEDA mode here:
// ceil(lag / 10)), the JSON says paused, and the lag is still reported.
TEST(Releases, PausedConsumerHoldsItsDesiredWorkers) {
  NatsServerOptions options;
  options.jetstream = true;
  NatsServer server(options);
  const NatsVersion release = farrier::test::ServerVersion(server);
  RunNatskit({"js-setup", "--url", server.client_url(), "--stream", "ORDERS", "--subjects", "orders.>", "--publish",
              "50", "--consumer", "PROCESSOR"});
  farrier::test::TempDir dir("farrier-releases-pause");
  Json config{{"nats", {{"monitor_url", server.monitor_url()}}},
              {"consumers", {{{"stream", "ORDERS"}, {"consumer", "PROCESSOR"}, {"lag_threshold", 10}}}}};
  std::ofstream(dir.path() / "farrier.json") << config.dump();
  Farrier f({"--config", (dir.path() / "farrier.json").string(), "--poll.interval", "200ms", "--poll.timeout", "200ms",
             "--scaling.down-window", "0s"});
  // consumers.ORDERS.PROCESSOR of the scaling JSON; an empty object until it is there.
  auto entry = [&] {
    Json body = Json::parse(f.Get("/api/v1/scaling").body, nullptr, false);
    const Json::json_pointer at("/consumers/ORDERS/PROCESSOR");
    return body.is_object() && body.contains(at) && body[at].is_object() ? body[at] : Json::object();
  };
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return entry().value("desired_workers", 0) == 5; }, 10s))
      << entry().dump();

  const std::vector<std::string> pause = PauseRequest(server, "PROCESSOR");
  const bool can_pause = release >= NatsVersion{2, 11, 0};
  if (can_pause) {
    RunNatskit(pause);
  } else {
    EXPECT_THROW(RunNatskit(pause), std::exception);
  }
  RunNatskit({"pub", "--url", server.client_url(), "--subject", "orders.more", "--count", "100"});
  Json e;
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] {
        e = entry();
        return e.value("lag", 0) == 150;
      },
      10s))
      << e.dump();
  if (!can_pause) {
    // Not paused (the release cannot): the backlog asks for more workers as usual.
    ASSERT_TRUE(farrier::test::WaitUntil([&] { return entry().value("desired_workers", 0) == 15; }, 10s))
        << entry().dump();
    EXPECT_FALSE(entry().value("paused", true));
    return;
  }
  EXPECT_TRUE(e.value("paused", false)) << e.dump();
  // Held for several polls, though ceil(150 / 10) would be 15.
  ASSERT_TRUE(f.WaitForPolls(f.Metrics().Polls() + 5, 10s));
  e = entry();
  EXPECT_EQ(e.value("desired_workers", 0), 5) << e.dump();
  EXPECT_EQ(f.Metrics().Value("nats_consumer_desired_workers", {{"stream", "ORDERS"}, {"consumer", "PROCESSOR"}}), 5);

  // Resumed (a pause_until in the past): the backlog counts again.
  RunNatskit(PauseRequest(server, "PROCESSOR", /*resume=*/true));
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return entry().value("desired_workers", 0) == 15; }, 10s))
      << entry().dump();
  EXPECT_FALSE(entry().value("paused", true));
}

// ------------------------------------------------------------------------ /varz additions

// Each field a release added is exported equal to the server's own value where the server
// prints it, and absent where it does not. The server is idle, so these do not move.
TEST(Releases, AddedVarzFieldsEqualTheServersOwnWhereItHasThem) {
  farrier::test::TempDir dir("farrier-releases-tls");
  farrier::test::MakeTestPki(dir.path());
  NatsServerOptions options;
  options.extra_config = "tls {\n  cert_file: \"" + (dir.path() / "server.pem").string() + "\"\n  key_file: \"" +
                         (dir.path() / "server.key").string() + "\"\n}\n";
  NatsServer server(options);
  Farrier f(FarrierArgs(server));
  Scrape last;
  auto s = f.WaitFor([](const Scrape& s) { return s.NatsUp(); }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe();
  Json varz = MonitorJson(server, "/varz");

  struct Field {
    const char* json;  // top-level /varz field
    const char* metric;
  };
  for (const Field& field : {Field{"stale_connections", "nats_server_stale_connections_total"},
                             Field{"stalled_clients", "nats_server_stalled_clients_total"},
                             Field{"in_client_msgs", "nats_server_client_messages_received_total"},
                             Field{"out_client_bytes", "nats_server_client_bytes_sent_total"}}) {
    SCOPED_TRACE(field.json);
    if (varz.contains(field.json)) {
      EXPECT_EQ(s->Value(field.metric), varz.at(field.json).get<double>());
    } else {
      EXPECT_FALSE(s->Has(field.metric));
    }
  }
  if (varz.contains("slow_consumer_stats")) {
    EXPECT_EQ(s->Value("nats_server_slow_consumers_by_kind_total", {{"kind", "leafnode"}}),
              varz["slow_consumer_stats"].at("leafs").get<double>());
    EXPECT_EQ(s->metrics->SamplesOf("nats_server_slow_consumers_by_kind_total").size(), 4u);
  } else {
    EXPECT_FALSE(s->Has("nats_server_slow_consumers_by_kind_total"));
  }
  if (varz.contains("config_digest")) {
    EXPECT_EQ(s->Value("nats_server_config_info", {{"digest", varz["config_digest"].get<std::string>()}}), 1.0)
        << s->Describe();
  } else {
    EXPECT_FALSE(s->Has("nats_server_config_info"));
  }
  // The certificate farrier reports is the one the server loaded: MakeTestPki's, two days.
  if (varz.contains("tls_cert_not_after")) {
    auto expiry = s->Value("nats_server_tls_cert_not_after_timestamp_seconds", {{"listener", "client"}});
    ASSERT_TRUE(expiry) << s->Describe();
    double in = *expiry - static_cast<double>(std::time(nullptr));
    EXPECT_GT(in, 86400.0);
    EXPECT_LT(in, 3 * 86400.0);
    EXPECT_EQ(s->metrics->SamplesOf("nats_server_tls_cert_not_after_timestamp_seconds").size(), 1u)
        << "only the client listener has a certificate";
  } else {
    EXPECT_FALSE(s->Has("nats_server_tls_cert_not_after_timestamp_seconds"));
  }
}

}  // namespace
}  // namespace farrier::itest
