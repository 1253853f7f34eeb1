// --jetstream.account-info against real nats-servers: an account APP with JetStream limits
// (max_streams 10, max_consumers 20) whose streams and consumers are made with natskit, farrier
// connected as APP's user, and its values against the server's own $JS.API.INFO answer; an
// account without JetStream and a server without JetStream give up 0, the error counted by
// reason and no account series. Runs on 2.9.10 and, through the version matrix, every newer
// release: the account label is "APP" from 2.10 on and "" on 2.9 (no $SYS.REQ.USER.INFO).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "harness.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"

namespace farrier::itest {
namespace {

using farrier::test::NatsServerOptions;
using farrier::test::NatsVersion;

constexpr const char* kAccounts = R"(accounts {
  APP {
    jetstream { max_mem: 64MB, max_file: 256MB, max_streams: 10, max_consumers: 20 }
    users [ { user: app, password: app-pw } ]
  }
  NOJS { users [ { user: nojs, password: nojs-pw } ] }
}
)";

// Farrier asking $JS.API.INFO as `user` (password `user`-pw) every 300 ms.
std::unique_ptr<Farrier> FarrierAs(const NatsServer& server, const farrier::test::TempDir& dir,
                                   const std::string& user) {
  const std::string password = (dir.path() / (user + "-password")).string();
  std::ofstream(password) << user << "-pw";
  return std::make_unique<Farrier>(std::vector<std::string>{
      "--nats.monitor-url", server.monitor_url(), "--nats.url", server.client_url(), "--nats.user", user,
      "--nats.password-file", password, "--jetstream.account-info", "--poll.interval", "300ms", "--poll.timeout",
      "200ms"});
}

std::string UrlAs(const NatsServer& server, const std::string& user) {
  return "nats://" + user + ":" + user + "-pw@127.0.0.1:" + std::to_string(server.client_port());
}

double Errors(const Scrape& s, const std::string& reason) {
  return s.Number("nats_exporter_jetstream_account_info_errors_total", {{"reason", reason}});
}

TEST(JsAccountInfo, StreamsConsumersAndLimitsMatchTheServersOwnAnswer) {
  NatsServer server(NatsServerOptions{.jetstream = true, .extra_config = kAccounts});
  farrier::test::TempDir dir("farrier-acctinfo");
  auto f = FarrierAs(server, dir, "app");
  const std::string url = UrlAs(server, "app");
  for (const std::string s : {"S1", "S2", "S3"}) {
    RunNatskit({"request", "--url", url, "--subject", "$JS.API.STREAM.CREATE." + s, "--data",
                R"({"name":")" + s + R"(","subjects":[")" + s + R"(.>"],"storage":"file"})"});
  }
  for (const std::string c : {"C1", "C2"}) {
    RunNatskit({"request", "--url", url, "--subject", "$JS.API.CONSUMER.DURABLE.CREATE.S1." + c, "--data",
                R"({"stream_name":"S1","config":{"durable_name":")" + c + R"(","ack_policy":"explicit"}})"});
  }
  // The account's name comes from $SYS.REQ.USER.INFO, which 2.9 does not answer.
  const std::string account = farrier::test::ServerVersion(server) >= NatsVersion{2, 10, 0} ? "APP" : "";
  const PromLabels app{{"account", account}};
  Scrape last;
  auto s = f->WaitFor(
      [&](const Scrape& x) {
        return x.Value("nats_jetstream_account_info_streams", app) == 3.0 &&
               x.Value("nats_jetstream_account_info_consumers", app) == 2.0;
      },
      10s, &last);
  ASSERT_TRUE(s) << last.Describe() << f->Stderr();
  const Json info = Json::parse(RunNatskit({"request", "--url", url, "--subject", "$JS.API.INFO"}));
  ASSERT_TRUE(info.contains("limits")) << info.dump(2);
  EXPECT_EQ(s->Value("nats_jetstream_account_info_streams", app), info.at("streams").get<double>());
  EXPECT_EQ(s->Value("nats_jetstream_account_info_consumers", app), info.at("consumers").get<double>());
  EXPECT_EQ(s->Value("nats_jetstream_account_info_max_streams", app),
            info.at("limits").at("max_streams").get<double>());
  EXPECT_EQ(s->Value("nats_jetstream_account_info_max_consumers", app),
            info.at("limits").at("max_consumers").get<double>());
  EXPECT_EQ(info.at("limits").at("max_streams"), 10);  // the configuration's, not a default
  EXPECT_EQ(info.at("limits").at("max_consumers"), 20);
  EXPECT_EQ(s->Value("nats_exporter_jetstream_account_info_up"), 1);
  // One account, one label: no series under another (e.g. "" before USER.INFO was answered).
  EXPECT_EQ(s->metrics->SamplesOf("nats_jetstream_account_info_streams").size(), 1u) << s->Describe();
  for (const char* reason : {"no_responders", "not_enabled", "api_error", "invalid"}) {
    EXPECT_EQ(Errors(*s, reason), 0) << reason;
  }
  // Every family of the option is served here and has its row in docs/metrics.md, with its type
  // (the rich run of exposition_test.cc runs without the option).
  EXPECT_EQ(ExpectFamiliesDocumented(*s, "jetstream_account_info"), 6);

  // A server that stops answering: timeouts, up 0, and the account's series gone, not stale.
  server.Pause();
  auto gone = f->WaitFor(
      [](const Scrape& x) {
        return Errors(x, "timeout") >= 1 && x.Value("nats_exporter_jetstream_account_info_up") == 0.0;
      },
      10s, &last);
  server.Resume();
  ASSERT_TRUE(gone) << last.Describe() << f->Stderr();
  EXPECT_FALSE(gone->Has("nats_jetstream_account_info_streams"));
  EXPECT_FALSE(gone->Has("nats_jetstream_account_info_max_consumers"));
  // And back once it answers again.
  ASSERT_TRUE(f->WaitFor([&](const Scrape& x) { return x.Value("nats_jetstream_account_info_streams", app) == 3.0; },
                         10s, &last))
      << last.Describe() << f->Stderr();
}

TEST(JsAccountInfo, AnAccountWithoutJetStreamIsCountedAndHasNoSeries) {
  NatsServer server(NatsServerOptions{.jetstream = true, .extra_config = kAccounts});
  farrier::test::TempDir dir("farrier-acctinfo");
  auto f = FarrierAs(server, dir, "nojs");
  Scrape last;
  auto s = f->WaitFor([](const Scrape& x) { return Errors(x, "not_enabled") >= 3; }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe() << f->Stderr();
  EXPECT_EQ(s->Value("nats_exporter_jetstream_account_info_up"), 0);
  EXPECT_FALSE(s->Has("nats_jetstream_account_info_streams"));
  EXPECT_FALSE(s->Has("nats_jetstream_account_info_max_streams"));
  EXPECT_EQ(Errors(*s, "api_error"), 0);
  EXPECT_EQ(Errors(*s, "invalid"), 0);
  // Logged once for the state, not once per request.
  const std::string log = f->Stderr();
  size_t warnings = 0;
  for (size_t at = log.find("not_enabled"); at != std::string::npos; at = log.find("not_enabled", at + 1)) ++warnings;
  EXPECT_EQ(warnings, 1u) << log;
  EXPECT_NE(log.find("10039"), std::string::npos) << log;
}

TEST(JsAccountInfo, AServerWithoutJetStreamHasNoResponders) {
  NatsServer server(NatsServerOptions{});
  Farrier f({"--nats.monitor-url", server.monitor_url(), "--nats.url", server.client_url(), "--jetstream.account-info",
             "--poll.interval", "300ms", "--poll.timeout", "200ms"});
  Scrape last;
  auto s = f.WaitFor([](const Scrape& x) { return Errors(x, "no_responders") >= 2; }, 10s, &last);
  ASSERT_TRUE(s) << last.Describe() << f.Stderr();
  EXPECT_EQ(s->Value("nats_exporter_jetstream_account_info_up"), 0);
  EXPECT_FALSE(s->Has("nats_jetstream_account_info_streams"));
}

}  // namespace
}  // namespace farrier::itest
