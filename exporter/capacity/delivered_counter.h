// Requests delivered to one service's queue-group members on this server, and the replies those
// members published, as running totals that members leaving or joining do not reset: each poll
// adds what every member subscription's `msgs` (/subsz) and every member connection's
// `in_msgs` (/connz) grew by since the poll before. λ is the rate of the delivered total.
// No clock, no I/O. Not thread-safe (one owner).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "sources/connz.h"
#include "sources/queue_groups.h"

namespace farrier::capacity {

class DeliveredCounter {
 public:
  // One poll's members; `connz` is the same poll's /connz, or null when it failed (replies are
  // then caught up at the next poll that has it). Returns the bytes pending to the members'
  // connections (each connection once; 0 without connz).
  uint64_t Update(const QueueGroupView& members, const Connz* connz);

  // Requests delivered to the members since the first Update. A subscription first seen counts
  // from 0: it joined since the last poll, or (at the first poll) before farrier started; so does
  // one whose msgs went down (a new subscription under a reused cid and sid).
  uint64_t delivered_total() const { return delivered_total_; }
  // Messages the members' connections published since they were first seen (a worker publishes
  // one reply per request it answers). A connection first seen counts from there: its earlier
  // messages may predate farrier or its joining the group.
  uint64_t replies_total() const { return replies_total_; }

 private:
  std::map<std::pair<uint64_t, std::string>, uint64_t> last_msgs_;  // (cid, sid) -> msgs
  std::map<uint64_t, uint64_t> last_in_msgs_;                       // member cid -> in_msgs
  uint64_t delivered_total_ = 0;
  uint64_t replies_total_ = 0;
};

}  // namespace farrier::capacity
