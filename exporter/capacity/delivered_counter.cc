#include "capacity/delivered_counter.h"

namespace farrier::capacity {

uint64_t DeliveredCounter::Update(const QueueGroupView& members, const Connz* connz) {
  std::map<std::pair<uint64_t, std::string>, uint64_t> msgs_now;
  std::map<uint64_t, uint64_t> in_msgs_now;  // per member connection
  uint64_t pending_bytes = 0;
  for (const QueueSubscription& m : members.members) {
    // Per subscription, so a member leaving (its msgs vanish from a sum) is not a reset.
    auto key = std::make_pair(m.cid, m.sid);
    auto last = last_msgs_.find(key);
    const uint64_t before = last == last_msgs_.end() ? 0 : last->second;
    // Fewer than before: a new subscription under a reused key (a restarted server numbers
    // connections from 1 again), counted from 0 like any newcomer.
    delivered_total_ += m.msgs >= before ? m.msgs - before : m.msgs;
    msgs_now[key] = m.msgs;

    const Connz::Counters* conn = connz ? connz->Find(m.cid) : nullptr;
    if (!conn || in_msgs_now.count(m.cid)) continue;  // one connection may hold several members
    pending_bytes += conn->pending_bytes;
    in_msgs_now[m.cid] = conn->in_msgs;
    auto last_in = last_in_msgs_.find(m.cid);
    const uint64_t before_in = last_in == last_in_msgs_.end() ? conn->in_msgs : last_in->second;
    if (conn->in_msgs >= before_in) replies_total_ += conn->in_msgs - before_in;
  }
  last_msgs_ = std::move(msgs_now);
  if (connz) last_in_msgs_ = std::move(in_msgs_now);
  return pending_bytes;
}

}  // namespace farrier::capacity
