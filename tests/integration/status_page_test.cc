// The status page at / in a real browser: headless Chromium (Debian's `chromium`, or the one
// FARRIER_CHROMIUM names) loads it from a farrier probing and sizing a real worker pool, while a
// consumer with a backlog waits on a stream, on a nats-server whose name is HTML. The DOM after
// the page's own script has refreshed it must hold the service row with figures and charts with
// points, the names as text, and no script but the page's; a screenshot is kept in
// <build>/test-artifacts/ for people to look at.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness.h"
#include "support/temp_dir.h"

namespace farrier::itest {
namespace {

using farrier::test::TempDir;

// Offline, no first-run work, no sandbox (tests run as root in CI), a profile of its own.
std::vector<std::string> ChromiumCommand(const std::filesystem::path& profile) {
  const char* chromium = std::getenv("FARRIER_CHROMIUM");
  return {chromium && *chromium ? chromium : "chromium",
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--no-first-run",
          "--no-default-browser-check",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-extensions",
          "--hide-scrollbars",
          "--user-data-dir=" + profile.string()};
}

// Runs Chromium to completion; its stdout (the DOM with --dump-dom).
std::string RunChromium(std::vector<std::string> args, const std::filesystem::path& profile) {
  std::vector<std::string> argv = ChromiumCommand(profile);
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess browser(argv);
  std::optional<int> code = browser.WaitExit(90s);
  EXPECT_EQ(code, 0) << "chromium (Debian: apt-get install chromium; or set FARRIER_CHROMIUM) failed:\n"
                     << browser.ReadStderr();
  return browser.ReadStdout();
}

std::string Between(const std::string& text, const std::string& open, const std::string& close) {
  size_t a = text.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  size_t b = text.find(close, a);
  return b == std::string::npos ? "" : text.substr(a, b - a);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(StatusPage, ChromiumShowsTheServiceRowChartsAndNamesAsText) {
  TempDir dir("farrier-status-page");
  // A server name is whatever the operator wrote; NATS lets it hold markup (no spaces).
  const std::string evil_server = "<script>document.title='pwned'</script>";
  NatsServer server({.name = evil_server, .jetstream = true});
  // Stream names cannot hold '>' (nor '.', '*', spaces); what is left of a tag must stay text.
  const std::string evil_stream = "<img<script";
  ChildProcess setup({NATSKIT_BINARY, "js-setup", "--url", server.client_url(), "--stream", evil_stream, "--subjects",
                      "orders.>", "--publish", "30", "--consumer", "worker", "--fetch", "5"});
  ASSERT_EQ(setup.WaitExit(30s), 0) << setup.ReadStderr();

  std::vector<std::unique_ptr<ChildProcess>> pool;
  for (int i = 0; i < 2; ++i) {
    pool.push_back(std::make_unique<ChildProcess>(std::vector<std::string>{
        FARRIER_SAMPLE_WORKER, "--url", server.client_url(), "--subject", "api.echo", "--queue", "workers",
        "--concurrency", "2", "--service-time", "5ms", "--overflow", "drop", "--seed", std::to_string(i + 3)}));
    ASSERT_TRUE(pool.back()->WaitForOutput("ready", 10s)) << pool.back()->ReadStderr();
  }
  ChildProcess load({FARRIER_LOADGEN, "--url", server.client_url(), "--subject", "api.echo", "--rate", "50",
                     "--duration", "120s", "--timeout", "1s", "--arrivals", "poisson", "--seed", "9"});

  Json config{{"nats", {{"url", server.client_url()}, {"monitor_url", server.monitor_url()}}},
              {"poll", {{"interval", "1s"}}},
              {"scaling", {{"window", "10s"}}},
              {"services", Json::array({{{"name", "echo"},
                                         {"subject", "api.echo"},
                                         {"queue_group", "workers"},
                                         {"worker_concurrency", 2},
                                         {"overflow", "drop"},
                                         {"probe", {{"interval", "200ms"}, {"timeout", "1s"}}}}})},
              {"consumers", Json::array({{{"stream", evil_stream}, {"consumer", "worker"}, {"lag_threshold", 10}}})}};
  std::filesystem::path file = dir.path() / "farrier.json";
  std::ofstream(file) << config.dump(2);
  Farrier f({"--config", file.string()});

  // A chart line needs two slots (5 s each) with figures: wait for three.
  auto ready = f.WaitFor(
      [](const Scrape& s) {
        return s.Polls() >= 13 && s.Value("nats_service_workers", {{"service", "echo"}}) == 2;
      },
      30s, nullptr, 200ms);
  ASSERT_TRUE(ready) << f.Metrics().Describe() << f.Stderr();

  const std::filesystem::path profile = dir.path() / "chromium";
  // --virtual-time-budget lets the page's refresh timer fire (it fetches / again and replaces the
  // figures): "updated" appears only if the script ran, which the page's CSP allows by hash.
  std::string dom = RunChromium({"--virtual-time-budget=4000", "--dump-dom", f.Url("/")}, profile);
  ASSERT_FALSE(dom.empty());

  EXPECT_NE(dom.find("<title>Farrier status</title>"), std::string::npos) << "the server name ran as a script";
  EXPECT_EQ(Count(dom, "<script"), 1u) << dom;  // the page's own
  EXPECT_EQ(dom.find("<img"), std::string::npos) << dom;
  EXPECT_NE(dom.find("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), std::string::npos) << dom;
  EXPECT_NE(dom.find("<code>&lt;img&lt;script</code> / <code>worker</code>"), std::string::npos) << dom;
  EXPECT_NE(Between(dom, "<span id=\"refresh\" class=\"small\">", "</span>").find("updated"), std::string::npos)
      << "the refresh script did not run or failed:\n"
      << Between(dom, "<span id=\"refresh\"", "</p>");

  std::string row = Between(dom, "<tr data-service=\"echo\">", "</tr>");
  ASSERT_FALSE(row.empty()) << dom;
  EXPECT_NE(row.find("answering"), std::string::npos) << row;
  EXPECT_NE(row.find("<span class=\"fig workers\">2 → "), std::string::npos) << row;
  std::string workers = Between(row, "<polyline class=\"now\" points=\"", "\"");
  EXPECT_GE(Count(workers, ","), 2u) << "the workers chart has no line:\n" << row;
  std::string desired = Between(row, "<polyline class=\"want\" points=\"", "\"");
  EXPECT_GE(Count(desired, ","), 2u) << row;

  std::string consumer = Between(dom, "<tr data-consumer=", "</tr>");
  EXPECT_NE(consumer.find("led by this server"), std::string::npos) << consumer;
  EXPECT_GE(Count(Between(consumer, "<polyline class=\"now\" points=\"", "\""), ","), 2u) << consumer;

  // For people: what the page looked like, kept with the test's output.
  std::filesystem::path artifacts = std::filesystem::path(FARRIER_TEST_ARTIFACTS);
  std::filesystem::create_directories(artifacts);
  std::filesystem::path shot = artifacts / "status-page.png";
  std::filesystem::remove(shot);
  RunChromium({"--window-size=1300,900", "--screenshot=" + shot.string(), f.Url("/")}, profile);
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 10000u);
  std::cout << "status page screenshot: " << shot.string() << "\n";
  pool.clear();
}

}  // namespace
}  // namespace farrier::itest
