// Farrier's own HTTP listener: /healthz, the status page, 404s, and a taken address.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "harness.h"
#include "web/web_server.h"

namespace farrier::itest {
namespace {

TEST(Listener, HealthzIsOkWhileNatsIsDown) {
  Farrier f({"--nats.monitor-url", NobodyListens(), "--poll.interval", "300ms", "--poll.timeout", "200ms"});
  auto down = f.WaitFor([](const Scrape& s) { return s.Errors("varz", "connect") >= 1; }, 10s);
  ASSERT_TRUE(down) << f.Metrics().Describe();
  EXPECT_EQ(down->Value("nats_up"), 0);
  HttpResponse h = f.Get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body.substr(0, h.body.find_last_not_of("\r\n") + 1), "ok");
}

TEST(Listener, StatusPageLinksMetricsAndHealthz) {
  Farrier f({"--nats.monitor-url", NobodyListens()});
  HttpResponse r = f.Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.content_type.find("text/html"), std::string::npos) << r.content_type;
  EXPECT_NE(r.body.find("href=\"/metrics\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("href=\"/healthz\""), std::string::npos) << r.body;
}

// In process, with a page that takes as long as the test wants: four pages render at once, a
// fifth is answered 503 at once (a burst of reloads cannot take the cores /metrics needs), and
// once they are done the page is served again.
TEST(Listener, AtMostFourStatusPagesRenderAtOnce) {
  WebServerOptions options;
  options.listen_address = {"127.0.0.1", 0};
  WebServer web(options, [] { return TextPieces{}; });
  std::mutex mu;
  std::condition_variable cv;
  int rendering = 0;
  bool release = false;
  web.ServeStatusPage([&] {
    std::unique_lock lock(mu);
    ++rendering;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return WebServer::Page{"<p>page</p>", "default-src 'none'"};
  });
  std::string error;
  ASSERT_TRUE(web.Start(&error)) << error;
  const std::string url = "http://127.0.0.1:" + std::to_string(web.port()) + "/";

  std::vector<int> statuses(4, 0);
  std::vector<std::thread> slow;
  for (int i = 0; i < 4; ++i) slow.emplace_back([&, i] { statuses[i] = farrier::test::HttpGet(url, 10s).status; });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return rendering == 4; })) << rendering << " pages rendering";
  }
  HttpResponse fifth = farrier::test::HttpGet(url, 5s);
  EXPECT_EQ(fifth.status, 503) << fifth.body;
  EXPECT_EQ(fifth.headers.count("Retry-After"), 1u);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (std::thread& t : slow) t.join();
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 200}));
  HttpResponse again = farrier::test::HttpGet(url, 5s);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, "<p>page</p>");
  web.Stop();
}

TEST(Listener, MetricsContentType) {
  Farrier f({"--nats.monitor-url", NobodyListens()});
  HttpResponse r = f.Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << r.content_type;
}

TEST(Listener, UnknownPathIs404) {
  Farrier f({"--nats.monitor-url", NobodyListens()});
  for (const char* path : {"/nope", "/metrics/extra", "/varz", "/healthz/x"}) {
    EXPECT_EQ(f.Get(path).status, 404) << path;
  }
}

TEST(Listener, OccupiedAddressExitsWithAClearMessage) {
  // Hold a listening socket on a free port, then ask farrier to listen there too.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  Exited r = RunFarrier({"--nats.monitor-url", NobodyListens(), "--web.listen-address", address});
  ::close(fd);
  ASSERT_TRUE(r.code) << "farrier kept running on a taken address\n" << r.err;
  EXPECT_NE(*r.code, 0);
  EXPECT_NE(r.err.find(address), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--web.listen-address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in use"), std::string::npos) << "the reason should be the OS's: " << r.err;
}

}  // namespace
}  // namespace farrier::itest
