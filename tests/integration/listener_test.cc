// Farrier's own HTTP listener: /healthz, the landing page, 404s, and a taken address.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

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
