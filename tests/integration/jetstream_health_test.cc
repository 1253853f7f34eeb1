// Mirror and source lag and activity, consumer activity, account limits and expected-asset
// presence against a real server's own /jsz (Values.* runs on every release of the matrix): in
// an account APP with JetStream limits, a stream SRC with a consumer, its mirror BACKUP and AGG
// sourcing it; then BACKUP is deleted and its presence turns 0 while its lag series goes away.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "harness.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

double Messages(const Json& jsz, const std::string& stream) {
  const Json* s = FindJszStream(jsz, stream);
  return s ? s->at("state").at("messages").get<double>() : -1;
}

TEST(Values, MirrorSourceActivityAndPresenceMatchTheServer) {
  NatsServer server({.jetstream = true,
                     .extra_config = "accounts { APP { jetstream { max_mem: 64MB, max_file: 256MB }\n"
                                     "  users [ { user: app, password: app } ] } }\n"});
  const std::string url = "nats://app:app@" + server.client_url().substr(std::string("nats://").size());
  RunNatskit({"js-setup", "--url", url, "--stream", "SRC", "--subjects", "src.>", "--storage", "file", "--publish",
              "20", "--consumer", "WORKER", "--fetch", "5", "--ack", "4"});
  RunNatskit({"request", "--url", url, "--subject", "$JS.API.STREAM.CREATE.BACKUP", "--data",
              R"({"name":"BACKUP","mirror":{"name":"SRC"},"storage":"file"})"});
  RunNatskit({"request", "--url", url, "--subject", "$JS.API.STREAM.CREATE.AGG", "--data",
              R"({"name":"AGG","subjects":["agg.>"],"sources":[{"name":"SRC"}],"storage":"file"})"});
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] {
        Json j = MonitorJson(server, kJszFull);
        return Messages(j, "BACKUP") == 20 && Messages(j, "AGG") == 20;
      },
      10s))
      << MonitorJson(server, kJszFull).dump(2);

  farrier::test::TempDir dir("farrier-jshealth");
  const std::string config = (dir.path() / "farrier.json").string();
  std::ofstream(config) << R"({"expect": {
      "streams": [{"account": "APP", "stream": "SRC"}, {"account": "APP", "stream": "BACKUP"}],
      "consumers": [{"account": "APP", "stream": "SRC", "consumer": "WORKER"}]}})";
  Farrier f({"--config", config, "--nats.monitor-url", server.monitor_url(), "--poll.interval", "300ms",
             "--poll.timeout", "200ms"});
  ASSERT_TRUE(f.WaitFor([](const Scrape& s) { return s.Has("nats_stream_origin_lag"); }, 10s))
      << f.Metrics().Describe();

  // A sandwich as in values_test.cc: the lags stand still; the last-active times may move
  // with the origin's heartbeats, so farrier's lies between the two reads.
  const Json jsz0 = MonitorJson(server, kJszFull);
  double p0 = f.Metrics().Polls();
  auto scraped = f.WaitForPolls(p0 + 2, 10s);
  ASSERT_TRUE(scraped);
  const Scrape& s = *scraped;
  const Json jsz1 = MonitorJson(server, kJszFull);

  const PromLabels mirror{{"account", "APP"}, {"stream", "BACKUP"}, {"origin", "SRC"}, {"kind", "mirror"}};
  const PromLabels source{{"account", "APP"}, {"stream", "AGG"}, {"origin", "SRC"}, {"kind", "source"}};
  for (const auto& [labels, path] : {std::pair{mirror, "/mirror"}, std::pair{source, "/sources/0"}}) {
    const std::string stream = labels.at("stream");
    const Json& o0 = FindJszStream(jsz0, stream)->at(Json::json_pointer(path));
    const Json& o1 = FindJszStream(jsz1, stream)->at(Json::json_pointer(path));
    ASSERT_EQ(o0.at("lag"), o1.at("lag")) << stream;
    EXPECT_EQ(s.Value("nats_stream_origin_lag", labels), o0.at("lag").get<double>()) << stream;
    auto active = s.Value("nats_stream_origin_last_active_timestamp_seconds", labels);
    ASSERT_TRUE(active) << stream << "\n" << s.Describe();
    EXPECT_GE(*active, OriginLastHeard(jsz0, o0) - 0.001) << stream;
    EXPECT_LE(*active, OriginLastHeard(jsz1, o1) + 0.001) << stream;
  }

  // The account's limits as /jsz shows them (reserved_*), next to its usage.
  const Json* app = nullptr;
  for (const auto& acc : jsz1.at("account_details")) {
    if (acc.at("name") == "APP") app = &acc;
  }
  ASSERT_TRUE(app) << jsz1.dump(2);
  EXPECT_EQ(s.Value("nats_jetstream_account_max_memory_bytes", {{"account", "APP"}}), 64.0 * 1024 * 1024);
  EXPECT_EQ(s.Value("nats_jetstream_account_max_storage_bytes", {{"account", "APP"}}),
            app->at("reserved_storage").get<double>());
  EXPECT_EQ(app->at("reserved_storage").get<double>(), 256.0 * 1024 * 1024);
  EXPECT_GT(s.Value("nats_jetstream_account_storage_bytes", {{"account", "APP"}}).value_or(0), 0);

  const PromLabels worker{{"account", "APP"}, {"stream", "SRC"}, {"consumer", "WORKER"}};
  const Json& c = FindJszStream(jsz1, "SRC")->at("consumer_detail").at(0);
  ASSERT_EQ(c.at("name"), "WORKER");
  EXPECT_NEAR(*s.Value("nats_consumer_last_delivery_timestamp_seconds", worker),
              Rfc3339(c.at("delivered").at("last_active").get<std::string>()), 1e-6);
  EXPECT_NEAR(*s.Value("nats_consumer_last_ack_timestamp_seconds", worker),
              Rfc3339(c.at("ack_floor").at("last_active").get<std::string>()), 1e-6);

  EXPECT_EQ(s.Value("nats_stream_present", {{"account", "APP"}, {"stream", "SRC"}}), 1);
  EXPECT_EQ(s.Value("nats_stream_present", {{"account", "APP"}, {"stream", "BACKUP"}}), 1);
  EXPECT_EQ(s.Value("nats_consumer_present", worker), 1);

  RunNatskit({"request", "--url", url, "--subject", "$JS.API.STREAM.DELETE.BACKUP"});
  Scrape last;
  auto gone = f.WaitFor(
      [](const Scrape& x) {
        return x.Value("nats_stream_present", {{"account", "APP"}, {"stream", "BACKUP"}}) == 0.0 &&
               x.Value("nats_stream_present", {{"account", "APP"}, {"stream", "SRC"}}) == 1.0;
      },
      10s, &last);
  ASSERT_TRUE(gone) << last.Describe();
  EXPECT_FALSE(gone->Value("nats_stream_origin_lag", mirror)) << "no stale series of the deleted mirror";
  EXPECT_TRUE(gone->Value("nats_stream_origin_lag", source));
}

}  // namespace
}  // namespace farrier::itest
