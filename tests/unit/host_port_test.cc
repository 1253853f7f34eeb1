// SplitHostPort: the one host:port reader of the monitoring URL and --web.listen-address.
#include "core/host_port.h"

#include <gtest/gtest.h>

namespace farrier {
namespace {

HostPort Split(std::string_view text) {
  HostPort hp;
  std::string error;
  EXPECT_TRUE(SplitHostPort(text, &hp, &error)) << text << ": " << error;
  return hp;
}

std::string ErrorOf(std::string_view text) {
  HostPort hp;
  std::string error;
  EXPECT_FALSE(SplitHostPort(text, &hp, &error)) << text;
  return error;
}

TEST(SplitHostPort, HostsPortsAndIpv6) {
  EXPECT_EQ(Split("127.0.0.1:8222").host, "127.0.0.1");
  EXPECT_EQ(Split("127.0.0.1:8222").port, 8222);
  EXPECT_EQ(Split("nats.example:0").port, 0);
  EXPECT_EQ(Split(":7778").host, "");
  EXPECT_EQ(Split(":7778").port, 7778);
  EXPECT_EQ(Split("[::1]:9000").host, "::1");
  EXPECT_EQ(Split("[::1]:9000").port, 9000);
  EXPECT_EQ(Split("[::1]").port, -1);
  EXPECT_EQ(Split("localhost").host, "localhost");
  EXPECT_EQ(Split("localhost").port, -1);
}

TEST(SplitHostPort, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(ErrorOf("host:99999"), "expected a port number 0-65535, got \"99999\"");
  EXPECT_EQ(ErrorOf("host:"), "expected a port number 0-65535, got \"\"");
  EXPECT_EQ(ErrorOf("host:80x"), "expected a port number 0-65535, got \"80x\"");
  EXPECT_EQ(ErrorOf("[::1:9000"), "unterminated IPv6 address in \"[::1:9000\"");
  EXPECT_EQ(ErrorOf("[::1]x9000"), "unexpected text after IPv6 address in \"[::1]x9000\"");
}

}  // namespace
}  // namespace farrier
