// Farrier's numbers against the server's own monitoring endpoints, read around the scrape.
//
// The server is idle apart from farrier's own HTTP polls, which create no NATS traffic, so
// its gauges should not move; counters can only grow. Each comparison therefore reads the
// server before and after the poll whose snapshot is scraped ("sandwich"): a gauge must equal
// both reads (which must agree), a counter must lie between them.
#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "harness.h"
#include "support/ports.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

// A scrape guaranteed to come from a poll that started after `mark` was read, so a server
// value read at `mark` time and another read afterwards bracket it.
Scrape ScrapeAfterFreshPoll(const Farrier& f) {
  double p0 = f.Metrics().Polls();
  // The poll that completes as p0+1 may have started before; p0+2 started after p0+1 was
  // published, i.e. after the scrape above.
  auto s = f.WaitForPolls(p0 + 2, 10s);
  if (!s) throw std::runtime_error("farrier made no new polls");
  return *s;
}

double U(const Json& j, const char* key) { return j.at(key).get<double>(); }

// The array member `key` of `j` by reference (value() would return a copy), or an empty array.
const Json& Arr(const Json& j, const char* key) {
  static const Json kEmpty = Json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

struct EphemeralSums {
  double pending = 0, ack_pending = 0, redelivered = 0, waiting = 0;
  int count = 0;
};

// Consumers of `stream` in /jsz without a durable name, summed as farrier folds them.
EphemeralSums Ephemerals(const Json& jsz, const std::string& stream) {
  EphemeralSums sums;
  for (const auto& acc : Arr(jsz, "account_details")) {
    for (const auto& s : Arr(acc, "stream_detail")) {
      if (s.value("name", "") != stream) continue;
      for (const auto& c : Arr(s, "consumer_detail")) {
        if (!c.value("config", Json::object()).value("durable_name", "").empty()) continue;
        ++sums.count;
        sums.pending += c.value("num_pending", 0.0);
        sums.ack_pending += c.value("num_ack_pending", 0.0);
        sums.redelivered += c.value("num_redelivered", 0.0);
        sums.waiting += c.value("num_waiting", 0.0);
      }
    }
  }
  return sums;
}

const Json* FindConsumer(const Json& jsz, const std::string& stream, const std::string& name) {
  for (const auto& acc : Arr(jsz, "account_details")) {
    for (const auto& s : Arr(acc, "stream_detail")) {
      if (s.value("name", "") != stream) continue;
      for (const auto& c : Arr(s, "consumer_detail")) {
        if (c.value("name", "") == name) return &c;
      }
    }
  }
  return nullptr;
}

const Json* FindStream(const Json& jsz, const std::string& stream) {
  for (const auto& acc : Arr(jsz, "account_details")) {
    for (const auto& s : Arr(acc, "stream_detail")) {
      if (s.value("name", "") == stream) return &s;
    }
  }
  return nullptr;
}

// 1. Values match the server.
TEST(Values, MatchTheServersOwnEndpoints) {
  NatsServer server({.jetstream = true});
  // Durable C: 50 messages, 10 fetched, 3 acked -> num_pending 40, num_ack_pending 7. One
  // ephemeral push consumer (held by this natskit process) that receives all 50 unacked.
  auto js = StartNatskit({"js-setup", "--url", server.client_url(), "--stream", "ORDERS", "--subjects", "orders.>",
                          "--storage", "file", "--publish", "50", "--consumer", "C", "--fetch", "10", "--ack", "3",
                          "--ephemeral", "1"},
                         "ready");
  const int kIdle = 5, kSubsEach = 2;
  auto idle = StartNatskit({"idle-conns", "--url", server.client_url(), "--count", std::to_string(kIdle), "--subs",
                            std::to_string(kSubsEach)},
                           "ready " + std::to_string(kIdle));
  // Client connections this test holds: the idle ones and js-setup's (JetStream's internal
  // clients are not client connections).
  const double kClients = kIdle + 1;

  // The ephemeral push consumer gets its 50 messages asynchronously.
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] { return Ephemerals(MonitorJson(server, kJszFull), "ORDERS").ack_pending == 50; }, 10s))
      << MonitorJson(server, kJszFull).dump(2);

  Farrier f({"--nats.monitor-url", server.monitor_url(), "--poll.interval", "300ms", "--poll.timeout", "200ms"});
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.NatsUp() && s.Has("nats_consumer_num_pending"); }, 10s))
      << f.Metrics().Describe();

  const Json varz0 = MonitorJson(server, "/varz");
  const Json connz0 = MonitorJson(server, "/connz");
  const Json jsz0 = MonitorJson(server, kJszFull);
  const Scrape s = ScrapeAfterFreshPoll(f);
  const Json varz1 = MonitorJson(server, "/varz");
  const Json connz1 = MonitorJson(server, "/connz");
  const Json jsz1 = MonitorJson(server, kJszFull);
  ASSERT_TRUE(s.ok()) << s.Describe();
  for (const char* src : {"varz", "connz", "routez", "subsz", "jsz", "healthz"}) {
    EXPECT_TRUE(s.SourceUp(src)) << src << "\n" << s.Describe();
  }

  // Identity.
  PromLabels info{{"server_id", varz0.at("server_id")},
                  {"server_name", server.name()},
                  {"version", varz0.at("version")}};
  EXPECT_EQ(s.Value("nats_server_info", info), 1.0) << s.Describe();
  EXPECT_EQ(varz0.at("server_name"), server.name());
  EXPECT_NEAR(s.Number("nats_server_start_time_seconds"), Rfc3339(varz0.at("start")), 1e-3);

  // Gauges: the server did not change them between the reads, and farrier agrees.
  auto gauge = [&](const char* metric, const char* key) {
    SCOPED_TRACE(metric);
    EXPECT_EQ(U(varz0, key), U(varz1, key)) << "server's " << key << " moved during the test";
    EXPECT_EQ(s.Value(metric), U(varz0, key));
  };
  gauge("nats_server_connections", "connections");
  gauge("nats_server_subscriptions", "subscriptions");
  gauge("nats_server_routes", "routes");
  gauge("nats_server_leafnodes", "leafnodes");
  gauge("nats_server_max_connections", "max_connections");
  gauge("nats_server_max_payload_bytes", "max_payload");
  gauge("nats_server_cores", "cores");
  EXPECT_EQ(s.Value("nats_server_connections"), kClients);

  // Counters: between the two reads.
  auto counter = [&](const char* metric, const char* key) {
    SCOPED_TRACE(metric);
    auto v = s.Value(metric);
    ASSERT_TRUE(v) << s.Describe();
    EXPECT_LE(U(varz0, key), *v);
    EXPECT_LE(*v, U(varz1, key));
  };
  counter("nats_server_messages_received_total", "in_msgs");
  counter("nats_server_messages_sent_total", "out_msgs");
  counter("nats_server_bytes_received_total", "in_bytes");
  counter("nats_server_bytes_sent_total", "out_bytes");
  counter("nats_server_connections_total", "total_connections");
  counter("nats_server_slow_consumers_total", "slow_consumers");
  // js-setup published 50 messages and made JetStream API calls: the counters are not zero.
  EXPECT_GE(s.Number("nats_server_messages_received_total"), 50);

  // /connz, every page.
  EXPECT_EQ(connz0.at("total"), connz1.at("total"));
  EXPECT_EQ(s.Value("nats_connz_connections", {{"kind", "client"}}), connz0.at("total").get<double>());
  EXPECT_EQ(s.Value("nats_connz_connections", {{"kind", "client"}}), kClients);
  double conn_subs = 0;
  for (const auto& c : connz0.at("connections")) conn_subs += c.value("subscriptions", 0.0);
  EXPECT_EQ(s.Value("nats_connz_subscriptions", {{"kind", "client"}}), conn_subs);
  EXPECT_GE(conn_subs, kIdle * kSubsEach);
  EXPECT_EQ(s.Value("nats_exporter_connz_pages"), 1.0);

  // JetStream: the stream and the durable consumer, exactly as natskit left them.
  const PromLabels orders{{"account", "$G"}, {"stream", "ORDERS"}};
  PromLabels durable = orders;
  durable["consumer"] = "C";
  EXPECT_EQ(s.Value("nats_stream_messages", orders), 50);
  EXPECT_EQ(s.Value("nats_consumer_num_pending", durable), 40) << s.Describe(20000);
  EXPECT_EQ(s.Value("nats_consumer_num_ack_pending", durable), 7);
  EXPECT_EQ(s.Value("nats_consumer_delivered_stream_seq", durable), 10);
  EXPECT_EQ(s.Value("nats_consumer_ack_floor_stream_seq", durable), 3);
  EXPECT_EQ(s.Value("nats_consumer_leader", durable), 1);
  EXPECT_EQ(s.Value("nats_stream_leader", orders), 1);
  const Json* c0 = FindConsumer(jsz0, "ORDERS", "C");
  ASSERT_NE(c0, nullptr) << jsz0.dump(2);
  EXPECT_EQ(s.Value("nats_consumer_num_pending", durable), c0->at("num_pending").get<double>());
  EXPECT_EQ(s.Value("nats_consumer_num_ack_pending", durable), c0->at("num_ack_pending").get<double>());
  const Json* st = FindStream(jsz0, "ORDERS");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(s.Value("nats_stream_bytes", orders), st->at("state").at("bytes").get<double>());
  EXPECT_EQ(s.Value("nats_stream_last_seq", orders), 50);
  EXPECT_EQ(s.Value("nats_stream_consumers", orders), 2);
  EXPECT_EQ(s.Value("nats_jetstream_streams"), 1);
  EXPECT_EQ(s.Value("nats_jetstream_consumers"), 2);
  EXPECT_EQ(s.Value("nats_jetstream_messages"), 50);
  EXPECT_EQ(s.Value("nats_jetstream_max_memory_bytes"), jsz0.at("config").at("max_memory").get<double>());
  EXPECT_EQ(s.Value("nats_jetstream_max_memory_bytes"), 256.0 * 1024 * 1024);
  EXPECT_EQ(s.Value("nats_jetstream_storage_bytes"), jsz0.at("storage").get<double>());

  // The ephemeral consumer: folded into consumer="_ephemeral" with the server's numbers, and
  // its random name appears nowhere.
  const EphemeralSums e0 = Ephemerals(jsz0, "ORDERS"), e1 = Ephemerals(jsz1, "ORDERS");
  ASSERT_EQ(e0.count, 1) << jsz0.dump(2);
  EXPECT_EQ(e0.ack_pending, e1.ack_pending);
  PromLabels folded = orders;
  folded["consumer"] = "_ephemeral";
  EXPECT_EQ(s.Value("nats_consumer_num_ack_pending", folded), e0.ack_pending) << s.Describe(20000);
  EXPECT_EQ(s.Value("nats_consumer_num_ack_pending", folded), 50);
  EXPECT_EQ(s.Value("nats_consumer_num_pending", folded), e0.pending);
  EXPECT_EQ(s.Value("nats_consumer_num_waiting", folded), e0.waiting);
  std::set<std::string> consumers;
  for (const auto& sample : s.metrics->samples()) {
    if (auto it = sample.labels.find("consumer"); it != sample.labels.end()) consumers.insert(it->second);
  }
  EXPECT_EQ(consumers, (std::set<std::string>{"C", "_ephemeral"}));
  EXPECT_EQ(s.Value("nats_exporter_jsz_series_dropped", {{"kind", "consumer"}}), 0);
}

// JetStream in a 3-node cluster: one farrier per server, value series only from the leader's
// sidecar, so the sum over sidecars counts each stream and consumer exactly once, with the
// leader's (current) numbers; every sidecar shows placement through the leader gauges.
TEST(Values, ClusterExportsEachConsumerOnceFromItsLeader) {
  auto nodes = farrier::test::StartCluster(3, /*jetstream=*/true);
  RunNatskit({"js-setup", "--url", nodes[0]->client_url(), "--stream", "JOBS", "--subjects", "jobs.>", "--storage",
              "memory", "--replicas", "3", "--publish", "50", "--consumer", "WORKERS", "--fetch", "10", "--ack", "3"});
  std::vector<std::unique_ptr<Farrier>> sidecars;
  for (auto& n : nodes) {
    sidecars.push_back(std::make_unique<Farrier>(std::vector<std::string>{
        "--nats.monitor-url", n->monitor_url(), "--poll.interval", "300ms", "--poll.timeout", "250ms"}));
  }
  const PromLabels consumer{{"stream", "JOBS"}, {"consumer", "WORKERS"}};
  const PromLabels stream{{"stream", "JOBS"}};

  // Leaders as the servers themselves report them.
  auto leader_of = [&](const Json& jsz, bool of_consumer) -> std::string {
    for (const auto& acc : Arr(jsz, "account_details")) {
      for (const auto& st : Arr(acc, "stream_detail")) {
        if (st.value("name", "") != "JOBS") continue;
        if (!of_consumer) return st.value("cluster", Json::object()).value("leader", "");
        for (const auto& c : Arr(st, "consumer_detail")) {
          if (c.value("name", "") == "WORKERS") return c.value("cluster", Json::object()).value("leader", "");
        }
      }
    }
    return "";
  };

  std::vector<Scrape> scrapes;
  std::string consumer_leader, stream_leader, why;
  bool settled = farrier::test::WaitUntil(
      [&] {
        // Every replica agrees on the leaders, and every sidecar has polled since.
        std::set<std::string> cl, sl;
        for (auto& n : nodes) {
          Json j = MonitorJson(*n, kJszFull);
          cl.insert(leader_of(j, true));
          sl.insert(leader_of(j, false));
        }
        if (cl.size() != 1 || sl.size() != 1 || cl.begin()->empty() || sl.begin()->empty()) {
          why = "replicas disagree on leaders";
          return false;
        }
        consumer_leader = *cl.begin();
        stream_leader = *sl.begin();
        scrapes.clear();
        for (auto& f : sidecars) {
          auto s = f->WaitForPolls(f->Metrics().Polls() + 2, 5s);
          if (!s || !s->SourceUp("jsz") || !s->SourceUp("varz")) {
            why = "a sidecar is not polling jsz";
            return false;
          }
          scrapes.push_back(*s);
        }
        // The leaders did not move while we scraped.
        for (auto& n : nodes) {
          Json j = MonitorJson(*n, kJszFull);
          if (leader_of(j, true) != consumer_leader || leader_of(j, false) != stream_leader) {
            why = "leaders moved";
            return false;
          }
        }
        return true;
      },
      20s, 100ms);
  ASSERT_TRUE(settled) << why;

  double pending_sum = 0, ack_pending_sum = 0, messages_sum = 0;
  int consumer_leaders = 0, stream_leaders = 0, meta_leaders = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    SCOPED_TRACE(nodes[i]->name());
    const Scrape& s = scrapes[i];
    const bool leads_consumer = nodes[i]->name() == consumer_leader;
    const bool leads_stream = nodes[i]->name() == stream_leader;
    EXPECT_EQ(s.Value("nats_consumer_leader", consumer), leads_consumer ? 1 : 0) << s.Describe(20000);
    EXPECT_EQ(s.Value("nats_stream_leader", stream), leads_stream ? 1 : 0);
    EXPECT_EQ(s.Value("nats_consumer_num_pending", consumer).has_value(), leads_consumer);
    EXPECT_EQ(s.Value("nats_stream_messages", stream).has_value(), leads_stream);
    EXPECT_EQ(s.Value("nats_jetstream_meta_cluster_size"), 3);
    consumer_leaders += s.Number("nats_consumer_leader", consumer) == 1;
    stream_leaders += s.Number("nats_stream_leader", stream) == 1;
    meta_leaders += s.Number("nats_jetstream_meta_leader") == 1;
    pending_sum += s.Number("nats_consumer_num_pending", consumer);
    ack_pending_sum += s.Number("nats_consumer_num_ack_pending", consumer);
    messages_sum += s.Number("nats_stream_messages", stream);
    // The other two replicas, as the stream leader sees them (idle and in sync), from its
    // sidecar only.
    std::set<std::string> replicas;
    for (const auto& sample : s.metrics->SamplesOf("nats_stream_replica_current", stream)) {
      replicas.insert(sample.labels.at("replica"));
      EXPECT_EQ(sample.value, 1) << sample.labels.at("replica");
    }
    std::set<std::string> others;
    for (auto& n : nodes) {
      if (n->name() != nodes[i]->name()) others.insert(n->name());
    }
    EXPECT_EQ(replicas, leads_stream ? others : std::set<std::string>{});
    // Routes as the server counts them: one series per peer (remote_name where /routez prints
    // it, else remote_id), whose connections add up to /routez num_routes (one per peer on 2.9,
    // a pool plus a $SYS route from 2.10 on).
    const Json routez = MonitorJson(*nodes[i], "/routez");
    const char* key = !Arr(routez, "routes").empty() && Arr(routez, "routes")[0].contains("remote_name") ? "remote_name"
                                                                                                         : "remote_id";
    std::map<std::string, double> per_peer;
    for (const auto& r : Arr(routez, "routes")) per_peer[r.value(key, "")] += 1;
    std::map<std::string, double> exported;
    for (const auto& sample : s.metrics->SamplesOf("nats_route_connections")) {
      ASSERT_TRUE(sample.labels.count(key)) << s.Describe(20000);
      exported[sample.labels.at(key)] = sample.value;
    }
    EXPECT_EQ(per_peer.size(), 2u) << routez.dump(2);
    EXPECT_EQ(exported, per_peer) << "nats_route_connections against /routez read after the scrape";
    EXPECT_EQ(s.Value("nats_routez_routes"), routez.at("num_routes").get<double>());
    for (const std::string& r : replicas) {
      PromLabels l{{"stream", "JOBS"}, {"replica", r}};
      EXPECT_EQ(s.Value("nats_stream_replica_lag", l), 0) << r;
      EXPECT_LT(s.Value("nats_stream_replica_last_active_seconds", l).value_or(99), 5) << r;
    }
  }
  EXPECT_EQ(consumer_leaders, 1);
  EXPECT_EQ(stream_leaders, 1);
  EXPECT_EQ(meta_leaders, 1);
  EXPECT_EQ(pending_sum, 40);
  EXPECT_EQ(ack_pending_sum, 7);
  EXPECT_EQ(messages_sum, 50);
}

// 2. Every connection is counted, past the server's default /connz page of 1,024.
class IdleConnections : public ::testing::Test {
 protected:
  static constexpr int kConns = 1500;
  static constexpr int kSubsEach = 1;

  void Check(const std::vector<std::string>& extra, double page_size) {
    NatsServer server;
    auto idle = StartNatskit({"idle-conns", "--url", server.client_url(), "--count", std::to_string(kConns), "--subs",
                              std::to_string(kSubsEach)},
                             "ready " + std::to_string(kConns), 60s);
    // The only client connections are natskit's: farrier speaks HTTP to the monitor port.
    ASSERT_EQ(MonitorJson(server, "/varz").at("connections"), kConns);
    std::vector<std::string> args = {
        "--nats.monitor-url", server.monitor_url(), "--poll.interval", "500ms", "--poll.timeout", "400ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    Farrier f(args);
    Scrape last;
    auto s = f.WaitFor([](const Scrape& s) { return s.SourceUp("connz"); }, 10s, &last);
    ASSERT_TRUE(s) << last.Describe() << f.Stderr();
    EXPECT_EQ(s->Value("nats_connz_connections", {{"kind", "client"}}), kConns);
    EXPECT_EQ(s->Value("nats_server_connections"), kConns);
    EXPECT_EQ(s->Value("nats_connz_subscriptions", {{"kind", "client"}}), kConns * kSubsEach);
    EXPECT_EQ(s->Value("nats_exporter_connz_pages"), std::ceil(kConns / page_size));
    EXPECT_EQ(s->Errors("connz"), 0) << f.Stderr();
  }
};

// The default page size as farrier's --help states it.
double DefaultPageSize() {
  Exited help = RunFarrier({"--help"});
  std::smatch m;
  if (!std::regex_search(help.out, m, std::regex(R"(--connz\.page-size N\n[^\n]*\(default: ([0-9]+)\))"))) {
    throw std::runtime_error("no connz.page-size default in --help:\n" + help.out);
  }
  return std::stod(m[1]);
}

TEST_F(IdleConnections, CountedExactlyAtDefaultPageSize) { Check({}, DefaultPageSize()); }

// The server's own default page (and prometheus-nats-exporter's only page) is 1,024.
TEST_F(IdleConnections, CountedExactlyWithPageSize1024) { Check({"--connz.page-size", "1024"}, 1024); }

TEST_F(IdleConnections, CountedExactlyWithPageSize100) { Check({"--connz.page-size", "100"}, 100); }

}  // namespace
}  // namespace farrier::itest
