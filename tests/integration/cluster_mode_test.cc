// Cluster mode (--nats.system-account): one farrier polls every server of a real 3-node cluster
// over $SYS requests as a system-account user. Every server's series carry its server_name and
// cluster and equal what that server's own HTTP monitoring port says; a server that stops
// answering has nats_up 0 within two polls and no other series, the others are unaffected; wrong
// credentials and a user outside the system account are said clearly, once.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "support/nats_server.h"
#include "support/prometheus_server.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

using farrier::test::NatsServer;
using farrier::test::NatsServerOptions;

// `monitor` is the least-privileged user cluster mode works with (docs/cluster-mode.md): it may
// publish only the requests farrier sends and subscribe only to its inboxes. `denied` is in the
// system account but may publish nothing there. The system account imports APP's api.echo, so
// that a farrier logged in as `sys` can probe it too (the capacity test).
constexpr char kAccounts[] =
    "accounts {\n"
    "  SYS { users = [\n"
    "    { user: sys, password: sys-pw-3d1e }\n"
    "    { user: monitor, password: mon-pw-51ab, permissions: {\n"
    "        publish: { allow: [\"$SYS.REQ.SERVER.PING.STATSZ\", \"$SYS.REQ.SERVER.*.VARZ\",\n"
    "                           \"$SYS.REQ.SERVER.*.CONNZ\", \"$SYS.REQ.SERVER.*.ROUTEZ\",\n"
    "                           \"$SYS.REQ.SERVER.*.SUBSZ\", \"$SYS.REQ.SERVER.*.JSZ\",\n"
    "                           \"$SYS.REQ.SERVER.*.HEALTHZ\", \"$SYS.REQ.SERVER.*.LEAFZ\",\n"
    "                           \"$SYS.REQ.SERVER.*.GATEWAYZ\", \"$SYS.REQ.SERVER.*.RAFTZ\"] }\n"
    "        subscribe: { allow: [\"_INBOX.>\"] } } }\n"
    "    { user: denied, password: den-pw-0c9f, permissions: { publish: { deny: [\">\"] } } }\n"
    "    ]\n"
    "    imports: [ { service: { account: APP, subject: api.echo } } ]\n"
    "  }\n"
    "  APP { users = [ { user: app, password: app-pw-77c2 } ], exports: [ { service: api.echo } ] }\n"
    "}\n"
    "system_account: SYS\n"
    "no_auth_user: app\n";  // natskit's connections, which take no credentials

class ClusterMode : public ::testing::Test {
 protected:
  void SetUp() override { StartNodes(false); }
  void StartNodes(bool jetstream) {
    std::string accounts = kAccounts;
    // APP gets JetStream (an account of a config file has none unless it says so).
    if (jetstream) accounts.replace(accounts.find("  APP { "), 8, "  APP { jetstream: enabled, ");
    NatsServerOptions base{.name = "node", .cluster_name = "east", .extra_config = accounts};
    if (jetstream) base.js_domain = "core";  // cluster mode labels the servers' series with it
    servers_ = farrier::test::StartCluster(3, jetstream, base);
  }

  // farrier in cluster mode against node 1 as `user`, polling every 500 ms.
  std::unique_ptr<Farrier> StartFarrier(const std::string& user, const std::string& password,
                                        std::vector<std::string> extra = {}) {
    const std::filesystem::path pw = dir_.path() / (user + ".pw");
    std::ofstream(pw) << password << "\n";
    std::vector<std::string> args{"--nats.system-account",
                                  "--nats.url",
                                  servers_[0]->client_url(),
                                  "--nats.user",
                                  user,
                                  "--nats.password-file",
                                  pw.string(),
                                  "--poll.interval",
                                  "500ms",
                                  "--poll.timeout",
                                  "450ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<Farrier>(args);
  }

  static PromLabels Of(const NatsServer& s) { return {{"server_name", s.name()}, {"cluster", "east"}}; }
  static PromLabels Of(const NatsServer& s, PromLabels more) {
    more.merge(Of(s));
    return more;
  }

  std::vector<std::unique_ptr<NatsServer>> servers_;
  farrier::test::TempDir dir_{"farrier-cluster-mode"};
};

// Client connections spread unevenly (3 on node 2, 1 on node 3, farrier's own on node 1): each
// server's connection count, routes and identity equal its own /varz and /connz.
TEST_F(ClusterMode, EveryServersValuesEqualItsOwnHttpAnswers) {
  auto on2 = StartNatskit({"idle-conns", "--url", servers_[1]->client_url(), "--count", "3", "--subs", "2"}, "ready 3");
  auto on3 = StartNatskit({"idle-conns", "--url", servers_[2]->client_url(), "--count", "1", "--subs", "1"}, "ready 1");
  // The least-privileged user; the default collectors' requests are all it may send.
  auto f = StartFarrier("monitor", "mon-pw-51ab", {"--cluster.expected-servers", "3"});
  // Route pools (2.10+) may still be filling when the cluster is healthy: wait for all of them.
  std::vector<int> routes;
  for (const auto& node : servers_) routes.push_back(farrier::test::ExpectedRouteConnections(*node, 2));
  Scrape last;
  ASSERT_TRUE(f->WaitFor(
      [&](const Scrape& s) {
        for (size_t i = 0; i < servers_.size(); ++i) {
          if (s.Value("nats_up", Of(*servers_[i])) != 1.0) return false;
          if (s.Value("nats_server_routes", Of(*servers_[i])) != routes[i]) return false;
        }
        return s.Value("nats_exporter_servers_answered") == 3.0;
      },
      15s, &last))
      << last.Describe() << f->Stderr();
  EXPECT_EQ(last.Value("nats_exporter_servers_expected"), 3.0);
  EXPECT_FALSE(last.Value("nats_up").has_value()) << "no unlabelled nats_up in cluster mode";

  for (const auto& node : servers_) {
    SCOPED_TRACE(node->name());
    Json varz = MonitorJson(*node, "/varz");
    Json connz = MonitorJson(*node, "/connz");
    EXPECT_EQ(last.Value("nats_server_info", Of(*node, {{"server_id", varz["server_id"].get<std::string>()},
                                                        {"version", varz["version"].get<std::string>()}})),
              1.0)
        << last.Describe();
    EXPECT_EQ(last.Number("nats_server_routes", Of(*node)), varz["routes"].get<double>());
    EXPECT_EQ(last.Number("nats_connz_connections", Of(*node, {{"kind", "client"}})), connz["total"].get<double>());
    EXPECT_EQ(last.Number("nats_server_healthy", Of(*node)), 1.0);
  }
  EXPECT_EQ(last.Number("nats_connz_connections", Of(*servers_[1], {{"kind", "client"}})), 3.0);
  EXPECT_EQ(last.Number("nats_connz_connections", Of(*servers_[2], {{"kind", "client"}})), 1.0);
  EXPECT_EQ(f->Stderr().find("Permissions Violation"), std::string::npos) << f->Stderr();

  // The status page lists every server with its version and client connections, as /varz says.
  std::string page = f->Get("/").body;
  EXPECT_NE(page.find("3 server(s) answered the last discovery of 3 expected"), std::string::npos) << page;
  for (const auto& node : servers_) {
    Json varz = MonitorJson(*node, "/varz");
    EXPECT_NE(page.find("<tr data-server=\"" + node->name() + "\"><td>" + node->name() + "</td><td>" +
                        varz["cluster"]["name"].get<std::string>() + "</td><td>" + varz["version"].get<std::string>() +
                        "</td><td class=\"up\">up</td><td><span class=\"fig\">" +
                        std::to_string(varz["connections"].get<int>()) + "</span>"),
              std::string::npos)
        << page;
  }
  EXPECT_EQ(ExpectFamiliesDocumented(last, "nats_exporter_servers_"), 3);
}

// One server SIGSTOPped: its nats_up is 0 within two polls and it has no other series, the
// other two keep theirs; resumed, it is back, and its answers to the pings it missed are
// counted as late. Killed, the same; restarted, back.
TEST_F(ClusterMode, AServerThatStopsAnsweringIsDownAloneAndComesBack) {
  auto f = StartFarrier("sys", "sys-pw-3d1e");
  NatsServer& paused = *servers_[2];
  auto all_up = [&](const Scrape& s) {
    for (const auto& node : servers_) {
      if (s.Value("nats_up", Of(*node)) != 1.0) return false;
    }
    return true;
  };
  Scrape last;
  ASSERT_TRUE(f->WaitFor(all_up, 15s, &last)) << last.Describe() << f->Stderr();

  paused.Pause();
  const double polls = last.Polls();
  ASSERT_TRUE(f->WaitFor([&](const Scrape& s) { return s.Value("nats_up", Of(paused)) == 0.0; }, 10s, &last))
      << last.Describe();
  EXPECT_LE(last.Polls() - polls, 2.0) << "nats_up 0 only after more than two polls";
  EXPECT_EQ(last.Value("nats_exporter_servers_answered"), 2.0);
  EXPECT_FALSE(last.Value("nats_server_info", Of(paused)).has_value());
  EXPECT_FALSE(last.Value("nats_server_connections", Of(paused)).has_value()) << "a silent server's series stay";
  for (int i : {0, 1}) EXPECT_EQ(last.Value("nats_up", Of(*servers_[i])), 1.0) << last.Describe();
  std::string page = f->Get("/").body;
  std::string row = page.substr(page.find("<tr data-server=\"" + paused.name() + "\">"));
  EXPECT_NE(row.substr(0, row.find("</tr>")).find("not answering, last seen"), std::string::npos) << page;

  paused.Resume();
  ASSERT_TRUE(f->WaitFor(all_up, 10s, &last)) << last.Describe();
  EXPECT_GT(last.Number("nats_exporter_servers_late_replies_total"), 0.0);

  servers_[1]->Kill();
  ASSERT_TRUE(f->WaitFor([&](const Scrape& s) { return s.Value("nats_up", Of(*servers_[1])) == 0.0; }, 10s, &last))
      << last.Describe();
  EXPECT_EQ(last.Value("nats_up", Of(*servers_[0])), 1.0);
  servers_[1]->Restart();
  ASSERT_TRUE(f->WaitFor(all_up, 20s, &last)) << last.Describe() << f->Stderr();

  const std::string log = f->Stderr();
  EXPECT_NE(log.find("server " + paused.name() + " (id "), std::string::npos) << log;
  EXPECT_NE(log.find("did not answer discovery"), std::string::npos) << log;
}

// Wrong system-account password: refused, said once, farrier keeps serving with no server
// series. A user of another account: told that cluster mode needs a system-account user.
TEST_F(ClusterMode, WrongCredentialsAndAUserOutsideTheSystemAccountAreSaidClearly) {
  auto wrong = StartFarrier("sys", "not-the-password");
  auto app = StartFarrier("app", "app-pw-77c2");
  auto denied = StartFarrier("denied", "den-pw-0c9f");
  Scrape last;
  ASSERT_TRUE(wrong->WaitForPolls(3, 10s)) << wrong->Stderr();
  last = wrong->Metrics();
  EXPECT_EQ(last.Value("nats_exporter_servers_answered"), 0.0) << last.Describe();
  EXPECT_FALSE(last.Has("nats_server_info"));
  EXPECT_EQ(wrong->Get("/healthz").status, 200);
  EXPECT_NE(wrong->Stderr().find("Authorization Violation"), std::string::npos) << wrong->Stderr();
  EXPECT_EQ(wrong->Stderr().find("not-the-password"), std::string::npos);

  ASSERT_TRUE(app->WaitForPolls(3, 10s)) << app->Stderr();
  last = app->Metrics();
  EXPECT_EQ(last.Value("nats_exporter_servers_answered"), 0.0) << last.Describe();
  EXPECT_GT(last.Errors("varz", "connect"), 0.0) << last.Describe();
  const std::string log = app->Stderr();
  const std::string why = "cluster mode needs a user of the system account";
  size_t n = 0;
  for (size_t at = log.find(why); at != std::string::npos; at = log.find(why, at + 1)) ++n;
  EXPECT_EQ(n, 1u) << "said once, not per poll:\n" << log;

  // In the system account but not allowed to publish there: the server's refusal is in the log.
  ASSERT_TRUE(denied->WaitForPolls(3, 10s)) << denied->Stderr();
  EXPECT_EQ(denied->Metrics().Value("nats_exporter_servers_answered"), 0.0);
  EXPECT_NE(denied->Stderr().find("Permissions Violation for Publish to \"$SYS.REQ.SERVER.PING.STATSZ\""),
            std::string::npos)
      << denied->Stderr();
  const std::string denied_log = denied->Stderr();
  size_t refusals = 0;
  for (size_t at = denied_log.find("asynchronous error"); at != std::string::npos;
       at = denied_log.find("asynchronous error", at + 1)) {
    ++refusals;
  }
  EXPECT_EQ(refusals, 1u) << "a refusal repeated at every poll is logged once:\n" << denied_log;
}

// SIGTERM while the server farrier is connected to hangs (SIGSTOP): discovery waits for answers
// that cannot come until its third of the poll timeout (about 2 s here), yet farrier exits within
// a second, as in the sidecar mode (Shutdown.*). Client behaviour, so not in the release matrix.
TEST(ClusterModeShutdown, SigtermWhileTheConnectedServerHangsExitsWithinOneSecond) {
  NatsServer server({.name = "stalled-1", .extra_config = kAccounts});
  farrier::test::TempDir dir("farrier-cluster-shutdown");
  std::ofstream(dir.path() / "sys.pw") << "sys-pw-3d1e\n";
  Farrier f({"--nats.system-account", "--nats.url", server.client_url(), "--nats.user", "sys", "--nats.password-file",
             (dir.path() / "sys.pw").string(), "--poll.interval", "6s", "--poll.timeout", "5900ms"});
  Scrape last;
  ASSERT_TRUE(f.WaitFor([&](const Scrape& s) { return s.Value("nats_exporter_servers_answered") == 1.0; }, 10s, &last))
      << last.Describe();
  // Just after a poll ends, pause the server before the next one starts.
  const double polls = last.Polls();
  ASSERT_TRUE(f.WaitFor([&](const Scrape& s) { return s.Polls() > polls; }, 10s, &last, 5ms));
  std::this_thread::sleep_for(5500ms);
  server.Pause();
  std::this_thread::sleep_for(900ms);  // the next poll started 6 s after the last, and waits
  const Farrier::Stopped stopped = f.Terminate();
  server.Resume();
  EXPECT_EQ(stopped.code, 0) << f.Stderr();
  EXPECT_LT(stopped.took, 1s) << "shutdown took " << stopped.took.count() << " s\n" << f.Stderr();
}

// A queue-group pool spread unevenly (2 workers on node 1, 1 on node 2, none on node 3, where the
// load enters). A sidecar per node sees its part; one farrier in cluster mode sees every part
// and answers for the pool: 3 workers, the whole load, and the desired count the sidecars' sum
// gives (each part sized for its own server's traffic, then added up: docs/capacity.md).
TEST_F(ClusterMode, OnePoolAnswerEqualsTheSumOfTheSidecars) {
  std::vector<std::unique_ptr<ChildProcess>> workers;
  for (int node : {0, 0, 1}) {
    workers.push_back(std::make_unique<ChildProcess>(std::vector<std::string>{
        FARRIER_SAMPLE_WORKER, "--url", servers_[node]->client_url(), "--subject", "api.echo", "--queue", "workers",
        "--concurrency", "2", "--service-time", "20ms"}));
    ASSERT_TRUE(workers.back()->WaitForOutput("ready", 10s)) << workers.back()->ReadStderr();
  }
  const Json service{{"name", "echo"},          {"subject", "api.echo"}, {"queue_group", "workers"},
                     {"worker_concurrency", 2}, {"min_workers", 0},      {"probe", {{"interval", "1s"}}}};
  auto start = [&](const std::string& name, Json nats) {
    std::filesystem::path file = dir_.path() / (name + ".json");
    std::ofstream(file) << Json{{"nats", nats}, {"services", {service}}}.dump();
    return std::make_unique<Farrier>(std::vector<std::string>{"--config", file.string(), "--poll.interval", "500ms",
                                                              "--poll.timeout", "450ms", "--scaling.window", "6s"});
  };
  std::ofstream(dir_.path() / "sys.pw") << "sys-pw-3d1e\n";
  auto cluster = start("cluster", {{"url", servers_[0]->client_url()},
                                   {"user", "sys"},
                                   {"password_file", (dir_.path() / "sys.pw").string()},
                                   {"system_account", true}});
  std::vector<std::unique_ptr<Farrier>> sidecars;
  for (size_t i = 0; i < servers_.size(); ++i) {
    sidecars.push_back(start("sidecar-" + std::to_string(i),
                             {{"url", servers_[i]->client_url()}, {"monitor_url", servers_[i]->monitor_url()}}));
  }
  ChildProcess load(std::vector<std::string>{FARRIER_LOADGEN, "--url", servers_[2]->client_url(), "--subject",
                                             "api.echo", "--rate", "60", "--duration", "14s", "--timeout", "1s",
                                             "--arrivals", "poisson"});
  std::this_thread::sleep_for(11s);  // the 6 s windows full of load
  const PromLabels echo{{"service", "echo"}};
  Scrape pool = cluster->Metrics();
  double workers_sum = 0, rate_sum = 0, demand_sum = 0, desired_sum = 0;
  for (auto& f : sidecars) {
    Scrape s = f->Metrics();
    workers_sum += s.Number("nats_service_workers", echo);
    rate_sum += s.Number("nats_service_arrival_rate", echo);
    demand_sum += s.Number("nats_service_demand_workers", echo);
    desired_sum += s.Number("nats_service_desired_workers", echo);
  }
  EXPECT_EQ(workers_sum, 3.0);
  EXPECT_EQ(pool.Value("nats_service_workers", echo), 3.0) << pool.Describe();
  // The same load: the sidecars' rates include two more probes (one each) than cluster mode's.
  EXPECT_NEAR(pool.Number("nats_service_arrival_rate", echo), rate_sum - 2, rate_sum * 0.1);
  EXPECT_NEAR(pool.Number("nats_service_demand_workers", echo), demand_sum, demand_sum * 0.15);
  // 61/s x ~20 ms over 3 workers x 2 slots.
  EXPECT_NEAR(pool.Number("nats_service_utilization_ratio", echo), 61 * 0.0205 / 6, 0.05);
  // Each part is rounded up on its own, from its own window, and the probes differ (one prober
  // here, one per sidecar there, landing on different servers): a worker or two apart. A pooled
  // answer would differ by design, and is what capacity/pool_sum.h (PoolSum.*) rules out.
  EXPECT_NEAR(pool.Number("nats_service_desired_workers", echo), desired_sum, std::max(2.0, 0.2 * desired_sum))
      << "the pool's answer and the sum of the sidecars' answers";
  std::cout << "cluster mode: workers " << pool.Number("nats_service_workers", echo) << ", rate "
            << pool.Number("nats_service_arrival_rate", echo) << "/s, desired "
            << pool.Number("nats_service_desired_workers", echo) << "; sidecars: workers " << workers_sum << ", rate "
            << rate_sum << "/s, desired " << desired_sum << "\n";
  HttpResponse r = cluster->Get("/api/v1/scaling/services/echo");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["current_workers"], 3) << r.body;
  EXPECT_EQ(load.WaitExit(30s), 0);
}

// The probing connection with credentials of its own (--nats.probe.*): the system account does
// not import api.plain, so a farrier probing as `sys` hears "no responders"; one that polls as
// the least-privileged `monitor` and probes as APP's `app` gets every probe answered, and polls
// every server as before.
TEST_F(ClusterMode, ProbesUseTheirOwnCredentialsWithoutAnImport) {
  ChildProcess worker(std::vector<std::string>{FARRIER_SAMPLE_WORKER, "--url", servers_[1]->client_url(), "--subject",
                                               "api.plain", "--queue", "workers", "--service-time", "1ms"});
  ASSERT_TRUE(worker.WaitForOutput("ready", 10s)) << worker.ReadStderr();
  std::ofstream(dir_.path() / "app.pw") << "app-pw-77c2\n";
  const std::string services = (dir_.path() / "services.json").string();
  std::ofstream(services)
      << Json{{"services", {{{"name", "plain"}, {"subject", "api.plain"}, {"probe", {{"interval", "200ms"}}}}}}}.dump();
  auto as_sys = StartFarrier("sys", "sys-pw-3d1e", {"--config", services});
  auto own = StartFarrier("monitor", "mon-pw-51ab",
                          {"--config", services, "--nats.probe.user", "app", "--nats.probe.password-file",
                           (dir_.path() / "app.pw").string(), "--cluster.expected-servers", "3"});
  const PromLabels plain{{"service", "plain"}};
  Scrape last;
  EXPECT_TRUE(as_sys->WaitFor(
      [&](const Scrape& s) {
        return s.Number("nats_service_probe_failures_total", {{"service", "plain"}, {"reason", "no_responders"}}) >= 3;
      },
      10s, &last))
      << last.Describe() << as_sys->Stderr();
  ASSERT_TRUE(own->WaitFor(
      [&](const Scrape& s) {
        return s.Number("nats_service_probes_total", plain) >= 5 && s.Value("nats_exporter_servers_answered") == 3.0;
      },
      10s, &last))
      << last.Describe() << own->Stderr();
  EXPECT_EQ(last.Number("nats_service_probe_up", plain), 1.0);
  for (const char* reason : {"no_responders", "timeout", "error"}) {
    EXPECT_EQ(last.Number("nats_service_probe_failures_total", {{"service", "plain"}, {"reason", reason}}), 0.0)
        << reason;
  }
  for (const auto& node : servers_) EXPECT_EQ(last.Number("nats_up", Of(*node)), 1.0) << node->name();
  // Farrier's probing connection is logged in as `app` (its polling one as `monitor`).
  Json connz = MonitorJson(*servers_[0], "/connz?auth=true");
  bool app_probe = false;
  for (const Json& c : connz["connections"]) {
    app_probe = app_probe || (c.value("name", "") == "farrier" && c.value("authorized_user", "") == "app");
  }
  EXPECT_TRUE(app_probe) << connz.dump();
  EXPECT_EQ(own->Stderr().find("app-pw-77c2"), std::string::npos);
  EXPECT_EQ(own->Stderr().find("Permissions Violation"), std::string::npos) << own->Stderr();
}

// What docs/cluster-mode.md tells Prometheus users: a server's series get its name as `instance`,
// so the rules, alerts and dashboards written for sidecars (one target per server) work as they
// are. A real Prometheus with the shipped rules: route counts and expected peers per server, and
// NatsServerDown for the paused server alone.
TEST_F(ClusterMode, ShippedRulesAndAlertsWorkPerServerWithServerNameAsInstance) {
  auto f = StartFarrier("sys", "sys-pw-3d1e", {"--cluster.expected-servers", "3"});
  farrier::test::PrometheusServer prometheus(
      {.targets = {"127.0.0.1:" + std::to_string(f->port())},
       .scrape_interval = 500ms,
       .evaluation_interval = 500ms,
       .rule_files = {SourceDir() / "alerts" / "nats.rules.yml", SourceDir() / "alerts" / "nats.alerts.yml"},
       .metric_relabel_configs = "- source_labels: [server_name]\n  regex: (.+)\n  target_label: instance\n"});
  auto per_server = [&](const std::string& query, double want) {
    auto r = prometheus.Query(query);
    if (!r || r->size() != servers_.size()) return false;
    std::set<std::string> instances;
    for (const auto& sample : *r) {
      if (sample.value != want) return false;
      instances.insert(sample.labels.at("instance"));
    }
    return instances == std::set<std::string>{servers_[0]->name(), servers_[1]->name(), servers_[2]->name()};
  };
  EXPECT_TRUE(farrier::test::WaitUntil([&] { return per_server("nats_up", 1); }, 20s)) << prometheus.LogTail();
  EXPECT_TRUE(farrier::test::WaitUntil([&] { return per_server("instance:nats_route_remotes:count", 2); }, 20s));
  EXPECT_TRUE(farrier::test::WaitUntil([&] { return per_server("instance:nats_cluster_peers_expected:max", 2); }, 20s))
      << prometheus.Query("instance:nats_cluster_peers_expected:max")
             .value_or(std::vector<farrier::test::QuerySample>{})
             .size();

  servers_[2]->Pause();
  EXPECT_TRUE(farrier::test::WaitUntil([&] { return prometheus.Alerts().count("NatsServerDown") > 0; }, 20s));
  auto down = prometheus.Query("ALERTS{alertname=\"NatsServerDown\"}");
  ASSERT_TRUE(down);
  ASSERT_EQ(down->size(), 1u);
  EXPECT_EQ(down->front().labels.at("instance"), servers_[2]->name());
  servers_[2]->Resume();
}

// 10,000 client connections on one server, read over $SYS in pages of 1,024 (cluster mode's
// most): the count is exact, as over HTTP.
TEST(ClusterModeBig, TenThousandConnectionsOnOneServerArePagedExactly) {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_max < 10500) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << files.rlim_max << " < 10,500";
  NatsServer server({.name = "big-1", .extra_config = kAccounts});
  const int kIdle = 10000;
  auto idle = StartNatskit({"idle-conns", "--url", server.client_url(), "--count", std::to_string(kIdle), "--subs",
                            "1"},
                           "ready " + std::to_string(kIdle), 120s);
  farrier::test::TempDir dir("farrier-cluster-big");
  std::ofstream(dir.path() / "sys.pw") << "sys-pw-3d1e\n";
  Farrier f({"--nats.system-account", "--nats.url", server.client_url(), "--nats.user", "sys", "--nats.password-file",
             (dir.path() / "sys.pw").string(), "--cluster.expected-servers", "1", "--poll.interval", "2s",
             "--poll.timeout", "1500ms"});
  const PromLabels at{{"server_name", "big-1"}, {"cluster", ""}};
  PromLabels clients = at;
  clients["kind"] = "client";
  Scrape last;
  // The idle connections and farrier's own.
  ASSERT_TRUE(f.WaitFor([&](const Scrape& s) { return s.Value("nats_connz_connections", clients) == kIdle + 1; }, 30s,
                        &last))
      << last.Describe() << f.Stderr();
  EXPECT_EQ(MonitorJson(server, "/connz?limit=1")["total"].get<double>(), kIdle + 1);
  // Pages of 1,024 in cluster mode (each a NATS message, kept inside the max payload).
  EXPECT_EQ(last.Value("nats_exporter_connz_pages", at), 10.0);
}

// The shipped example's NATS authorization (deploy/kubernetes/farrier-nats-auth.secret.yaml,
// its auth.conf) on a real server, the placeholder hash replaced: its least-privileged
// farrier-sys reads every default source and leafz and gatewayz in cluster mode, and the server
// refuses none of farrier's requests.
TEST(ClusterModeDeploy, TheShippedSystemUserMaySendEveryRequestFarrierSends) {
  std::ifstream in(SourceDir() / "deploy" / "kubernetes" / "farrier-nats-auth.secret.yaml");
  ASSERT_TRUE(in);
  std::string auth;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "  auth.conf: |") {
      inside = true;
    } else if (inside) {
      if (!line.empty() && line.rfind("    ", 0) != 0) break;
      auth += (line.size() > 4 ? line.substr(4) : "") + "\n";
    }
  }
  const std::string placeholder = "REPLACE-ME-with-the-bcrypt-hash-of-the-system-password";
  ASSERT_NE(auth.find(placeholder), std::string::npos) << auth;
  // bcrypt of "sys-secret-9f2e" at cost 10 (libxcrypt's crypt_rn, as htpasswd -nbBC 10 makes it).
  auth.replace(auth.find(placeholder), placeholder.size(),
               "$2a$10$PkDwakjjag3SXVLyJjLfZ.JE/DSdmNtbAW2Y4Qoihqg37yqiTwMWe");
  NatsServer server({.name = "example-1", .extra_config = auth});
  farrier::test::TempDir dir("farrier-cluster-deploy");
  std::ofstream(dir.path() / "sys.pw") << "sys-secret-9f2e\n";
  Farrier f({"--nats.system-account", "--nats.url", server.client_url(), "--nats.user", "farrier-sys",
             "--nats.password-file", (dir.path() / "sys.pw").string(), "--collector.leafz", "--collector.gatewayz",
             "--cluster.expected-servers", "1", "--poll.interval", "500ms", "--poll.timeout", "450ms"});
  const std::vector<std::string> sources{"varz", "connz", "routez", "subsz", "jsz", "healthz", "leafz", "gatewayz"};
  Scrape last;
  EXPECT_TRUE(f.WaitFor(
      [&](const Scrape& s) {
        for (const std::string& source : sources) {
          if (s.Value("nats_exporter_source_up", {{"server_name", "example-1"}, {"cluster", ""}, {"source", source}}) !=
              1.0) {
            return false;
          }
        }
        return true;
      },
      15s, &last))
      << last.Describe() << f.Stderr();
  EXPECT_EQ(f.Stderr().find("Permissions Violation"), std::string::npos) << f.Stderr();
}

// A super-cluster: clusters "east" and "west" (one server each) joined by gateways. Farrier,
// connected to west, finds east through the gateway and labels each server with its cluster.
TEST(ClusterModeSuper, ServersBehindAGatewayAreFoundAndLabelledWithTheirCluster) {
  std::string accounts = kAccounts;
  NatsServer east({.name = "east-1", .extra_config = accounts + "gateway { name: east, listen: \"127.0.0.1:-1\" }\n"});
  int gateway_port = 0;
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] {
        return (gateway_port = farrier::test::LoggedPort(east.Log(), "Listening for gateways connections on")) > 0;
      },
      5s))
      << east.LogTail();
  NatsServer west({.name = "west-1",
                   .extra_config = accounts +
                                   "gateway { name: west, listen: \"127.0.0.1:-1\", gateways: [ { name: east, "
                                   "url: \"nats://127.0.0.1:" +
                                   std::to_string(gateway_port) + "\" } ] }\n"});
  farrier::test::TempDir dir("farrier-super-cluster");
  std::ofstream(dir.path() / "sys.pw") << "sys-pw-3d1e\n";
  Farrier f({"--nats.system-account", "--nats.url", west.client_url(), "--nats.user", "sys", "--nats.password-file",
             (dir.path() / "sys.pw").string(), "--collector.gatewayz", "--cluster.expected-servers", "2",
             "--poll.interval", "500ms", "--poll.timeout", "450ms"});
  const PromLabels at_east{{"server_name", "east-1"}, {"cluster", "east"}};
  const PromLabels at_west{{"server_name", "west-1"}, {"cluster", "west"}};
  Scrape last;
  ASSERT_TRUE(f.WaitFor(
      [&](const Scrape& s) {
        return s.Value("nats_up", at_east) == 1.0 && s.Value("nats_up", at_west) == 1.0 &&
               s.Value("nats_gatewayz_info", {{"server_name", "east-1"}, {"cluster", "east"}, {"name", "east"}}) == 1.0;
      },
      20s, &last))
      << last.Describe() << f.Stderr() << east.LogTail() << west.LogTail();
  EXPECT_EQ(last.Value("nats_exporter_servers_answered"), 2.0);
  EXPECT_EQ(last.Value("nats_gatewayz_info", {{"server_name", "west-1"}, {"cluster", "west"}, {"name", "west"}}), 1.0);
}

class ClusterModeJs : public ClusterMode {
 protected:
  void SetUp() override { StartNodes(true); }
};

// An R3 stream's durable consumer (50 messages, 10 fetched and not acked): cluster mode reads its
// lag from the server that leads it (40 pending + 10 ack pending = 50; the followers' /jsz say
// 50 + 0) and sizes it once (lag_threshold 10 -> 5), one answer for KEDA. The servers are in
// JetStream domain "core": their series say so.
TEST_F(ClusterModeJs, ConsumerLagComesFromItsLeader) {
  RunNatskit({"js-setup", "--url", servers_[0]->client_url(), "--stream", "ORDERS", "--subjects", "orders.>",
              "--storage", "memory", "--replicas", "3", "--publish", "50", "--consumer", "worker", "--fetch", "10"});
  std::ofstream(dir_.path() / "sys.pw") << "sys-pw-3d1e\n";
  std::ofstream(dir_.path() / "consumers.json")
      << Json{{"nats",
               {{"url", servers_[1]->client_url()},
                {"user", "sys"},
                {"password_file", (dir_.path() / "sys.pw").string()},
                {"system_account", true}}},
              {"consumers", {{{"stream", "ORDERS"}, {"consumer", "worker"}, {"lag_threshold", 10}}}}}
             .dump();
  Farrier f({"--config", (dir_.path() / "consumers.json").string(), "--poll.interval", "300ms", "--poll.timeout",
             "250ms", "--cluster.expected-servers", "3"});
  const PromLabels labels{{"stream", "ORDERS"}, {"consumer", "worker"}};
  Scrape last;
  auto every_server_up = [&](const Scrape& s) {
    for (const auto& node : servers_) {
      if (s.Value("nats_up", {{"server_name", node->name()}, {"cluster", "east"}, {"domain", "core"}}) != 1.0) {
        return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(f.WaitFor(
      [&](const Scrape& s) { return s.Value("nats_consumer_desired_workers", labels) == 5.0 && every_server_up(s); },
      15s, &last))
      << last.Describe() << f.Stderr();
  EXPECT_EQ(last.Value("nats_consumer_lag", labels), 50.0);
  EXPECT_EQ(last.Value("nats_consumer_scaling_leader", labels), 1.0);

  HttpResponse r = f.Get("/api/v1/scaling");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["consumers"]["ORDERS"]["worker"]["lag"], 50) << r.body;
}

}  // namespace
}  // namespace farrier::itest
