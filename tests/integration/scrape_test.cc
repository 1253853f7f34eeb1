// Scrapes never poll: however often /metrics is read, farrier polls the server once per
// --poll.interval, as the server's own request counters (/varz http_req_stats) confirm.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "harness.h"

namespace farrier::itest {
namespace {

using farrier::test::HttpGet;
using farrier::test::HttpGetOptions;

using Clock = std::chrono::steady_clock;

// The server's counts of requests to /varz (this very request included) and /connz, from one
// GET /varz.
struct RequestCounts {
  double varz = 0, connz = 0;
};
RequestCounts Requests(const NatsServer& server) {
  Json stats = MonitorJson(server, "/varz").at("http_req_stats");
  return {stats.value("/varz", 0.0), stats.value("/connz", 0.0)};
}

TEST(Scrapes, NeverPoll) {
  NatsServer server;
  constexpr auto kInterval = 2s;
  Farrier f({"--nats.monitor-url", server.monitor_url(), "--poll.interval", "2s", "--poll.timeout", "1s"});
  auto first = f.WaitFor([](const Scrape& s) { return s.Polls() >= 1 && s.NatsUp(); }, 10s);
  ASSERT_TRUE(first) << f.Metrics().Describe();

  // Phase 1: right after a poll, 50 scrapes well inside one interval cause no poll at all.
  auto fresh = f.WaitForPolls(first->Polls() + 1, 10s);
  ASSERT_TRUE(fresh);
  auto t0 = Clock::now();
  const RequestCounts a = Requests(server);
  const double polls_a = f.Metrics().Polls();
  double age_prev = -1;
  for (int i = 0; i < 50; ++i) {
    Scrape s = f.Metrics();
    ASSERT_TRUE(s.ok()) << s.Describe();
    ASSERT_TRUE(s.NatsUp());
    double age = s.Number("nats_exporter_snapshot_age_seconds");
    if (s.Polls() == polls_a) {
      EXPECT_GE(age, age_prev) << "the same snapshot cannot get younger";
      age_prev = age;
    }
  }
  const double polls_b = f.Metrics().Polls();
  const RequestCounts b = Requests(server);
  const auto elapsed = Clock::now() - t0;
  // Farrier's /varz reads in the window: our second read does not count.
  const double farrier_reads = b.varz - a.varz - 1;
  EXPECT_LE(polls_b - polls_a, std::floor(std::chrono::duration<double>(elapsed) / kInterval) + 1);
  EXPECT_LE(farrier_reads, polls_b - polls_a + 1) << "scrapes caused /varz requests";
  if (elapsed < kInterval - 300ms) {  // the usual case: the window fits between two polls
    EXPECT_EQ(polls_b, polls_a);
    EXPECT_EQ(farrier_reads, 0) << "50 scrapes caused " << farrier_reads << " /varz requests";
    EXPECT_EQ(b.connz - a.connz, 0);
  }

  // Phase 2: scrape continuously for a bit over two intervals; the server sees exactly one
  // /varz and one /connz request per poll (the one in flight at either end may fall outside).
  const RequestCounts c = Requests(server);
  const double polls_c = f.Metrics().Polls();
  auto t1 = Clock::now();
  int scrapes = 0;
  while (Clock::now() - t1 < 4500ms) {
    ASSERT_EQ(f.Get("/metrics").status, 200);
    ++scrapes;
  }
  const double polls_d = f.Metrics().Polls();
  const RequestCounts d = Requests(server);
  const double span = std::chrono::duration<double>(Clock::now() - t1) / kInterval;
  const double polls = polls_d - polls_c;
  EXPECT_GT(scrapes, 50);
  EXPECT_LE(polls, std::floor(span) + 1) << "polled faster than every 2s";
  EXPECT_GE(polls, std::floor(span) - 1) << "polling stalled";
  EXPECT_NEAR(d.varz - c.varz - 1, polls, 1) << scrapes << " scrapes";
  EXPECT_NEAR(d.connz - c.connz, polls, 1) << scrapes << " scrapes";
}

// Between two polls every scrape gets the snapshot's series as the same bytes (rendered once
// per snapshot), only the age moves; gzip when asked, never brotli on any endpoint (httplib's
// brotli took seconds of CPU for a few MB), and the gzip body decodes to the same text.
TEST(Scrapes, OneSnapshotIsServedAsTheSameBytesGzipButNeverBrotli) {
  NatsServer server;
  Farrier f({"--nats.monitor-url", server.monitor_url(), "--poll.interval", "3s", "--poll.timeout", "1s"});
  auto first = f.WaitFor([](const Scrape& s) { return s.Polls() >= 1 && s.NatsUp(); }, 10s);
  ASSERT_TRUE(first) << f.Metrics().Describe();
  ASSERT_TRUE(f.WaitForPolls(first->Polls() + 1, 10s));  // just after a poll: a window of ~3 s
  // Everything but the lines that may change between two scrapes of one snapshot.
  auto stable = [](const std::string& body) {
    std::string out;
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
      if (line.find("nats_exporter_snapshot_age_seconds") == std::string::npos) out += line + "\n";
    }
    return out;
  };
  HttpResponse a = f.Get("/metrics");
  HttpGetOptions gzip;
  gzip.headers = {{"Accept-Encoding", "br, gzip"}};
  HttpResponse b = HttpGet(f.Url("/metrics"), gzip);
  HttpGetOptions br;
  br.headers = {{"Accept-Encoding", "br"}};
  HttpResponse c = HttpGet(f.Url("/metrics"), br);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.error << b.error << c.error;
  Scrape after = f.Metrics();
  if (after.Polls() != first->Polls() + 1) GTEST_SKIP() << "a poll fell between the scrapes; nothing to compare";
  EXPECT_EQ(stable(a.body), stable(b.body));
  EXPECT_EQ(stable(a.body), stable(c.body));
  EXPECT_NE(a.body.find("nats_exporter_snapshot_age_seconds "), std::string::npos);
  auto encoding = [](const HttpResponse& r) {
    auto it = r.headers.find("Content-Encoding");
    return it == r.headers.end() ? std::string() : it->second;
  };
  EXPECT_EQ(encoding(a), "");
  EXPECT_EQ(encoding(b), "gzip");
  EXPECT_EQ(encoding(c), "") << "a client asking only for brotli gets plain text";
  HttpResponse page = HttpGet(f.Url("/"), br);  // every endpoint, not only /metrics
  ASSERT_TRUE(page.ok()) << page.error;
  EXPECT_EQ(encoding(page), "");
}

// A scrape answers from the last snapshot even while a poll is stuck on a frozen server.
TEST(Scrapes, DoNotWaitForAStuckPoll) {
  NatsServer server;
  Farrier f({"--nats.monitor-url", server.monitor_url(), "--poll.interval", "2s", "--poll.timeout", "1500ms"});
  auto first = f.WaitFor([](const Scrape& s) { return s.Polls() >= 1 && s.NatsUp(); }, 10s);
  ASSERT_TRUE(first) << f.Metrics().Describe();
  // Right after a poll completes, freeze the server; the next poll starts about 2s later and
  // hangs for 1.5s. Scrape throughout that window.
  auto fresh = f.WaitForPolls(first->Polls() + 1, 10s, 5ms);
  ASSERT_TRUE(fresh);
  const auto t0 = Clock::now();
  server.Pause();
  std::this_thread::sleep_until(t0 + 2200ms);
  Clock::duration slowest{};
  int scrapes = 0;
  while (Clock::now() < t0 + 3200ms) {
    auto s0 = Clock::now();
    Scrape s = f.Metrics();
    slowest = std::max(slowest, Clock::now() - s0);
    ASSERT_TRUE(s.ok()) << s.Describe();
    EXPECT_EQ(s.Polls(), fresh->Polls()) << "the stuck poll cannot have completed yet";
    EXPECT_TRUE(s.NatsUp()) << "the last completed poll was good";
    ++scrapes;
    std::this_thread::sleep_for(20ms);
  }
  server.Resume();
  EXPECT_GE(scrapes, 10);
  EXPECT_LT(slowest, 500ms) << "a scrape waited for the stuck poll";
  // Polling goes on once the server runs again.
  auto after = f.WaitFor([&](const Scrape& s) { return s.Polls() >= fresh->Polls() + 2 && s.NatsUp(); }, 10s);
  EXPECT_TRUE(after) << f.Metrics().Describe();
}

}  // namespace
}  // namespace farrier::itest
