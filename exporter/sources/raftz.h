// /raftz: the state of every Raft group this server is a member of: the JetStream meta group
// ("_meta_") and one group per replicated stream and consumer. Off by default (a server with
// thousands of replicated assets has thousands of groups): --collector.raftz, and at most
// --raftz.group-limit groups are exported (the rest counted).
//
// Served since 2.10.17; a server with no Raft group (no clustered JetStream) answers 404 "No
// Raft nodes registered", which is no data rather than a failure (registry.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/families.h"
#include "core/result.h"

namespace farrier {

struct RaftPeer {
  std::string name;               // the peer's server name
  double last_seen_seconds = -1;  // last_seen, a Go duration; negative when never seen
  uint64_t last_replicated_index = 0;
};

struct RaftGroup {
  std::string account;        // the account whose assets the group holds ("$SYS" for the meta group)
  std::string name;           // "_meta_", "S-R3F-...", "C-R3F-..."
  std::string state;          // LEADER, FOLLOWER, CANDIDATE, CLOSED
  bool leader_known = false;  // `leader` set: the group has a leader this server knows of
  uint64_t term = 0;
  uint64_t committed = 0;
  uint64_t applied = 0;
  uint64_t size = 0;
  uint64_t quorum_needed = 0;
  bool catching_up = false;
  uint64_t proposal_queue = 0, entry_queue = 0, response_queue = 0, apply_queue = 0;
  std::vector<RaftPeer> peers;  // the other members
};

struct Raftz {
  std::vector<RaftGroup> groups;  // sorted by account, then name
};

Result<Raftz> ParseRaftz(std::string_view body);
void RenderRaftz(const Raftz& raftz, size_t group_limit, Families& out);

}  // namespace farrier
