// Requests delivered to a service's members and the replies they published
// (capacity/delivered_counter.h): per-subscription increments, so members leaving or joining
// neither reset the total nor count twice; replies from the members' connections' in_msgs.
#include "capacity/delivered_counter.h"

#include <gtest/gtest.h>

#include "scaling_inputs.h"

namespace farrier::capacity {
namespace {

using test::ConnzOf;
using test::Members;

TEST(DeliveredCounter, MembersLeavingAndJoiningNeitherResetNorDoubleCount) {
  DeliveredCounter d;
  // First poll: what the members got before counts (from 0), so the first sample has a base.
  d.Update(Members({{1, "1", 100}, {2, "1", 50}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 150u);
  d.Update(Members({{1, "1", 130}, {2, "1", 70}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 200u);
  // Member 1 leaves (a sum of msgs would fall from 200 to 90 + 5), member 3 joins with 5 already.
  d.Update(Members({{2, "1", 90}, {3, "1", 5}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 225u);
  // The newcomer's 5 are not counted again.
  d.Update(Members({{2, "1", 90}, {3, "1", 15}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 235u);
  // Nobody left; then a member again.
  d.Update(Members({}), nullptr);
  EXPECT_EQ(d.delivered_total(), 235u);
  d.Update(Members({{4, "1", 7}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 242u);
}

TEST(DeliveredCounter, TwoSubscriptionsOfOneConnectionAreTwoMembers) {
  DeliveredCounter d;
  d.Update(Members({{1, "1", 10}, {1, "2", 20}}), nullptr);
  d.Update(Members({{1, "1", 15}, {1, "2", 20}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 35u);
  d.Update(Members({{1, "1", 15}, {1, "2", 28}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 43u);
}

// A nats-server restart numbers connections from 1 again, and a worker's first subscription is
// sid 1 again: a (cid, sid) whose msgs went down is a new subscription, counted from 0 like any.
TEST(DeliveredCounter, AKeyWhoseMsgsWentDownIsANewSubscription) {
  DeliveredCounter d;
  d.Update(Members({{1, "1", 900}}), nullptr);
  d.Update(Members({{1, "1", 1000}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 1000u);
  d.Update(Members({{1, "1", 40}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 1040u);
  d.Update(Members({{1, "1", 50}}), nullptr);
  EXPECT_EQ(d.delivered_total(), 1050u);
}

TEST(DeliveredCounter, RepliesFromTheMembersConnectionsInMsgs) {
  DeliveredCounter d;
  // Connection 1 holds two members; connection 9 is not a member (farrier, a publisher).
  const QueueGroupView members = Members({{1, "1", 0}, {1, "2", 0}, {2, "1", 0}});
  // A connection first seen counts from there: its earlier messages may predate farrier.
  const Connz first = ConnzOf({{1, 1000, 10}, {2, 500, 5}, {9, 7000, 99}});
  EXPECT_EQ(d.Update(members, &first), 15u) << "pending bytes of the member connections, each once";
  EXPECT_EQ(d.replies_total(), 0u);
  const Connz second = ConnzOf({{1, 1100, 0}, {2, 520, 3}, {9, 9000, 0}});
  EXPECT_EQ(d.Update(members, &second), 3u);
  EXPECT_EQ(d.replies_total(), 120u);
  // No /connz this poll: nothing pending known, replies caught up at the next poll that has it.
  EXPECT_EQ(d.Update(members, nullptr), 0u);
  EXPECT_EQ(d.replies_total(), 120u);
  const Connz fourth = ConnzOf({{1, 1150, 0}, {2, 530, 0}});
  d.Update(members, &fourth);
  EXPECT_EQ(d.replies_total(), 180u);
  // Connection 2 leaves the group, and comes back later: counted from where it is seen again.
  const Connz fifth = ConnzOf({{1, 1160, 0}, {2, 600, 0}});
  d.Update(Members({{1, "1", 0}}), &fifth);
  EXPECT_EQ(d.replies_total(), 190u);
  const Connz sixth = ConnzOf({{1, 1160, 0}, {2, 640, 0}});
  d.Update(members, &sixth);
  EXPECT_EQ(d.replies_total(), 190u);
  const Connz seventh = ConnzOf({{1, 1160, 0}, {2, 645, 0}});
  d.Update(members, &seventh);
  EXPECT_EQ(d.replies_total(), 195u);
}

}  // namespace
}  // namespace farrier::capacity
