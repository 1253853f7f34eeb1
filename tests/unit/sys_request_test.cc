// Cluster mode's $SYS requests and replies: the subjects and option bodies farrier sends, and
// the replies every supported release sent a system-account user (tests/fixtures/sys/, captured
// by scripts/capture/sys.sh), unwrapped and handed to the same parsers as the HTTP bodies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "fixtures.h"
#include "sources/connz.h"
#include "sources/gatewayz.h"
#include "sources/healthz.h"
#include "sources/jsz.h"
#include "sources/leafz.h"
#include "sources/queue_groups.h"
#include "sources/routez.h"
#include "sources/subsz.h"
#include "sources/varz.h"
#include "transport/sys_request.h"

namespace farrier {
namespace {

const std::filesystem::path kRoot = std::filesystem::path(FARRIER_FIXTURES_ROOT) / "sys";

using test::CapturedReleases;
using test::ReleasesUnder;

std::string ReadSys(const std::string& release, const std::string& name) {
  const std::filesystem::path path = kRoot / ("nats-" + release) / name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing capture " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(SysRequest, SubjectsNameTheServerOrPingEveryone) {
  EXPECT_EQ(SysSubject({"varz", {}, "NABC"}), "$SYS.REQ.SERVER.NABC.VARZ");
  EXPECT_EQ(SysSubject({"connz"}), "$SYS.REQ.SERVER.PING.CONNZ");
  EXPECT_EQ(SysEndpointName("healthz"), "HEALTHZ");
  EXPECT_FALSE(SysEndpointName("accstatz").has_value()) << "not served over $SYS";
}

// The body uses the server's option struct names, which differ from the HTTP query's.
TEST(SysRequest, OptionsTakeTheNamesOfTheServersOptionStructs) {
  EXPECT_EQ(SysRequestBody({"varz"}), "");
  EXPECT_EQ(nlohmann::json::parse(SysRequestBody({"connz", {{"offset", uint64_t{4096}}, {"limit", uint64_t{1024}}}})),
            (nlohmann::json{{"offset", 4096}, {"limit", 1024}}));
  EXPECT_EQ(nlohmann::json::parse(SysRequestBody(
                {"subsz", {{"subs", true}, {"limit", uint64_t{100000}}, {"test", std::string("orders.new")}}})),
            (nlohmann::json{{"subscriptions", true}, {"limit", 100000}, {"test", "orders.new"}}));
  EXPECT_EQ(
      nlohmann::json::parse(SysRequestBody(
          {"jsz",
           {{"accounts", true}, {"streams", true}, {"consumers", true}, {"config", true}, {"leader-only", true}}})),
      (nlohmann::json{{"accounts", true},
                      {"streams", true},
                      {"consumer", true},
                      {"config", true},
                      {"leader_only", true}}));
  EXPECT_EQ(nlohmann::json::parse(SysRequestBody({"raftz", {{"acc", std::string("APP")}}})),
            (nlohmann::json{{"account", "APP"}}));
}

// Every release's replies: the server block, and `data` accepted by the endpoint's own parser
// with the values the capture promises.
TEST(SysReply, EveryReleasesRepliesUnwrapIntoTheHttpParsers) {
  const std::vector<std::string> releases = ReleasesUnder(kRoot);
  ASSERT_EQ(releases, CapturedReleases()) << "a release without $SYS captures: run scripts/capture/sys.sh";
  for (const std::string& release : releases) {
    SCOPED_TRACE(release);
    Result<SysReply> ping = ParseSysReply(ReadSys(release, "ping-statsz.json"));
    ASSERT_TRUE(ping) << ping.error();
    EXPECT_EQ(ping->server.name, "sys-capture");
    EXPECT_EQ(ping->server.version, release);
    const std::string id = ping->server.id;
    auto data = [&](const std::string& file) -> std::string {
      const std::string text = ReadSys(release, file);  // r->data points into it
      Result<SysReply> r = ParseSysReply(text);
      EXPECT_TRUE(r) << file << ": " << r.error();
      if (!r) return {};
      EXPECT_EQ(r->server.id, id) << file;
      EXPECT_EQ(r->error_code, 0) << file << ": " << r->error;
      return std::string(r->data);
    };
    Result<Varz> varz = ParseVarz(data("varz.json"));
    ASSERT_TRUE(varz) << varz.error();
    EXPECT_EQ(varz->server_id, id);
    Result<ConnzPage> connz = ParseConnzPage(data("connz.json"));
    ASSERT_TRUE(connz) << connz.error();
    EXPECT_EQ(connz->limit, 2u);
    EXPECT_EQ(connz->connections.size(), 2u);
    EXPECT_GE(connz->total, 4u);
    Result<SubsTest> subs = ParseSubsTest(data("subsz.json"));
    ASSERT_TRUE(subs) << subs.error();
    // The queue subscriber, and the stream's own subscription to orders.>.
    EXPECT_EQ(std::count_if(subs->subscriptions.begin(), subs->subscriptions.end(),
                            [](const QueueSubscription& q) { return q.queue_group == "workers"; }),
              1);
    Result<Jsz> jsz = ParseJsz(data("jsz.json"));
    ASSERT_TRUE(jsz) << jsz.error();
    EXPECT_EQ(jsz->streams, 1u);
    EXPECT_TRUE(ParseRoutez(data("routez.json"))) << release;
    EXPECT_TRUE(ParseSubsz(data("subsz.json"))) << release;
    EXPECT_TRUE(ParseHealthz(data("healthz.json"))) << release;
    EXPECT_TRUE(ParseLeafz(data("leafz.json"))) << release;
    EXPECT_TRUE(ParseGatewayz(data("gatewayz.json"))) << release;

    Result<SysReply> error = ParseSysReply(ReadSys(release, "error-options.json"));
    ASSERT_TRUE(error) << error.error();
    EXPECT_EQ(error->error_code, 400);
    EXPECT_FALSE(error->error.empty());
    EXPECT_TRUE(error->data.empty());
  }
}

TEST(SysReply, WhatIsNotAReplyIsRefusedWithItsKind) {
  for (const char* text :
       {"", "garbage", "{\"server\":{\"id\":\"N1\"},\"data\":{}", "{\"server\":{\"id\":\"N1\"}} x"}) {
    Result<SysReply> r = ParseSysReply(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error_kind(), ErrorKind::kInvalidJson) << text << ": " << r.error();
  }
  for (const char* text : {"{}", "{\"data\":{}}", "{\"server\":{\"id\":7},\"data\":{}}", "[]"}) {
    Result<SysReply> r = ParseSysReply(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error_kind(), ErrorKind::kSchema) << text << ": " << r.error();
  }
}

}  // namespace
}  // namespace farrier
