// Queue-group members of the configured services, from /subsz?subs=1&test=<subject>: the local
// queue subscriptions that would receive a request on the service's subject, each with the
// messages delivered to it. A server's monitoring port sees only its own members (see
// ../shared/NOTES-nats-2.9.md), so these are additive parts: pool figures are sums across
// sidecars.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/families.h"
#include "core/result.h"
#include "transport/endpoint.h"

namespace farrier {

struct QueueSubscription {
  std::string account, subject, queue_group, sid;
  uint64_t cid = 0;
  uint64_t msgs = 0;  // messages delivered to this subscription
};

// One /subsz?subs=1&test=... answer: the matching subscriptions (queue or not).
struct SubsTest {
  // Since 2.11.6 every match on the server, also those the limit cut off; before, the length of
  // the returned list (SubszTotalCountsAllMatches).
  uint64_t total = 0;
  std::vector<QueueSubscription> subscriptions;
};

Result<SubsTest> ParseSubsTest(std::string_view body);

// The members of one service's queue group on this server.
struct QueueGroupView {
  std::vector<QueueSubscription> members;  // queue subscriptions in the group
  uint64_t pending_bytes = 0;              // sum over the members' connections (from /connz), when known
  bool pending_known = false;
};

// Keeps the members of `queue_group` (any queue group when empty; plain subscriptions never
// count: they are not part of a pool).
QueueGroupView SelectQueueGroup(const SubsTest& test, std::string_view queue_group);

// The /subsz request listing the subscriptions that `subject` would be delivered to.
EndpointRequest SubsTestRequest(std::string_view subject);

// Every queue group on this server (--queuegroups.all), from /subsz?subs=1: one entry per
// (account, subject, queue group) with its local members and the messages delivered to them.
struct QueueGroupSummary {
  std::string account, subject, queue_group;
  uint64_t members = 0;
  uint64_t msgs = 0;  // summed over the present members: drops when one leaves
};
struct AllQueueGroups {
  std::vector<QueueGroupSummary> groups;  // sorted by account, subject, group; at most `limit`
  uint64_t dropped = 0;                   // groups beyond the limit
  uint64_t subscriptions_read = 0;        // what /subsz listed
  uint64_t subscriptions_total = 0;       // its `total`
};
AllQueueGroups SummarizeQueueGroups(const SubsTest& all, size_t limit);
// `total_counts_all`: the server's `total` counts subscriptions beyond the list
// (SubszTotalCountsAllMatches), so the ones --queuegroups.subscription-limit left unread are known.
void RenderAllQueueGroups(const AllQueueGroups& groups, bool total_counts_all, Families& out);

}  // namespace farrier
