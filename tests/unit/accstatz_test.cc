// /accstatz: per-account counts and traffic, default listing (accounts with clients here) and
// ?unused=true (every account).
#include "sources/accstatz.h"

#include <gtest/gtest.h>

#include "fixtures.h"
#include "rendered.h"

namespace farrier {
namespace {

using test::FixtureJson;
using test::ReadFixture;
using test::Rendered;

Accstatz Parsed(const std::string& body) {
  Result<Accstatz> r = ParseAccstatz(body);
  if (!r.ok()) throw std::runtime_error(r.error());
  return std::move(r).value();
}

Rendered Render(const Accstatz& a) {
  Families families;
  RenderAccstatz(a, families);
  return Rendered(families);
}

TEST(ParseAccstatz, DefaultListsAccountsWithClients) {
  nlohmann::json raw = FixtureJson("accstatz.json");
  Accstatz a = Parsed(raw.dump());
  EXPECT_EQ(a.server_id, FixtureJson("varz.json")["server_id"].get<std::string>());
  ASSERT_EQ(a.accounts.size(), 1u);  // only $G has client connections
  const AccountStat& g = a.accounts[0];
  const nlohmann::json& o = raw["account_statz"][0];
  EXPECT_EQ(g.account, "$G");
  EXPECT_EQ(g.connections, 7u);  // README: 7 open client connections
  EXPECT_EQ(g.leafnodes, 0u);
  EXPECT_EQ(g.total_connections, 7u);
  EXPECT_EQ(g.sent_msgs, o["sent"]["msgs"].get<uint64_t>());
  EXPECT_EQ(g.sent_bytes, o["sent"]["bytes"].get<uint64_t>());
  EXPECT_EQ(g.received_msgs, o["received"]["msgs"].get<uint64_t>());
  EXPECT_EQ(g.received_bytes, o["received"]["bytes"].get<uint64_t>());
  EXPECT_EQ(g.slow_consumers, o["slow_consumers"].get<uint64_t>());
  // README: 50 + 20 + 10 + 5 messages were published by clients of $G.
  EXPECT_GE(g.received_msgs, 85u);
}

TEST(ParseAccstatz, UnusedListsEveryAccount) {
  Accstatz a = Parsed(ReadFixture("accstatz-unused.json"));
  ASSERT_EQ(a.accounts.size(), 2u);
  const AccountStat* sys = nullptr;
  for (const AccountStat& s : a.accounts) {
    if (s.account == "$SYS") sys = &s;
  }
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(sys->connections, 0u);
  EXPECT_EQ(sys->total_connections, 0u);
}

TEST(ParseAccstatz, ErrorsNameSourceAndPath) {
  Result<Accstatz> bad = ParseAccstatz(test::EditedFixture("accstatz.json", [](nlohmann::json& j) {
    j["account_statz"][0]["sent"] = 148;
  }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "accstatz: $.account_statz[0].sent: expected object, got number");

  bad = ParseAccstatz(test::EditedFixture("accstatz-unused.json",
                                          [](nlohmann::json& j) { j["account_statz"][1]["received"]["bytes"] = "0"; }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "accstatz: $.account_statz[1].received.bytes: expected unsigned integer, got string");

  bad = ParseAccstatz(test::EditedFixture("accstatz.json",
                                          [](nlohmann::json& j) { j["account_statz"][0].erase("acc"); }));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "accstatz: $.account_statz[0].acc: expected string, field missing");

  bad = ParseAccstatz(ReadFixture("routez.json"));  // has server_id, is not /accstatz
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "accstatz: $.account_statz: expected array, field missing");

  bad = ParseAccstatz(ReadFixture("not-found.txt"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "accstatz: body is not valid JSON");
}

TEST(RenderAccstatz, SeriesPerAccount) {
  nlohmann::json raw = FixtureJson("accstatz-unused.json");
  Rendered r = Render(Parsed(raw.dump()));
  test::ExpectWellFormed(r, "accstatz");
  EXPECT_EQ(r.Value("nats_accstatz_accounts"), 2);
  EXPECT_EQ(r.SampleCount("nats_account_connections"), 2u);
  for (const nlohmann::json& o : raw["account_statz"]) {
    test::LabelMap l{{"account", o["acc"].get<std::string>()}};
    SCOPED_TRACE(o["acc"].get<std::string>());
    EXPECT_EQ(r.Value("nats_account_connections", l), o["conns"].get<double>());
    EXPECT_EQ(r.Value("nats_account_leafnodes", l), o["leafnodes"].get<double>());
    EXPECT_EQ(r.Value("nats_account_messages_sent_total", l), o["sent"]["msgs"].get<double>());
    EXPECT_EQ(r.Value("nats_account_bytes_sent_total", l), o["sent"]["bytes"].get<double>());
    EXPECT_EQ(r.Value("nats_account_messages_received_total", l), o["received"]["msgs"].get<double>());
    EXPECT_EQ(r.Value("nats_account_bytes_received_total", l), o["received"]["bytes"].get<double>());
    EXPECT_EQ(r.Value("nats_account_slow_consumers_total", l), o["slow_consumers"].get<double>());
  }
  EXPECT_EQ(r.Value("nats_account_connections", {{"account", "$G"}}), 7);
  EXPECT_EQ(r.Family("nats_account_slow_consumers_total")->type, prometheus::MetricType::Counter);
}

TEST(RenderAccstatz, SlowConsumersAndLeafnodes) {
  // Zero in the capture; set to check the keys are the ones read.
  nlohmann::json raw = FixtureJson("accstatz.json");
  raw["account_statz"][0]["slow_consumers"] = 2;
  raw["account_statz"][0]["leafnodes"] = 1;
  Rendered r = Render(Parsed(raw.dump()));
  EXPECT_EQ(r.Value("nats_account_slow_consumers_total", {{"account", "$G"}}), 2);
  EXPECT_EQ(r.Value("nats_account_leafnodes", {{"account", "$G"}}), 1);
}

TEST(RenderAccstatz, NoAccountsOnlyTheCount) {
  Accstatz empty = Parsed(test::EditedFixture("accstatz.json",
                                              [](nlohmann::json& j) { j["account_statz"] = nlohmann::json::array(); }));
  Rendered r = Render(empty);
  EXPECT_EQ(r.Value("nats_accstatz_accounts"), 0);
  EXPECT_EQ(r.Names(), (std::set<std::string>{"nats_accstatz_accounts"}));
}

}  // namespace
}  // namespace farrier
