// The status page's history (fixed rings on one timeline, bounded lists, source states, probe
// latency quantiles) and its rendering (escaping, charts, the Content-Security-Policy).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <cmath>
#include <regex>
#include <string>

#include "status/history.h"
#include "status/status_page.h"
#include "status/svg_chart.h"

namespace farrier {
namespace {

using namespace std::chrono_literals;

const SteadyTime kStart = SteadyTime{} + 1000h;

Snapshot SourcesSnapshot(bool varz_up, const std::string& reason = "", const std::string& detail = "") {
  Snapshot s;
  s.polls = 1;
  s.status["varz"] = SourceStatus{.up = varz_up, .polled = true, .reason = reason, .detail = detail};
  s.status["connz"] = SourceStatus{.up = false, .polled = false};
  if (varz_up) {
    Varz v;
    v.server_name = "n1";
    v.connections = 7;
    s.MutableLocal().varz = v;
  }
  return s;
}

ScalingSnapshot OneService(const std::string& name, int workers, int desired) {
  ScalingSnapshot sc;
  sc.observed = true;
  ServiceSignal sig;
  sig.name = name;
  sig.members_known = true;
  sig.workers = workers;
  sig.desired_workers = desired;
  sig.window_seconds = 10;
  sig.observed_timeout_ratio = 0.05;
  sig.assessment.utilization = 0.5;
  sig.assessment.predicted_timeout_ratio = 0.04;
  sc.services.push_back(sig);
  return sc;
}

std::vector<double> Finite(const Timeline& t, const SeriesRing& r) {
  std::vector<double> out;
  for (const ChartPoint& p : Points(t, r)) {
    if (std::isfinite(p.value)) out.push_back(p.value);
  }
  return out;
}

TEST(StatusPage, HtmlEscapeCoversEveryCharacterThatEndsTextOrAnAttribute) {
  EXPECT_EQ(HtmlEscape(R"(<a href="x" title='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("plain.name-1_2"), "plain.name-1_2");
}

TEST(StatusHistory, SlotsAreAFiveSecondGridAndTheNewestValueOfASlotWins) {
  StatusHistory history(2s);  // the demo's interval: two or three polls share a slot
  for (int i = 0; i < 10; ++i) {
    ScalingSnapshot sc = OneService("echo", i, i + 1);
    history.Record(SourcesSnapshot(true), &sc, nullptr, kStart + i * 2s);
  }
  history.Read([](const StatusState& s) {
    EXPECT_EQ(s.timeline.slot_width, 5000ms);
    ASSERT_EQ(s.services.size(), 1u);
    // Polls at 0,2,4 | 6,8 | 10,12,14 | 16,18 s: the 5 s grid's slots, each with its last poll's
    // value, so 180 slots still span 15 minutes.
    EXPECT_EQ(Finite(s.timeline, s.services[0].workers), (std::vector<double>{2, 4, 7, 9}));
    EXPECT_EQ(Finite(s.timeline, s.services[0].desired), (std::vector<double>{3, 5, 8, 10}));
  });
}

TEST(StatusHistory, TheRingKeepsTheLastFifteenMinutesOnly) {
  StatusHistory history(5s);
  const int polls = static_cast<int>(kHistorySlots) + 40;
  for (int i = 0; i < polls; ++i) {
    ScalingSnapshot sc = OneService("echo", i, i);
    history.Record(SourcesSnapshot(true), &sc, nullptr, kStart + i * 5s);
  }
  history.Read([&](const StatusState& s) {
    EXPECT_EQ(s.timeline.filled, kHistorySlots);
    std::vector<ChartPoint> points = Points(s.timeline, s.services[0].workers);
    ASSERT_EQ(points.size(), kHistorySlots);
    EXPECT_EQ(points.front().value, polls - static_cast<int>(kHistorySlots));  // oldest kept
    EXPECT_EQ(points.back().value, polls - 1);
    for (size_t i = 1; i < points.size(); ++i) EXPECT_EQ(points[i].at - points[i - 1].at, 5s);
  });
}

TEST(StatusHistory, TwoSecondPollsFillTheRingWithExactlyFifteenMinutes) {
  StatusHistory history(2s);  // does not divide the 5 s slot
  ScalingSnapshot sc = OneService("echo", 1, 1);
  for (int i = 0; i < 1000; ++i) history.Record(SourcesSnapshot(true), &sc, nullptr, kStart + i * 2s);
  history.Read([](const StatusState& s) {
    std::vector<ChartPoint> points = Points(s.timeline, s.services[0].workers);
    ASSERT_EQ(points.size(), kHistorySlots);
    EXPECT_LT(points.back().at - points.front().at, kHistorySpan);
    EXPECT_GE(points.back().at - points.front().at, kHistorySpan - 10s);
  });
}

TEST(StatusHistory, ASeriesThatAppearsLaterHasNoValuesBeforeIt) {
  StatusHistory history(5s);
  ScalingSnapshot one = OneService("a", 1, 1);
  history.Record(SourcesSnapshot(true), &one, nullptr, kStart);
  ScalingSnapshot two = OneService("a", 1, 1);
  two.services.push_back(OneService("b", 4, 6).services[0]);
  history.Record(SourcesSnapshot(true), &two, nullptr, kStart + 5s);
  history.Read([](const StatusState& s) {
    ASSERT_EQ(s.services.size(), 2u);
    EXPECT_EQ(Finite(s.timeline, s.services[0].workers).size(), 2u);
    EXPECT_EQ(Finite(s.timeline, s.services[1].workers), (std::vector<double>{4}));
  });
  // And one that is no longer there is dropped with its rings.
  history.Record(SourcesSnapshot(true), &one, nullptr, kStart + 10s);
  history.Read([](const StatusState& s) { EXPECT_EQ(s.services.size(), 1u); });
}

TEST(StatusHistory, AReloadCarriesTheChartsOver) {
  StatusHistory before(5s);
  for (int i = 0; i < 3; ++i) {
    ScalingSnapshot sc = OneService("echo", i + 1, 4);
    before.Record(SourcesSnapshot(true), &sc, nullptr, kStart + i * 5s);
  }
  StatusHistory after(2s);
  after.ContinueFrom(before);
  ScalingSnapshot sc = OneService("echo", 9, 4);
  after.Record(SourcesSnapshot(true), &sc, nullptr, kStart + 15s);
  after.Read([](const StatusState& s) {
    EXPECT_EQ(Finite(s.timeline, s.services[0].workers), (std::vector<double>{1, 2, 3, 9}));
  });
}

TEST(StatusHistory, ASourceKeepsItsLastErrorAfterItRecovers) {
  StatusHistory history(5s);
  history.Record(SourcesSnapshot(true), nullptr, nullptr, kStart);
  history.Record(SourcesSnapshot(false, "connect", "connection refused"), nullptr, nullptr, kStart + 5s);
  history.Record(SourcesSnapshot(false, "connect", "connection refused"), nullptr, nullptr, kStart + 10s);
  history.Read([](const StatusState& s) {
    const SourceState& varz = s.sources[1];  // by name: connz, varz
    ASSERT_EQ(varz.name, "varz");
    EXPECT_FALSE(varz.up);
    EXPECT_EQ(varz.since, kStart + 5s);  // down since the first failure, not the latest
    EXPECT_EQ(varz.reason, "connect");
  });
  history.Record(SourcesSnapshot(true), nullptr, nullptr, kStart + 15s);
  history.Read([](const StatusState& s) {
    const SourceState& varz = s.sources[1];
    EXPECT_TRUE(varz.up);
    EXPECT_EQ(varz.since, kStart + 15s);
    EXPECT_TRUE(varz.reason.empty());
    ASSERT_TRUE(varz.last_error_at);
    EXPECT_EQ(*varz.last_error_at, kStart + 10s);
    EXPECT_EQ(varz.last_error_detail, "connection refused");
    EXPECT_FALSE(s.sources[0].polled);  // connz: enabled, never polled
  });
}

TEST(StatusHistory, ProbeLatencyQuantilesAreOverTheLastMinute) {
  StatusHistory history(5s);
  ServicesSnapshot probes;
  probes.nats_configured = probes.nats_connected = true;
  probes.services.push_back(ServiceConfig{.name = "echo"});
  ServiceStats stats;
  stats.latency = Histogram({0.01, 0.02, 0.05, 0.1});
  stats.probed = stats.up = true;
  probes.stats.push_back(stats);
  // A minute of slow answers (50-100 ms), then a minute of fast ones (10-20 ms).
  for (int i = 0; i <= 24; ++i) {
    for (int k = 0; k < 5; ++k) probes.stats[0].latency.Observe(i <= 12 ? 0.07 : 0.015);
    history.Record(SourcesSnapshot(true), nullptr, &probes, kStart + i * 5s);
  }
  history.Read([](const StatusState& s) {
    const ServiceState& svc = s.services[0];
    EXPECT_EQ(svc.recent_answers, 60u);  // 12 polls x 5 answers after the base sample
    EXPECT_GT(svc.p50_seconds, 0.01);
    EXPECT_LE(svc.p50_seconds, 0.02);
    EXPECT_LE(svc.p99_seconds, 0.02);  // the slow minute has left the window
    // The chart saw the quantiles move from the slow minute to the fast one.
    std::vector<double> p50 = Finite(s.timeline, svc.p50);
    ASSERT_FALSE(p50.empty());
    EXPECT_GT(*std::max_element(p50.begin(), p50.end()), 0.05);
    EXPECT_LE(p50.back(), 0.02);
  });
}

TEST(StatusHistory, ServersAreCappedAndThoseGoneForTheWholeSpanAreDropped) {
  StatusHistory history(5s);
  Snapshot s = SourcesSnapshot(true);
  s.servers.clear();
  s.cluster.enabled = true;
  for (size_t i = 0; i < kMaxStatusServers + 5; ++i) {
    ServerView v;
    v.answered = true;
    v.server_name = "server-" + std::to_string(i);
    s.servers["id-" + std::to_string(1000 + i)] = v;
  }
  history.Record(s, nullptr, nullptr, kStart);
  history.Read([](const StatusState& st) {
    EXPECT_EQ(st.servers.size(), kMaxStatusServers);
    EXPECT_EQ(st.servers_left_out, 5u);
  });
  Snapshot one = s;
  one.servers.erase(std::next(one.servers.begin()), one.servers.end());
  history.Record(one, nullptr, nullptr, kStart + 5s);
  history.Read([](const StatusState& st) { EXPECT_EQ(st.servers.size(), kMaxStatusServers); });  // kept a while
  history.Record(one, nullptr, nullptr, kStart + kHistorySpan + 10s);
  history.Read([](const StatusState& st) { EXPECT_EQ(st.servers.size(), 1u); });
}

TEST(StatusHistory, MemoryAtTheCapsIsWhatTheDocsSay) {
  // status/history.h and docs/status-page.md: under 4 MB at the caps.
  StatusHistory history(1s);
  ScalingSnapshot sc;
  ServicesSnapshot probes;
  for (size_t i = 0; i < kMaxStatusServices + 10; ++i) {
    sc.services.push_back(OneService("svc-" + std::to_string(i), 3, 4).services[0]);
    probes.services.push_back(ServiceConfig{.name = "svc-" + std::to_string(i)});
    ServiceStats stats;
    stats.latency = Histogram(std::vector<double>(20, 0));
    for (size_t b = 0; b < 20; ++b) stats.latency.bounds[b] = 0.001 * (b + 1);
    probes.stats.push_back(stats);
  }
  for (size_t i = 0; i < kMaxStatusConsumers + 10; ++i) {
    ConsumerSignal c;
    c.stream = "STREAM";
    c.consumer = "consumer-" + std::to_string(i);
    sc.consumers.push_back(c);
  }
  Snapshot s = SourcesSnapshot(true);
  s.servers.clear();
  s.cluster.enabled = true;
  for (size_t i = 0; i < kMaxStatusServers; ++i) s.servers["id-" + std::to_string(i)] = ServerView{};
  for (int i = 0; i < 200; ++i) history.Record(s, &sc, &probes, kStart + i * 1s);
  history.Read([](const StatusState& st) {
    EXPECT_EQ(st.services.size(), kMaxStatusServices);
    EXPECT_EQ(st.services_left_out, 10u);
    EXPECT_EQ(st.consumers.size(), kMaxStatusConsumers);
    EXPECT_EQ(st.consumers_left_out, 10u);
  });
  EXPECT_LT(history.MemoryBytes(), 4.0e6);
  EXPECT_GT(history.MemoryBytes(), 3.0e6);  // the rings are really there
}

// ---------------------------------------------------------------- rendering

std::string Sha256Base64(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha256(), nullptr);
  unsigned char out[128];
  int len = EVP_EncodeBlock(out, digest, static_cast<int>(n));
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(len));
}

std::string Between(const std::string& text, const std::string& open, const std::string& close) {
  size_t a = text.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  return text.substr(a, text.find(close, a) - a);
}

TEST(StatusPage, NamesFromNatsAreTextAndOnlyThePagesOwnScriptAndStyleMayRun) {
  StatusHistory history(5s);
  ScalingSnapshot sc = OneService("echo", 2, 3);
  ConsumerSignal c;
  c.stream = "<script>alert(1)</script>";
  c.consumer = "\"><img src=x onerror=alert(2)>";
  c.found = true;
  c.lag = 42;
  sc.consumers.push_back(c);
  for (int i = 0; i < 3; ++i) {
    history.Record(SourcesSnapshot(false, "status", "HTTP 500: <b>oops</b>"), &sc, nullptr, kStart + i * 5s);
  }
  std::string page;
  history.Read([&](const StatusState& s) {
    page = RenderStatusPage(s, {.version = "1.2.3", .polled = "http://x:8222/<i>", .poll_interval = 5000ms},
                            kStart + 12s);
  });
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>oops"), std::string::npos);
  EXPECT_EQ(page.find("<i>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(page.find("HTTP 500: &lt;b&gt;oops&lt;/b&gt;"), std::string::npos);
  // One script element, one style element: the page's own, which the policy names by hash.
  EXPECT_EQ(page.find("<style", page.find("<style") + 1), std::string::npos);
  EXPECT_EQ(page.find("<script", page.find("<script") + 1), std::string::npos);
  const std::string& csp = StatusPageContentSecurityPolicy();
  EXPECT_NE(csp.find("script-src 'sha256-" + Sha256Base64(Between(page, "<script>", "</script>")) + "'"),
            std::string::npos)
      << csp;
  EXPECT_NE(csp.find("style-src 'sha256-" + Sha256Base64(Between(page, "<style>", "</style>")) + "'"),
            std::string::npos)
      << csp;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
}

TEST(StatusPage, ShowsEveryPartWithItsFiguresAndCharts) {
  StatusHistory history(5s);
  ScalingSnapshot sc = OneService("echo", 3, 12);
  for (int i = 0; i < 4; ++i) {
    sc.services[0].workers = 3 + i;
    history.Record(SourcesSnapshot(true), &sc, nullptr, kStart + i * 5s);
  }
  std::string page;
  history.Read([&](const StatusState& s) {
    page = RenderStatusPage(
        s, {.version = "1.2.3", .polled = "http://127.0.0.1:8222", .poll_interval = 5000ms, .scaling_api = true},
        kStart + 16s);
  });
  EXPECT_NE(page.find("polling <code>http://127.0.0.1:8222</code> every 5000 ms"), std::string::npos);
  EXPECT_NE(page.find("href=\"/metrics\""), std::string::npos);
  EXPECT_NE(page.find("href=\"/api/v1/scaling\""), std::string::npos);
  EXPECT_NE(page.find("data-refresh-ms=\"5000\""), std::string::npos);
  EXPECT_NE(page.find("<tr data-source=\"varz\"><td><code>varz</code></td><td class=\"up\">up for 16 s</td>"),
            std::string::npos);
  EXPECT_NE(page.find("<td class=\"idle\">not polled yet</td>"), std::string::npos);  // connz
  EXPECT_NE(page.find("<tr data-server=\"n1\">"), std::string::npos);
  // The service row: 6 now, 12 desired, and a chart with a point per slot for both.
  std::string row = Between(page, "<tr data-service=\"echo\">", "</tr>");
  ASSERT_FALSE(row.empty()) << page;
  EXPECT_NE(row.find("6 → <span class=\"desired\">12</span>"), std::string::npos) << row;
  std::string workers = Between(row, "<polyline class=\"now\" points=\"", "\"");
  std::string desired = Between(row, "<polyline class=\"want\" points=\"", "\"");
  EXPECT_EQ(std::count(workers.begin(), workers.end(), ','), 4) << row;
  EXPECT_EQ(std::count(desired.begin(), desired.end(), ','), 4) << row;
  // Rising workers: y falls (SVG y grows downwards) from point to point.
  std::regex point("([0-9.]+),([0-9.]+)");
  std::vector<double> ys;
  for (auto it = std::sregex_iterator(workers.begin(), workers.end(), point); it != std::sregex_iterator(); ++it) {
    ys.push_back(std::stod((*it)[2]));
  }
  ASSERT_EQ(ys.size(), 4u);
  EXPECT_GT(ys[0], ys[1]);
  EXPECT_GT(ys[2], ys[3]);
  EXPECT_NE(row.find("50 %"), std::string::npos) << row;  // utilization
}

TEST(StatusPage, BeyondThirtyTwoServicesOnlyThoseThatNeedAttentionMostHaveCharts) {
  StatusHistory history(5s);
  ScalingSnapshot sc;
  for (int i = 0; i < 40; ++i) {
    // Service 35 misses the most workers, 36 the next most; the rest have what they need.
    int desired = i == 35 ? 9 : i == 36 ? 5 : 2;
    sc.services.push_back(OneService("svc-" + std::to_string(i), 2, desired).services[0]);
  }
  history.Record(SourcesSnapshot(true), &sc, nullptr, kStart);
  history.Record(SourcesSnapshot(true), &sc, nullptr, kStart + 5s);
  std::string page;
  history.Read([&](const StatusState& s) { page = RenderStatusPage(s, {.poll_interval = 5000ms}, kStart + 6s); });
  auto row = [&](int i) { return Between(page, "<tr data-service=\"svc-" + std::to_string(i) + "\">", "</tr>"); };
  EXPECT_LT(page.find("data-service=\"svc-35\""), page.find("data-service=\"svc-36\""));
  EXPECT_LT(page.find("data-service=\"svc-36\""), page.find("data-service=\"svc-0\""));
  EXPECT_NE(row(35).find("<svg"), std::string::npos);
  EXPECT_NE(row(29).find("<svg"), std::string::npos);  // 2 + the first 30 in configured order
  EXPECT_EQ(row(30).find("<svg"), std::string::npos) << row(30);
  EXPECT_NE(row(30).find("2 → <span class=\"desired\">2</span>"), std::string::npos);  // figures still there
  EXPECT_NE(page.find("the other 8 below them, figures only"), std::string::npos);
}

TEST(StatusPage, FiguresAreWrittenForPeople) {
  EXPECT_EQ(FormatCount(12), "12");
  EXPECT_EQ(FormatCount(12345), "12k");
  EXPECT_EQ(FormatCount(std::nan("")), "–");
  EXPECT_EQ(FormatRatio(0.0042), "0.42 %");
  EXPECT_EQ(FormatRatio(0.25), "25 %");
  EXPECT_EQ(FormatSeconds(0.0123), "12.3 ms");
  EXPECT_EQ(FormatSeconds(0.000850), "850 µs");
  EXPECT_EQ(FormatSeconds(1.25), "1.25 s");
  EXPECT_EQ(FormatAge(95s), "95 s");
  EXPECT_EQ(FormatAge(7500s), "2 h 5 min");
}

}  // namespace
}  // namespace farrier
