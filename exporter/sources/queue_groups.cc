#include "sources/queue_groups.h"

#include <map>
#include <tuple>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

Result<SubsTest> ParseSubsTest(std::string_view body) {
  return ParseWith<SubsTest>("subsz", body, [](const Json& j) {
    SubsTest t;
    // Anchor on a field every /subsz answer has, so another endpoint's body is rejected.
    U64(j, "num_subscriptions", "$", /*required=*/true);
    t.total = U64(j, "total", "$");  // omitted when nothing matches
    const Json& list = Array(j, "subscriptions_list", "$");
    if (list.is_null()) return t;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string path = "$.subscriptions_list[" + std::to_string(i) + "]";
      const Json& s = list[i];
      if (!s.is_object()) throw SchemaError(path + ": expected object");
      QueueSubscription q;
      q.account = Str(s, "account", path);
      q.subject = Str(s, "subject", path, true);
      q.queue_group = Str(s, "qgroup", path);
      q.sid = Str(s, "sid", path);
      q.cid = U64(s, "cid", path, true);
      q.msgs = U64(s, "msgs", path);
      t.subscriptions.push_back(std::move(q));
    }
    return t;
  });
}

QueueGroupView SelectQueueGroup(const SubsTest& test, std::string_view queue_group) {
  QueueGroupView v;
  for (const QueueSubscription& s : test.subscriptions) {
    if (s.queue_group.empty()) continue;
    if (!queue_group.empty() && s.queue_group != queue_group) continue;
    v.members.push_back(s);
  }
  return v;
}

EndpointRequest SubsTestRequest(std::string_view subject) {
  return {"subsz", {{"subs", true}, {"limit", uint64_t{100000}}, {"test", std::string(subject)}}};
}

AllQueueGroups SummarizeQueueGroups(const SubsTest& all, size_t limit) {
  std::map<std::tuple<std::string, std::string, std::string>, QueueGroupSummary> by_key;
  for (const QueueSubscription& s : all.subscriptions) {
    if (s.queue_group.empty()) continue;
    QueueGroupSummary& g = by_key[{s.account, s.subject, s.queue_group}];
    g.account = s.account;
    g.subject = s.subject;
    g.queue_group = s.queue_group;
    g.members++;
    g.msgs += s.msgs;
  }
  AllQueueGroups out;
  out.subscriptions_read = all.subscriptions.size();
  out.subscriptions_total = all.total;
  for (auto& [key, g] : by_key) {
    if (out.groups.size() < limit) {
      out.groups.push_back(std::move(g));
    } else {
      out.dropped++;
    }
  }
  return out;
}

void RenderAllQueueGroups(const AllQueueGroups& groups, bool total_counts_all, Families& out) {
  auto members = out.Gauge(
      "nats_queue_group_members",
      "Local queue subscriptions of each queue group (/subsz?subs=1 subscriptions_list[].qgroup).");
  auto msgs = out.Gauge("nats_queue_group_messages_delivered",
                        "Messages delivered to the group's present members; drops when a member leaves, so not a "
                        "counter: configure a service for an exact one (/subsz?subs=1 subscriptions_list[].msgs).");
  for (const QueueGroupSummary& g : groups.groups) {
    Labels l{{"account", g.account}, {"subject", g.subject}, {"queue_group", g.queue_group}};
    members.Add(static_cast<double>(g.members), l);
    msgs.Add(static_cast<double>(g.msgs), l);
  }
  out.Gauge("nats_exporter_queue_groups_dropped",
            "Queue groups left out because of --queuegroups.limit (/subsz?subs=1).")
      .Add(static_cast<double>(groups.dropped));
  if (total_counts_all) {
    out.Gauge("nats_exporter_queue_groups_subscriptions_unread",
              "Subscriptions /subsz?subs=1 did not list because of --queuegroups.subscription-limit: "
              "their queue groups are missing or short (/subsz total; 2.11.6+).")
        .Add(static_cast<double>(groups.subscriptions_total > groups.subscriptions_read
                                     ? groups.subscriptions_total - groups.subscriptions_read
                                     : 0));
  }
}

}  // namespace farrier
