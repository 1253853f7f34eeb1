// The transport seam (transport/endpoint.h, transport/fetcher.h) and the snapshot's per-server
// views: requests say which endpoint, which options and which server, whatever carries them; the
// single-server poll functions fill the view of whichever server their fetcher addresses.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "capture_fetcher.h"
#include "polled_snapshot.h"
#include "rendered.h"
#include "snapshot/registry.h"
#include "snapshot/render.h"
#include "snapshot/snapshot.h"
#include "transport/endpoint.h"
#include "transport/fetcher.h"

namespace farrier {
namespace {

const char* const kRelease = "2.15.3";

TEST(HttpTarget, EndpointAloneIsItsPath) { EXPECT_EQ(HttpTarget({"varz"}), "/varz"); }

TEST(HttpTarget, OptionsInOrderTypedAndEscaped) {
  EndpointRequest r{"subsz", {{"subs", true}, {"limit", uint64_t{4096}}, {"test", std::string("orders.*.new &x=1")}}};
  EXPECT_EQ(HttpTarget(r), "/subsz?subs=true&limit=4096&test=orders.%2A.new%20%26x%3D1");
  EXPECT_EQ(HttpTarget({"healthz", {{"js-enabled-only", false}}}), "/healthz?js-enabled-only=false");
  EXPECT_EQ(HttpTarget({"raftz", {{"acc", std::string("$G")}}}), "/raftz?acc=%24G");
}

TEST(Fetcher, DescribeNamesTheServerWhenTheRequestDoes) {
  test::CaptureFetcher any(std::string(kRelease), {});
  EXPECT_EQ(any.Describe({"connz", {{"offset", uint64_t{0}}}}), "GET /connz?offset=0");
  EXPECT_EQ(any.Describe({"varz", {}, "NABC"}), "GET /varz from server NABC");
}

// Over HTTP the URL decides which server answers: a request for another one is refused before
// anything is sent (port 1 on loopback: nothing listens, a sent request would fail otherwise).
TEST(HttpFetcher, RefusesARequestNamingAServer) {
  MonitorUrl url;
  std::string error;
  ASSERT_TRUE(ParseMonitorUrl("http://127.0.0.1:1", &url, &error)) << error;
  std::unique_ptr<Fetcher> http = MakeHttpFetcher(url);
  http->StartPoll({std::chrono::steady_clock::now() + std::chrono::seconds(1), 1 << 20});
  FetchResult got = http->Fetch({"varz", {}, "NABC"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(*got.failure, ErrorKind::kConnect);
  EXPECT_NE(got.detail.find("HTTP reaches only the server at http://127.0.0.1:1, not server NABC"), std::string::npos)
      << got.detail;
  // The same fetcher without a server name does send, and finds nothing listening.
  FetchResult local = http->Fetch({"varz"});
  ASSERT_FALSE(local.ok());
  EXPECT_EQ(*local.failure, ErrorKind::kConnect) << local.detail;
  EXPECT_EQ(local.detail.find("not server"), std::string::npos) << local.detail;
}

// A transport that reaches many servers and answers each from its own captures, as the system
// account does; it refuses requests that name no server.
class TwoServerTransport : public Fetcher {
 public:
  TwoServerTransport()
      : single_(std::string(kRelease), test::SingleServer()), node1_(std::string(kRelease), test::ClusterNode(1)) {}
  void StartPoll(const FetchLimits&) override {}
  FetchResult Fetch(const EndpointRequest& request) override {
    asked.push_back(request.server_id + " " + HttpTarget(request));
    if (request.server_id == "S") return single_.Fetch(request);
    if (request.server_id == "N1") return node1_.Fetch(request);
    FetchResult none;
    none.failure = ErrorKind::kConnect;
    none.detail = Describe(request) + ": no such server";
    return none;
  }
  std::vector<std::string> asked;

 private:
  test::CaptureFetcher single_, node1_;
};

// The single-server poll functions, unchanged, fill one snapshot with two servers' views through
// ServerFetcher; each view renders what its own server said.
TEST(ServerFetcher, OnePollFunctionFillsTheViewOfEachServer) {
  TwoServerTransport transport;
  const SourceSpec* varz = nullptr;
  for (const SourceSpec& spec : AllSources()) {
    if (spec.name == "varz") varz = &spec;
  }
  ASSERT_NE(varz, nullptr);
  SourceOptions options;
  SourceMemory memory;
  Snapshot snapshot;
  for (std::string id : {"S", "N1"}) {
    ServerFetcher one(transport, id);
    SourceOutcome outcome = varz->poll(one, options, memory);
    ASSERT_FALSE(outcome.failure) << outcome.detail;
    outcome.store(snapshot.servers[id]);
  }
  EXPECT_EQ(transport.asked, (std::vector<std::string>{"S /varz", "N1 /varz"}));
  ASSERT_EQ(snapshot.servers.size(), 2u);
  EXPECT_EQ(snapshot.servers.at("S").varz->server_name, "farrier-single");
  EXPECT_EQ(snapshot.servers.at("N1").varz->server_name, "farrier-n1");
  EXPECT_FALSE(snapshot.Local().varz) << "no server under the empty key: Local() is an empty view";

  for (const auto& [id, view] : snapshot.servers) {
    Families f;
    varz->render(view, options, f);
    test::Rendered r(f);
    const test::RenderedFamily* info = r.Family("nats_server_info");
    ASSERT_TRUE(info && info->samples.size() == 1) << id;
    EXPECT_EQ(info->samples[0].labels.at("server_name"), view.varz->server_name) << id;
  }

  // Without a server name the transport refuses, and the failure names the request.
  SourceOutcome unaddressed = varz->poll(transport, options, memory);
  ASSERT_TRUE(unaddressed.failure);
  EXPECT_EQ(*unaddressed.failure, ErrorKind::kConnect);
  EXPECT_NE(unaddressed.detail.find("GET /varz: no such server"), std::string::npos) << unaddressed.detail;
}

// Errors name the server that failed, through the fetcher's Describe.
TEST(ServerFetcher, FailuresNameTheServer) {
  TwoServerTransport transport;
  ServerFetcher gone(transport, "N9");
  for (const SourceSpec& spec : AllSources()) {
    if (spec.name != "connz") continue;
    SourceMemory memory;
    SourceOutcome outcome = spec.poll(gone, SourceOptions{}, memory);
    ASSERT_TRUE(outcome.failure);
    EXPECT_NE(outcome.detail.find("GET /connz?offset=0&limit=4096 from server N9"), std::string::npos)
        << outcome.detail;
  }
}

}  // namespace
}  // namespace farrier
