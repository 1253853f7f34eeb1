// A mirror and a source whose origin lives in another JetStream domain, across a leaf node link
// that the test cuts and mends (OriginLink.* runs on every release of the matrix).
//
// What the servers do (server/stream.go, read at v2.9.10, v2.14.5 and main; the same from 2.9 to
// 2.15): a mirror or source copies through a consumer on the origin created with a 1 s idle
// heartbeat.
//  * `active` is the time since anything arrived from that consumer: a message, a flow-control
//    request or an idle heartbeat. Over a working link it stays under about a second even while
//    the origin receives nothing; it grows only while nothing arrives: the link is broken, or
//    the origin or its consumer is gone. -1 until the first consumer was set up (never heard).
//  * `lag` is the pending count (minus one) carried by the last *message* copied; heartbeats do
//    not touch it. While the link is down it stands still at its last value, 0 for a mirror
//    that was keeping up, however much the origin receives meanwhile.
// So a broken link shows as a last-active time that stops advancing, not as a growing lag: the
// alert for it is NatsStreamOriginInactive, not NatsStreamOriginLagGrowing (alerts/README.md).
// How the link comes back differs: 2.9 retries the origin consumer 3 s after the last
// heartbeat, every 2 s; 2.10.8+ backs off by 10 s per failed attempt up to 2 min (2.10.16+
// waits 10 s without a heartbeat before the first). The cut here is short (about 6 s) so that
// every release resumes within seconds once the relay is back (2.10+ in under a second: the
// origin's consumer outlives the cut), except a mirror that never connected (LATE below).
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <utility>

#include "harness.h"
#include "support/ports.h"
#include "support/wait.h"

namespace farrier::itest {
namespace {

using farrier::test::NatsServerOptions;

// The mirror (path "/mirror") or first source ("/sources/0") of `stream` in a /jsz body.
const Json& Origin(const Json& jsz, const std::string& stream, const char* path) {
  const Json* s = FindJszStream(jsz, stream);
  if (!s) throw std::runtime_error("no stream " + stream + " in /jsz:\n" + jsz.dump(2));
  return s->at(Json::json_pointer(path));
}

double Seconds(const Json& origin) { return origin.at("active").get<double>() / 1e9; }

double LastSeq(const NatsServer& server, const std::string& stream) {
  const Json jsz = MonitorJson(server, kJszFull);
  const Json* s = FindJszStream(jsz, stream);
  return s ? s->at("state").at("last_seq").get<double>() : -1;
}

// One farrier scrape between two reads of the leaf's /jsz, so each value can be held to what
// the server said just before and just after.
struct Observed {
  Json before;
  Scrape scrape;
  Json after;
};

Observed Observe(const Farrier& f, const NatsServer& leaf) {
  Observed o;
  o.before = MonitorJson(leaf, kJszFull);
  auto s = f.WaitForPolls(f.Metrics().Polls() + 2, 10s);
  if (!s) throw std::runtime_error("farrier did not poll");
  o.scrape = *s;
  o.after = MonitorJson(leaf, kJszFull);
  return o;
}

PromLabels Labels(const std::string& stream, const std::string& kind) {
  return {{"account", "$G"}, {"stream", stream}, {"origin", "ORDERS"}, {"kind", kind}};
}

struct Link {
  std::string stream;
  const char* path;
  PromLabels labels;
};

// Farrier's lag equals the server's (which must not move meanwhile) and its last-active time
// lies between the server's two answers. Returns farrier's last-active time.
double ExpectMatchesServer(const Observed& o, const Link& l) {
  const Json& o0 = Origin(o.before, l.stream, l.path);
  const Json& o1 = Origin(o.after, l.stream, l.path);
  EXPECT_EQ(o0.at("lag"), o1.at("lag")) << l.stream << ": the lag moved while farrier polled";
  EXPECT_EQ(o.scrape.Value("nats_stream_origin_lag", l.labels), o0.at("lag").get<double>()) << l.stream;
  auto heard = o.scrape.Value("nats_stream_origin_last_active_timestamp_seconds", l.labels);
  if (!heard) {
    ADD_FAILURE() << l.stream << ": no last-active time\n" << o.scrape.Describe();
    return 0;
  }
  EXPECT_GE(*heard, OriginLastHeard(o.before, o0) - 0.001) << l.stream;
  EXPECT_LE(*heard, OriginLastHeard(o.after, o1) + 0.001) << l.stream;
  return *heard;
}

TEST(OriginLink, MirrorAndSourceAcrossACutLeafLinkStopAndResume) {
  // The hub advertises the relay as its leafnode URL: a leaf node learns the URLs its hub
  // advertises and would otherwise reconnect to the hub's own port, around the cut.
  farrier::test::RefusedLoopbackPort relay_port;  // no one else binds it until the relay does
  NatsServer hub({.name = "hub",
                  .jetstream = true,
                  .js_domain = "HUB",
                  .extra_config = "leafnodes { listen: \"127.0.0.1:-1\", advertise: \"127.0.0.1:" +
                                  std::to_string(relay_port.port()) + "\" }\n"});
  const int hub_leaf_port = farrier::test::LoggedPort(hub.Log(), "Listening for leafnode connections on");
  ASSERT_NE(hub_leaf_port, 0) << hub.LogTail();
  const std::string port = std::to_string(relay_port.Release());
  auto start_relay = [&] {
    return StartNatskit({"relay", "--listen", port, "--to", "127.0.0.1:" + std::to_string(hub_leaf_port)}, "ready");
  };
  auto relay = start_relay();
  NatsServer leaf({.name = "leaf",
                   .jetstream = true,
                   .js_domain = "LEAF",
                   .extra_config = "leafnodes { remotes [ { url: \"nats-leaf://127.0.0.1:" + port + "\" } ] }\n"});

  RunNatskit({"js-setup", "--url", hub.client_url(), "--stream", "ORDERS", "--subjects", "orders.>", "--publish",
              "10"});
  // Through the hub's domain API, as a leaf-side replica of a central stream is configured.
  const std::string external = R"("name":"ORDERS","external":{"api":"$JS.HUB.API"})";
  auto create = [&](const std::string& name, const std::string& body) {
    RunNatskit({"request", "--url", leaf.client_url(), "--subject", "$JS.API.STREAM.CREATE." + name, "--data", body});
  };
  create("BACKUP", R"({"name":"BACKUP","storage":"file","mirror":{)" + external + "}}");
  create("AGG", R"({"name":"AGG","storage":"file","subjects":["agg.>"],"sources":[{)" + external + "}]}");
  auto copied = [&](const std::string& stream, double n) { return LastSeq(leaf, stream) == n; };
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return copied("BACKUP", 10) && copied("AGG", 10); }, 10s))
      << MonitorJson(leaf, kJszFull).dump(2);

  Farrier f({"--nats.monitor-url", leaf.monitor_url(), "--poll.interval", "200ms", "--poll.timeout", "150ms"});
  const Link mirror{"BACKUP", "/mirror", Labels("BACKUP", "mirror")};
  const Link source{"AGG", "/sources/0", Labels("AGG", "source")};
  ASSERT_TRUE(f.WaitFor([&](const Scrape& s) { return s.Has("nats_stream_origin_last_active_timestamp_seconds"); },
                        10s));

  // Link up, origin idle: the 1 s heartbeats keep the last-active time moving with no message.
  const Observed idle0 = Observe(f, leaf);
  std::this_thread::sleep_for(2500ms);
  const Observed idle1 = Observe(f, leaf);
  for (const Link& l : {mirror, source}) {
    const double t0 = ExpectMatchesServer(idle0, l), t1 = ExpectMatchesServer(idle1, l);
    EXPECT_GT(t1 - t0, 1.0) << l.stream << ": heartbeats should refresh it while the origin is idle";
    EXPECT_LT(Seconds(Origin(idle1.after, l.stream, l.path)), 2.0) << l.stream;
    EXPECT_EQ(idle1.scrape.Value("nats_stream_origin_lag", l.labels), 0) << l.stream;
  }
  EXPECT_EQ(LastSeq(leaf, "BACKUP"), 10);

  // Cut the link and write to the origin: 50 messages the leaf cannot get.
  relay->Stop(5s, SIGKILL);
  RunNatskit({"pub", "--url", hub.client_url(), "--subject", "orders.cut", "--count", "50"});
  ASSERT_TRUE(farrier::test::WaitUntil([&] { return LastSeq(hub, "ORDERS") == 60; }, 5s));
  // A mirror set up while the link is down has never heard from its origin (active -1).
  create("LATE", R"({"name":"LATE","storage":"file","mirror":{)" + external + "}}");
  const Observed cut0 = Observe(f, leaf);
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] { return Seconds(Origin(MonitorJson(leaf, kJszFull), "BACKUP", "/mirror")) > 5; }, 15s));
  const Observed cut1 = Observe(f, leaf);
  for (const Link& l : {mirror, source}) {
    const double t0 = ExpectMatchesServer(cut0, l), t1 = ExpectMatchesServer(cut1, l);
    EXPECT_NEAR(t1, t0, 0.01) << l.stream << ": nothing arrives, so the last-active time stands still";
    EXPECT_GT(Seconds(Origin(cut1.after, l.stream, l.path)), 4.0) << l.stream;
    // The lag stays what the last copied message said, while the origin is 50 messages ahead.
    EXPECT_EQ(cut1.scrape.Value("nats_stream_origin_lag", l.labels), 0) << l.stream;
  }
  EXPECT_EQ(LastSeq(leaf, "BACKUP"), 10);
  EXPECT_EQ(LastSeq(leaf, "AGG"), 10);
  const PromLabels late = Labels("LATE", "mirror");
  EXPECT_EQ(Origin(cut1.after, "LATE", "/mirror").at("active").get<double>(), -1);
  EXPECT_EQ(cut1.scrape.Value("nats_stream_origin_lag", late), 0);
  EXPECT_FALSE(cut1.scrape.Value("nats_stream_origin_last_active_timestamp_seconds", late))
      << "never heard from: no made-up time";
  const double heard_before_cut = *cut1.scrape.Value("nats_stream_origin_last_active_timestamp_seconds", mirror.labels);

  // Mend the link: what was there before the cut resumes, the last-active times move again and
  // the lags are 0. LATE's first attempts failed: 2.9 retries every 2 s, 2.10.8+ backs off
  // (10 s more per failure; 35 s after the link was back on 2.15.3 by hand), so there it may
  // still be never heard from within the test's time, and farrier must say just that.
  relay = start_relay();
  const bool backs_off = farrier::test::ServerVersion(leaf) >= farrier::test::NatsVersion{2, 10, 8};
  ASSERT_TRUE(farrier::test::WaitUntil(
      [&] { return copied("BACKUP", 60) && copied("AGG", 60) && (backs_off || copied("LATE", 60)); }, 20s))
      << MonitorJson(leaf, kJszFull).dump(2) << leaf.LogTail();
  // LATE may first hear from its origin while farrier polls (the JSON before says never, farrier
  // or the JSON after say now): observe again until both sides of the poll agree.
  auto late_state = [](const Json& jsz) {
    const Json& o = Origin(jsz, "LATE", "/mirror");
    return std::make_pair(o.at("active").get<double>() >= 0, o.at("lag"));
  };
  Observed mended = Observe(f, leaf);
  for (int i = 0; i < 5 && late_state(mended.before) != late_state(mended.after); ++i) mended = Observe(f, leaf);
  ASSERT_EQ(late_state(mended.before), late_state(mended.after)) << "LATE kept changing while farrier polled";
  for (const Link& l : {mirror, source}) {
    EXPECT_GT(ExpectMatchesServer(mended, l), heard_before_cut + 4) << l.stream;
    EXPECT_EQ(mended.scrape.Value("nats_stream_origin_lag", l.labels), 0) << l.stream;
  }
  const Link late_link{"LATE", "/mirror", late};
  if (Origin(mended.before, "LATE", "/mirror").at("active").get<double>() >= 0) {
    EXPECT_GT(ExpectMatchesServer(mended, late_link), heard_before_cut + 4);
  } else {
    EXPECT_TRUE(backs_off) << "2.9 retries every 2 s: LATE should have heard from ORDERS by now";
    EXPECT_FALSE(mended.scrape.Value("nats_stream_origin_last_active_timestamp_seconds", late));
  }
  EXPECT_EQ(mended.scrape.Value("nats_stream_origin_lag", late),
            Origin(mended.before, "LATE", "/mirror").at("lag").get<double>());
}

}  // namespace
}  // namespace farrier::itest
