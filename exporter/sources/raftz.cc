#include "sources/raftz.h"

#include <algorithm>
#include <tuple>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

Result<Raftz> ParseRaftz(std::string_view body) {
  return ParseWith<Raftz>("raftz", body, [](const Json& j) {
    Raftz r;
    for (const auto& [account, groups] : j.items()) {
      const std::string apath = "$[\"" + account + "\"]";
      if (!groups.is_object()) throw SchemaError(apath + ": expected object, got " + groups.type_name());
      for (const auto& [name, g] : groups.items()) {
        const std::string path = apath + "[\"" + name + "\"]";
        if (!g.is_object()) throw SchemaError(path + ": expected object, got " + g.type_name());
        RaftGroup group;
        group.account = account;
        group.name = name;
        // state, term and the two indexes are always printed; they keep another endpoint's
        // object-of-objects from passing as Raft groups.
        group.state = Str(g, "state", path, /*required=*/true);
        group.leader_known = !Str(g, "leader", path).empty();
        group.term = U64(g, "term", path, true);
        group.committed = U64(g, "committed", path, true);
        group.applied = U64(g, "applied", path, true);
        group.size = U64(g, "size", path);
        group.quorum_needed = U64(g, "quorum_needed", path);
        group.catching_up = Bool(g, "catching_up", path);
        group.proposal_queue = U64(g, "ipq_proposal_len", path);
        group.entry_queue = U64(g, "ipq_entry_len", path);
        group.response_queue = U64(g, "ipq_resp_len", path);
        group.apply_queue = U64(g, "ipq_apply_len", path);
        const Json& peers = Object(g, "peers", path);
        if (!peers.is_null()) {
          for (const auto& [id, p] : peers.items()) {
            const std::string ppath = path + ".peers[\"" + id + "\"]";
            if (!p.is_object()) throw SchemaError(ppath + ": expected object, got " + p.type_name());
            RaftPeer peer;
            peer.name = Str(p, "name", ppath);
            if (peer.name.empty()) peer.name = id;  // a peer the server cannot name yet
            std::string seen = Str(p, "last_seen", ppath);
            peer.last_seen_seconds = seen.empty() ? -1 : GoDurationSeconds(seen);
            peer.last_replicated_index = U64(p, "last_replicated_index", ppath);
            group.peers.push_back(std::move(peer));
          }
          std::sort(group.peers.begin(), group.peers.end(),
                    [](const RaftPeer& a, const RaftPeer& b) { return a.name < b.name; });
        }
        r.groups.push_back(std::move(group));
      }
    }
    std::sort(r.groups.begin(), r.groups.end(), [](const RaftGroup& a, const RaftGroup& b) {
      return std::tie(a.account, a.name) < std::tie(b.account, b.name);
    });
    return r;
  });
}

void RenderRaftz(const Raftz& r, size_t group_limit, Families& out) {
  const size_t shown = std::min(r.groups.size(), group_limit);
  out.Gauge("nats_exporter_raftz_groups_dropped", "Raft groups left out by --raftz.group-limit.")
      .Add(r.groups.size() - shown);
  if (shown == 0) return;
  auto leader = out.Gauge("nats_raft_group_leader",
                          "1 when this server leads the Raft group (/raftz state \"LEADER\").");
  auto leader_known = out.Gauge("nats_raft_group_leader_known",
                                "1 when the group has a leader this server knows of (/raftz leader).");
  auto term = out.Gauge("nats_raft_group_term", "The group's current election term (/raftz term).");
  auto committed = out.Gauge("nats_raft_group_committed_index",
                             "Highest log index known committed (/raftz committed).");
  auto applied = out.Gauge("nats_raft_group_applied_index",
                           "Highest log index this server has applied (/raftz applied); "
                           "committed - applied is its backlog.");
  auto size = out.Gauge("nats_raft_group_size", "Members of the group (/raftz size).");
  auto quorum = out.Gauge("nats_raft_group_quorum_needed", "Members needed for a quorum (/raftz quorum_needed).");
  auto catching_up = out.Gauge("nats_raft_group_catching_up",
                               "1 while this server catches up from the leader (/raftz catching_up).");
  auto queue = out.Gauge("nats_raft_group_queue_length",
                         "Entries waiting in one of the group's internal queues: proposal, entry, "
                         "response, apply (/raftz ipq_{proposal,entry,resp,apply}_len).");
  auto seen = out.Gauge("nats_raft_group_peer_last_seen_seconds",
                        "Seconds since this server last heard from the peer in this group, absent "
                        "when never (/raftz peers{}.last_seen).");
  auto replicated = out.Gauge("nats_raft_group_peer_last_replicated_index",
                              "Last log index replicated to the peer, as this server knows it "
                              "(/raftz peers{}.last_replicated_index).");
  for (size_t i = 0; i < shown; ++i) {
    const RaftGroup& g = r.groups[i];
    Labels l{{"account", g.account}, {"group", g.name}};
    leader.Add(g.state == "LEADER" ? 1 : 0, l);
    leader_known.Add(g.leader_known ? 1 : 0, l);
    term.Add(g.term, l);
    committed.Add(g.committed, l);
    applied.Add(g.applied, l);
    size.Add(g.size, l);
    quorum.Add(g.quorum_needed, l);
    catching_up.Add(g.catching_up ? 1 : 0, l);
    for (const auto& [name, length] : {std::pair{"proposal", g.proposal_queue}, std::pair{"entry", g.entry_queue},
                                       std::pair{"response", g.response_queue}, std::pair{"apply", g.apply_queue}}) {
      Labels ql = l;
      ql.push_back({"queue", name});
      queue.Add(length, ql);
    }
    for (const RaftPeer& p : g.peers) {
      Labels pl = l;
      pl.push_back({"peer", p.name});
      if (p.last_seen_seconds >= 0) seen.Add(p.last_seen_seconds, pl);
      replicated.Add(p.last_replicated_index, pl);
    }
  }
}

}  // namespace farrier
