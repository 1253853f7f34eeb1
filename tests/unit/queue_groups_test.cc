// /subsz?subs=1&test=<subject>: the queue-group members of a service, on the real capture.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "sources/queue_groups.h"

namespace farrier {
namespace {

TEST(QueueGroups, ParsesTheCapturedTestAnswer) {
  Result<SubsTest> t = ParseSubsTest(test::ReadFixture("subsz-test.json"));
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->total, 3u);
  ASSERT_EQ(t->subscriptions.size(), 3u);
  EXPECT_EQ(t->subscriptions[0].subject, "svc.echo");
  EXPECT_EQ(t->subscriptions[0].queue_group, "workers");
  // How the 6 messages spread over the 3 members, and the connection's id, differ per capture
  // run: read from the capture. The total is fixed by the script (README).
  const nlohmann::json raw = test::FixtureJson("subsz-test.json")["subscriptions_list"];
  EXPECT_EQ(t->subscriptions[0].cid, raw[0]["cid"].get<uint64_t>());
  EXPECT_EQ(t->subscriptions[0].msgs, raw[0]["msgs"].get<uint64_t>());
  EXPECT_EQ(t->subscriptions[2].msgs, raw[2]["msgs"].get<uint64_t>());
  EXPECT_EQ(t->subscriptions[2].sid, raw[2]["sid"].get<std::string>());
  EXPECT_EQ(t->subscriptions[0].msgs + t->subscriptions[1].msgs + t->subscriptions[2].msgs, 6u);
}

TEST(QueueGroups, SelectsTheGroupAndSkipsPlainSubscriptions) {
  SubsTest t;
  t.subscriptions = {{"$G", "api.echo", "workers", "1", 5, 10},
                     {"$G", "api.echo", "other", "2", 6, 20},
                     {"$G", "api.>", "", "3", 7, 30}};
  EXPECT_EQ(SelectQueueGroup(t, "workers").members.size(), 1u);
  EXPECT_EQ(SelectQueueGroup(t, "").members.size(), 2u) << "any queue group, never a plain subscription";
  EXPECT_TRUE(SelectQueueGroup(t, "nobody").members.empty());
}

TEST(QueueGroups, NoMatchAndBadBodies) {
  Result<SubsTest> none = ParseSubsTest(R"({"num_subscriptions": 4, "num_cache": 0, "num_inserts": 4,
      "num_removes": 0, "num_matches": 1})");
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->subscriptions.empty());
  EXPECT_FALSE(ParseSubsTest(test::ReadFixture("varz.json")));
  Result<SubsTest> bad = ParseSubsTest(
      R"({"num_subscriptions": 1, "subscriptions_list": [{"subject": "a", "cid": "x"}]})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("$.subscriptions_list[0].cid"), std::string::npos) << bad.error();
}

TEST(QueueGroups, TestPathEncodesTheSubject) {
  EXPECT_EQ(HttpTarget(SubsTestRequest("api.echo")), "/subsz?subs=true&limit=100000&test=api.echo");
  EXPECT_EQ(HttpTarget(SubsTestRequest("a b&c")), "/subsz?subs=true&limit=100000&test=a%20b%26c");
}

TEST(QueueGroups, AllGroupsAreSummarizedAndCapped) {
  SubsTest t;
  t.subscriptions = {{"$G", "api.echo", "workers", "1", 5, 10},
                     {"$G", "api.echo", "workers", "2", 6, 11},
                     {"$G", "api.echo", "other", "3", 1, 12},
                     {"A", "api.echo", "workers", "4", 2, 13},
                     {"$G", "api.>", "", "5", 7, 14}};
  AllQueueGroups all = SummarizeQueueGroups(t, 10);
  ASSERT_EQ(all.groups.size(), 3u) << "plain subscriptions are no group; accounts are kept apart";
  EXPECT_EQ(all.groups[0].account, "$G");
  EXPECT_EQ(all.groups[0].queue_group, "other");
  EXPECT_EQ(all.groups[1].queue_group, "workers");
  EXPECT_EQ(all.groups[1].members, 2u);
  EXPECT_EQ(all.groups[1].msgs, 21u);  // {account, subject, group, sid, cid, msgs}
  EXPECT_EQ(all.groups[2].account, "A");
  EXPECT_EQ(all.dropped, 0u);
  AllQueueGroups capped = SummarizeQueueGroups(t, 1);
  EXPECT_EQ(capped.groups.size(), 1u);
  EXPECT_EQ(capped.dropped, 2u);
}

}  // namespace
}  // namespace farrier
