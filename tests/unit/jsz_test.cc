// /jsz: the single-server capture (durable consumer with pending messages, an ephemeral) and the
// 3-node cluster capture where leader and followers report different consumer numbers.
#include "sources/jsz.h"

#include <gtest/gtest.h>

#include "fixtures.h"
#include "rendered.h"

namespace farrier {
namespace {

using test::FixtureJson;
using test::ReadFixture;
using test::Rendered;

Jsz Parsed(const std::string& file) {
  Result<Jsz> jsz = ParseJsz(ReadFixture(file));
  if (!jsz.ok()) throw std::runtime_error(jsz.error());
  return std::move(jsz).value();
}

// Rendered as the captured server's own release would be.
Rendered Render(const Jsz& jsz, const JszRenderOptions& options, std::string_view server) {
  Families families;
  ServerVersion version = ServerVersion::Parse(FixtureJson("varz.json")["version"].get<std::string>());
  RenderJsz(jsz, options, server, version, families);
  return Rendered(families);
}

// Streams and consumers come out of server maps, in no fixed order: find them by name.
const JszStream* FindStream(const Jsz& jsz, const std::string& name) {
  for (const JszStream& s : jsz.stream_details) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Index of stream `name` in the single account's stream_detail of a raw capture.
size_t RawStreamIndex(const nlohmann::json& j, const std::string& name) {
  const auto& streams = j["account_details"][0]["stream_detail"];
  for (size_t i = 0; i < streams.size(); ++i) {
    if (streams[i]["name"] == name) return i;
  }
  throw std::runtime_error("no stream " + name);
}

// Index of the ORDERS consumer without a durable name (the ephemeral) in a raw capture.
size_t RawEphemeralIndex(const nlohmann::json& j) {
  const auto& consumers = j["account_details"][0]["stream_detail"][RawStreamIndex(j, "ORDERS")]["consumer_detail"];
  for (size_t i = 0; i < consumers.size(); ++i) {
    if (!consumers[i]["config"].contains("durable_name")) return i;
  }
  throw std::runtime_error("no ephemeral consumer");
}

std::string RawEphemeralName(const nlohmann::json& j) {
  return j["account_details"][0]["stream_detail"][RawStreamIndex(j, "ORDERS")]["consumer_detail"][RawEphemeralIndex(j)]
          ["name"];
}

const JszConsumer* FindConsumer(const Jsz& jsz, const std::string& name) {
  for (const JszConsumer& c : jsz.consumer_details) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const test::LabelMap kProcessor{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "PROCESSOR"}};
const test::LabelMap kFolded{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "_ephemeral"}};
const test::LabelMap kWorkers{{"account", "$G"}, {"stream", "JOBS"}, {"consumer", "WORKERS"}};
const test::LabelMap kJobs{{"account", "$G"}, {"stream", "JOBS"}};

TEST(ParseJsz, SingleServerFullCapture) {
  nlohmann::json j = FixtureJson("jsz-full.json");
  Jsz jsz = Parsed("jsz-full.json");
  EXPECT_TRUE(jsz.enabled);
  EXPECT_EQ(jsz.server_id, j["server_id"].get<std::string>());
  EXPECT_EQ(jsz.max_memory_bytes, 268435456u);  // README: fixed in every config
  EXPECT_EQ(jsz.max_storage_bytes, 1073741824u);
  EXPECT_EQ(jsz.streams, 2u);
  EXPECT_EQ(jsz.consumers, 2u);
  EXPECT_EQ(jsz.messages, 70u);  // ORDERS 50 + EVENTS 20
  EXPECT_EQ(jsz.memory_bytes, j["memory"].get<uint64_t>());
  EXPECT_EQ(jsz.storage_bytes, j["storage"].get<uint64_t>());
  EXPECT_EQ(jsz.api_total, j["api"]["total"].get<uint64_t>());
  EXPECT_EQ(jsz.meta_cluster_size, 0u);  // not clustered

  ASSERT_EQ(jsz.account_details.size(), 1u);
  EXPECT_EQ(jsz.account_details[0].name, "$G");
  EXPECT_EQ(jsz.account_details[0].streams, 2u);

  ASSERT_EQ(jsz.stream_details.size(), 2u);
  ASSERT_NE(FindStream(jsz, "ORDERS"), nullptr);
  ASSERT_NE(FindStream(jsz, "EVENTS"), nullptr);
  const JszStream& orders = *FindStream(jsz, "ORDERS");
  EXPECT_EQ(orders.storage, "file");
  EXPECT_EQ(orders.messages, 50u);
  EXPECT_EQ(orders.first_seq, 1u);
  EXPECT_EQ(orders.last_seq, 50u);
  EXPECT_EQ(orders.consumer_count, 2u);
  EXPECT_EQ(orders.max_bytes, -1);  // unlimited
  EXPECT_EQ(orders.max_msgs, -1);
  EXPECT_EQ(orders.replicas, 1u);
  EXPECT_EQ(orders.leader, "farrier-single");  // 2.9.10 names a leader even unclustered
  const JszStream& events = *FindStream(jsz, "EVENTS");
  EXPECT_EQ(events.storage, "memory");
  EXPECT_EQ(events.messages, 20u);
  EXPECT_EQ(events.consumer_count, 0u);

  ASSERT_EQ(jsz.consumer_details.size(), 2u);
  const JszConsumer* durable = FindConsumer(jsz, "PROCESSOR");
  ASSERT_NE(durable, nullptr);
  EXPECT_TRUE(durable->durable);
  EXPECT_EQ(durable->stream, "ORDERS");
  EXPECT_EQ(durable->num_pending, 40u);  // README: fetched 10 of 50, acked 3
  EXPECT_EQ(durable->num_ack_pending, 7u);
  EXPECT_EQ(durable->delivered_stream_seq, 10u);
  EXPECT_EQ(durable->ack_floor_stream_seq, 3u);
  EXPECT_EQ(durable->ack_floor_consumer_seq, 3u);
  EXPECT_EQ(durable->max_ack_pending, 1000);
  const JszConsumer* ephemeral = FindConsumer(jsz, RawEphemeralName(j));
  ASSERT_NE(ephemeral, nullptr);
  EXPECT_FALSE(ephemeral->durable);
  EXPECT_EQ(ephemeral->num_ack_pending, 50u);  // received all 50, acked none
  EXPECT_EQ(ephemeral->num_pending, 0u);
}

TEST(ParseJsz, SummaryOnlyAndDisabled) {
  Jsz summary = Parsed("jsz.json");  // plain /jsz: no account details
  EXPECT_TRUE(summary.enabled);
  EXPECT_EQ(summary.streams, 2u);
  EXPECT_TRUE(summary.account_details.empty());
  EXPECT_TRUE(summary.stream_details.empty());

  Result<Jsz> off = ParseJsz(test::EditedFixture("jsz.json", [](nlohmann::json& j) {
    j = {{"server_id", j["server_id"]}, {"now", j["now"]}, {"disabled", true}};
  }));
  ASSERT_TRUE(off.ok()) << off.error();
  EXPECT_FALSE(off->enabled);
  Rendered r = Render(*off, {}, "farrier-single");
  test::ExpectWellFormed(r, "jsz");
  EXPECT_EQ(r.Value("nats_jetstream_enabled"), 0);
  EXPECT_EQ(r.Names(), (std::set<std::string>{"nats_jetstream_enabled"}));
}

TEST(ParseJsz, ErrorsNameSourceAndPath) {
  nlohmann::json raw = FixtureJson("jsz-full.json");
  const size_t orders = RawStreamIndex(raw, "ORDERS");
  const size_t events = RawStreamIndex(raw, "EVENTS");
  const size_t ephemeral = RawEphemeralIndex(raw);
  std::string body = test::EditedFixture("jsz-full.json", [&](nlohmann::json& j) {
    j["account_details"][0]["stream_detail"][orders]["consumer_detail"][ephemeral]["num_pending"] = "many";
  });
  Result<Jsz> bad = ParseJsz(body);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "jsz: $.account_details[0].stream_detail[" + std::to_string(orders) + "].consumer_detail[" +
                             std::to_string(ephemeral) + "].num_pending: expected unsigned integer, got string");

  body = test::EditedFixture("jsz-full.json", [&](nlohmann::json& j) {
    j["account_details"][0]["stream_detail"][events]["config"]["max_bytes"] = "1GB";
  });
  bad = ParseJsz(body);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "jsz: $.account_details[0].stream_detail[" + std::to_string(events) +
                             "].config.max_bytes: expected integer, got string");

  bad = ParseJsz(ReadFixture("subsz.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "jsz: $.server_id: expected string, field missing");
}

TEST(RenderJsz, SingleServerFoldsEphemerals) {
  nlohmann::json j = FixtureJson("jsz-full.json");
  Rendered r = Render(Parsed("jsz-full.json"), {}, "farrier-single");
  test::ExpectWellFormed(r, "jsz");
  EXPECT_EQ(r.Value("nats_jetstream_enabled"), 1);
  EXPECT_EQ(r.Value("nats_jetstream_streams"), 2);
  EXPECT_EQ(r.Value("nats_jetstream_max_memory_bytes"), 268435456);
  EXPECT_EQ(r.Value("nats_jetstream_storage_bytes"), j["storage"].get<double>());
  EXPECT_FALSE(r.Has("nats_jetstream_meta_leader"));  // no meta group on a single server
  EXPECT_EQ(r.Value("nats_jetstream_account_streams", {{"account", "$G"}}), 2);

  EXPECT_EQ(r.Value("nats_stream_leader", {{"account", "$G"}, {"stream", "ORDERS"}}), 1);
  EXPECT_EQ(r.Value("nats_stream_messages", {{"account", "$G"}, {"stream", "ORDERS"}}), 50);
  EXPECT_EQ(r.Value("nats_stream_messages", {{"account", "$G"}, {"stream", "EVENTS"}}), 20);
  EXPECT_EQ(r.Value("nats_stream_last_seq", {{"account", "$G"}, {"stream", "ORDERS"}}), 50);
  EXPECT_FALSE(r.Has("nats_stream_max_bytes"));  // -1: unlimited, so absent

  EXPECT_EQ(r.Value("nats_consumer_num_pending", kProcessor), 40);
  EXPECT_EQ(r.Value("nats_consumer_num_ack_pending", kProcessor), 7);
  EXPECT_EQ(r.Value("nats_consumer_ack_floor_stream_seq", kProcessor), 3);
  EXPECT_EQ(r.Value("nats_consumer_delivered_stream_seq", kProcessor), 10);
  EXPECT_EQ(r.Value("nats_consumer_max_ack_pending", kProcessor), 1000);
  EXPECT_EQ(r.Value("nats_consumer_leader", kProcessor), 1);
  // The ephemeral is folded: counts under "_ephemeral", no sequences, no leader, no real name.
  EXPECT_EQ(r.Value("nats_consumer_num_ack_pending", kFolded), 50);
  EXPECT_EQ(r.Value("nats_consumer_num_pending", kFolded), 0);
  EXPECT_FALSE(r.Value("nats_consumer_delivered_stream_seq", kFolded).has_value());
  EXPECT_FALSE(r.Value("nats_consumer_leader", kFolded).has_value());
  EXPECT_EQ(r.SampleCount("nats_consumer_num_ack_pending"), 2u);
  EXPECT_EQ(r.Value("nats_exporter_jsz_series_dropped", {{"kind", "stream"}}), 0);
  EXPECT_EQ(r.Value("nats_exporter_jsz_series_dropped", {{"kind", "consumer"}}), 0);
}

TEST(RenderJsz, EphemeralsUnfolded) {
  const std::string name = RawEphemeralName(FixtureJson("jsz-full.json"));
  JszRenderOptions options;
  options.fold_ephemeral = false;
  Rendered r = Render(Parsed("jsz-full.json"), options, "farrier-single");
  test::LabelMap real{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", name}};
  EXPECT_EQ(r.Value("nats_consumer_num_ack_pending", real), 50);
  EXPECT_EQ(r.Value("nats_consumer_delivered_stream_seq", real), 50);
  EXPECT_EQ(r.Value("nats_consumer_leader", real), 1);
  EXPECT_FALSE(r.Value("nats_consumer_num_ack_pending", kFolded).has_value());
}

TEST(RenderJsz, StreamAndConsumerLimits) {
  JszRenderOptions options;
  options.stream_limit = 1;
  options.consumer_limit = 1;
  Rendered r = Render(Parsed("jsz-full.json"), options, "farrier-single");
  test::ExpectWellFormed(r, "jsz");
  // Sorted by (account, name): EVENTS < ORDERS, and "PROCESSOR" < "_ephemeral".
  EXPECT_EQ(r.SampleCount("nats_stream_messages"), 1u);
  EXPECT_EQ(r.Value("nats_stream_messages", {{"account", "$G"}, {"stream", "EVENTS"}}), 20);
  EXPECT_EQ(r.SampleCount("nats_consumer_num_pending"), 1u);
  EXPECT_EQ(r.Value("nats_consumer_num_pending", kProcessor), 40);
  EXPECT_EQ(r.Value("nats_exporter_jsz_series_dropped", {{"kind", "stream"}}), 1);
  EXPECT_EQ(r.Value("nats_exporter_jsz_series_dropped", {{"kind", "consumer"}}), 1);
}

// Leadership changes from one capture run to the next, so it is read from the raw capture
// (every node names the same leaders); the numbers README fixes are the consumer leader's:
// WORKERS fetched 10 and acked none, so 10 delivered, 10 ack-pending, 40 pending.
struct ClusterLeaders {
  std::string meta, stream, consumer;
};

ClusterLeaders LeadersIn(const std::string& file) {
  nlohmann::json j = FixtureJson(file);
  const auto& jobs = j["account_details"][0]["stream_detail"][RawStreamIndex(j, "JOBS")];
  return {j["meta_cluster"]["leader"], jobs["cluster"]["leader"], jobs["consumer_detail"][0]["cluster"]["leader"]};
}

std::string NodeFile(int n) { return "cluster-node" + std::to_string(n) + "-jsz-full.json"; }
std::string NodeName(int n) { return "farrier-n" + std::to_string(n); }

TEST(RenderJsz, ClusterLeaderOnlyExportsTheLeadersNumbers) {
  const ClusterLeaders leaders = LeadersIn(NodeFile(1));
  int pending_series = 0;
  for (int n = 1; n <= 3; ++n) {
    const std::string server = NodeName(n);
    SCOPED_TRACE(server);
    Jsz jsz = Parsed(NodeFile(n));
    EXPECT_EQ(jsz.meta_leader, leaders.meta);
    EXPECT_EQ(LeadersIn(NodeFile(n)).consumer, leaders.consumer);
    EXPECT_EQ(jsz.meta_cluster_size, 3u);
    Rendered r = Render(jsz, {}, server);
    test::ExpectWellFormed(r, "jsz");
    // The stream and its consumer may be led by different servers: each is judged alone.
    const bool leads_stream = server == leaders.stream;
    const bool leads_consumer = server == leaders.consumer;
    EXPECT_EQ(r.Value("nats_jetstream_meta_leader"), server == leaders.meta ? 1 : 0);
    EXPECT_EQ(r.Value("nats_jetstream_meta_cluster_size"), 3);
    EXPECT_EQ(r.Value("nats_stream_leader", kJobs), leads_stream ? 1 : 0);
    EXPECT_EQ(r.Value("nats_consumer_leader", kWorkers), leads_consumer ? 1 : 0);
    if (leads_stream) {
      EXPECT_EQ(r.Value("nats_stream_messages", kJobs), 50);
      EXPECT_EQ(r.Value("nats_stream_replicas", kJobs), 3);
    } else {
      EXPECT_FALSE(r.Has("nats_stream_messages"));
    }
    if (leads_consumer) {
      EXPECT_EQ(r.Value("nats_consumer_num_pending", kWorkers), 40);
      EXPECT_EQ(r.Value("nats_consumer_num_ack_pending", kWorkers), 10);
      EXPECT_EQ(r.Value("nats_consumer_delivered_stream_seq", kWorkers), 10);
    } else {
      EXPECT_FALSE(r.Has("nats_consumer_num_pending"));
    }
    pending_series += static_cast<int>(r.SampleCount("nats_consumer_num_pending"));
  }
  EXPECT_EQ(pending_series, 1);  // summed over the cluster, WORKERS is counted once
}

TEST(RenderJsz, ClusterAllReplicasExportsEachReplicasOwnView) {
  const ClusterLeaders leaders = LeadersIn(NodeFile(1));
  JszRenderOptions options;
  options.leader_only = false;
  int followers = 0;
  for (int n = 1; n <= 3; ++n) {
    const std::string server = NodeName(n);
    SCOPED_TRACE(server);
    nlohmann::json raw = FixtureJson(NodeFile(n));
    const auto& workers = raw["account_details"][0]["stream_detail"][RawStreamIndex(raw, "JOBS")]["consumer_detail"][0];
    Rendered r = Render(Parsed(NodeFile(n)), options, server);
    test::ExpectWellFormed(r, "jsz");
    EXPECT_EQ(r.Value("nats_stream_messages", kJobs), 50);
    // Each node's own, possibly lagging, numbers; the leader's are README's.
    EXPECT_EQ(r.Value("nats_consumer_num_pending", kWorkers), workers["num_pending"].get<double>());
    EXPECT_EQ(r.Value("nats_consumer_delivered_stream_seq", kWorkers),
              workers["delivered"]["stream_seq"].get<double>());
    if (server == leaders.consumer) {
      EXPECT_EQ(r.Value("nats_consumer_num_pending", kWorkers), 40);
    } else {
      ++followers;
      EXPECT_EQ(r.Value("nats_consumer_leader", kWorkers), 0);
    }
  }
  EXPECT_EQ(followers, 2);
}

// cluster.replicas: the stream leader's view of its peers (caught up, heard from ~0.5 s ago, lag
// omitted when 0) is exported; a follower's list (its stale idea of the others) never is, not
// even with leader_only off.
TEST(ParseJsz, StreamPeersAsEachNodeReportsThem) {
  for (int n = 1; n <= 3; ++n) {
    SCOPED_TRACE(NodeName(n));
    nlohmann::json raw = FixtureJson(NodeFile(n));
    const auto& replicas =
        raw["account_details"][0]["stream_detail"][RawStreamIndex(raw, "JOBS")]["cluster"]["replicas"];
    Jsz jsz = Parsed(NodeFile(n));
    const JszStream* jobs = FindStream(jsz, "JOBS");
    ASSERT_NE(jobs, nullptr);
    ASSERT_EQ(jobs->peers.size(), replicas.size());
    ASSERT_EQ(jobs->peers.size(), 2u);  // the other two of three
    for (size_t i = 0; i < replicas.size(); ++i) {
      EXPECT_EQ(jobs->peers[i].name, replicas[i]["name"]);
      EXPECT_NE(jobs->peers[i].name, NodeName(n));
      EXPECT_EQ(jobs->peers[i].current, replicas[i]["current"].get<bool>());
      EXPECT_DOUBLE_EQ(jobs->peers[i].active_seconds, replicas[i]["active"].get<double>() / 1e9);
      EXPECT_EQ(jobs->peers[i].lag, replicas[i].value("lag", uint64_t{0}));
    }
  }
}

TEST(RenderJsz, ReplicaStateComesFromTheStreamLeaderOnly) {
  const ClusterLeaders leaders = LeadersIn(NodeFile(1));
  JszRenderOptions all_replicas;
  all_replicas.leader_only = false;
  for (int n = 1; n <= 3; ++n) {
    const std::string server = NodeName(n);
    SCOPED_TRACE(server);
    Jsz jsz = Parsed(NodeFile(n));
    for (const JszRenderOptions& options : {JszRenderOptions{}, all_replicas}) {
      Rendered r = Render(jsz, options, server);
      test::ExpectWellFormed(r, "jsz");
      if (server != leaders.stream) {
        EXPECT_FALSE(r.Has("nats_stream_replica_lag"));
        EXPECT_FALSE(r.Has("nats_stream_replica_current"));
        EXPECT_FALSE(r.Has("nats_stream_replica_last_active_seconds"));
        continue;
      }
      EXPECT_EQ(r.SampleCount("nats_stream_replica_lag"), 2u);
      for (int peer = 1; peer <= 3; ++peer) {
        if (NodeName(peer) == server) continue;
        test::LabelMap l{{"account", "$G"}, {"stream", "JOBS"}, {"replica", NodeName(peer)}};
        EXPECT_EQ(r.Value("nats_stream_replica_lag", l), 0);  // omitted in the capture: caught up
        EXPECT_EQ(r.Value("nats_stream_replica_current", l), 1);
        std::optional<double> active = r.Value("nats_stream_replica_last_active_seconds", l);
        ASSERT_TRUE(active);
        EXPECT_GT(*active, 0);
        EXPECT_LT(*active, 5);  // heard from within the leader's heartbeats
      }
    }
  }
}

TEST(RenderJsz, SingleServerHasNoReplicaSeries) {
  Rendered r = Render(Parsed("jsz-full.json"), {}, "");
  EXPECT_TRUE(r.Has("nats_stream_messages"));
  EXPECT_FALSE(r.Has("nats_stream_replica_lag"));
}

}  // namespace
}  // namespace farrier
