// /jsz?accounts=true&streams=true&consumers=true&config=true: JetStream usage of this server,
// its accounts, and the streams and consumers it holds a replica of.
//
// In a cluster (meta_cluster present) every replica lists a stream or consumer, but only the leader's numbers are
// current (followers lag: see shared notes). Rendering therefore exports value series only from
// the leader (`cluster.leader` equal to this server's name) unless told otherwise, plus a
// nats_{stream,consumer}_leader gauge from every replica so rules can see placement. The state of
// a stream's other replicas (lag, caught up, last heard from) comes only from its leader, always:
// followers do not track their peers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/families.h"
#include "core/result.h"
#include "core/server_version.h"

namespace farrier {

struct JszAccount {
  std::string name;
  uint64_t memory_bytes = 0;
  uint64_t storage_bytes = 0;
  uint64_t reserved_memory_bytes = 0;
  uint64_t reserved_storage_bytes = 0;
  uint64_t api_total = 0;
  uint64_t api_errors = 0;
  uint64_t streams = 0;
};

// Another server's replica of a stream, as this server reports it (cluster.replicas[]). Only
// the stream leader tracks its peers; a follower's list holds what it last heard, not the truth.
struct JszPeer {
  std::string name;
  bool current = false;       // caught up with the leader
  double active_seconds = 0;  // since the leader last heard from it (active, nanoseconds)
  uint64_t lag = 0;           // log entries behind the leader (lag; absent when 0)
  bool offline = false;       // not seen recently (offline; absent when false)
};

// A stream's mirror or one of its sources, as the stream reports it (mirror, sources[]:
// StreamSourceInfo in the server's sources).
struct JszStreamOrigin {
  std::string name;  // the origin stream
  uint64_t lag = 0;  // messages the origin holds that have not arrived here yet
  // Unix time of the last message or heartbeat from the origin: /jsz now minus active (a Go
  // duration); absent when the server says never (active -1) or the body has no now.
  std::optional<double> last_active_seconds;
};

struct JszStream {
  std::string account;
  std::string name;
  std::string created;  // created, as the server prints it: tells a stream created again from the old one
  std::string leader;   // cluster.leader: a server name; empty when not replicated
  std::string storage;  // "file" or "memory"
  uint64_t messages = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t consumer_count = 0;
  uint64_t num_subjects = 0;
  uint64_t num_deleted = 0;
  int64_t max_bytes = -1;  // -1: unlimited
  int64_t max_msgs = -1;
  uint64_t replicas = 1;
  std::vector<JszPeer> peers;                  // cluster.replicas: the other replicas (this server not listed)
  std::optional<double> leader_since_seconds;  // cluster.leader_since, Unix time (newer releases)
  std::optional<JszStreamOrigin> mirror;
  std::vector<JszStreamOrigin> sources;
};

struct JszConsumer {
  std::string account;
  std::string stream;
  std::string name;
  std::string created;   // created, as printed: tells a consumer created again from the old one
  bool durable = false;  // config.durable_name set; ephemerals may be folded into one series
  std::string leader;
  uint64_t num_pending = 0;
  uint64_t num_ack_pending = 0;
  uint64_t num_redelivered = 0;
  uint64_t num_waiting = 0;
  uint64_t delivered_consumer_seq = 0;
  uint64_t delivered_stream_seq = 0;
  uint64_t ack_floor_consumer_seq = 0;
  uint64_t ack_floor_stream_seq = 0;
  int64_t max_ack_pending = -1;
  // Paused until pause_until (2.11+): its backlog grows on purpose, so lag alerts leave it out.
  bool paused = false;
  double pause_remaining_seconds = 0;  // pause_remaining, a Go duration in nanoseconds
  // Unix times (RFC 3339 in the body), absent when the server has none: the last delivery
  // (delivered.last_active), the last ack that moved the ack floor (ack_floor.last_active) and
  // since when the leader leads (cluster.leader_since, newer releases).
  std::optional<double> last_delivery_seconds;
  std::optional<double> last_ack_seconds;
  std::optional<double> leader_since_seconds;
};

struct Jsz {
  bool enabled = false;
  std::string server_id;
  std::optional<double> now_seconds;  // now: the server's clock when it answered
  std::string meta_leader;            // meta_cluster.leader; empty when not clustered
  uint64_t meta_cluster_size = 0;
  // The meta group as this server sees it; replicas only from its leader (up to 2.12 only the
  // leader lists them, and a follower's view of its peers is not tracked).
  std::optional<uint64_t> meta_pending;        // JetStream API requests queued (2.10.21+)
  std::optional<uint64_t> meta_quorum_needed;  // 2.15
  std::vector<JszPeer> meta_peers;             // meta_cluster.replicas: the other servers
  struct MetaSnapshot {                        // meta_cluster.snapshot (2.11.x, 2.12.x, 2.14+)
    uint64_t pending_entries = 0;
    uint64_t pending_bytes = 0;
    double last_time_seconds = 0;      // Unix time of the last snapshot; 0 when none yet
    double last_duration_seconds = 0;  // how long it took
  };
  std::optional<MetaSnapshot> meta_snapshot;
  std::optional<uint64_t> api_level;  // api.level: the JetStream API level the server speaks (2.11+)
  uint64_t memory_bytes = 0;
  uint64_t storage_bytes = 0;
  uint64_t reserved_memory_bytes = 0;
  uint64_t reserved_storage_bytes = 0;
  uint64_t max_memory_bytes = 0;
  uint64_t max_storage_bytes = 0;
  uint64_t accounts = 0;
  uint64_t ha_assets = 0;
  uint64_t api_total = 0;
  uint64_t api_errors = 0;
  uint64_t streams = 0;
  uint64_t consumers = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  std::vector<JszAccount> account_details;
  std::vector<JszStream> stream_details;
  std::vector<JszConsumer> consumer_details;
};

Result<Jsz> ParseJsz(std::string_view body);

// A stream or consumer that must exist (the configuration's "expect" lists and its scaling
// consumers): nats_{stream,consumer}_present says whether it does. An empty account matches
// any account (as the scaling consumers' does); an empty consumer names a stream.
struct ExpectedAsset {
  std::string account;
  std::string stream;
  std::string consumer;
  auto operator<=>(const ExpectedAsset&) const = default;
};

struct JszRenderOptions {
  bool leader_only = true;     // value series only where this server leads the asset
  bool fold_ephemeral = true;  // ephemeral consumers summed into consumer="_ephemeral"
  size_t stream_limit = 10000;
  size_t consumer_limit = 10000;
  std::vector<ExpectedAsset> expected;  // sorted, unique
};

inline constexpr std::string_view kEphemeralConsumerLabel = "_ephemeral";

// Whether this server's numbers for an asset with `leader` are current: outside a JetStream
// cluster everything is led here; inside one only what this server leads.
bool LedHere(const Jsz& jsz, const std::string& leader, std::string_view server_name);

// Consumers can be paused since 2.11.0; before, nats_consumer_paused would be a made-up zero.
bool ConsumersCanPause(const ServerVersion& v);

// `server_name` and `version` are this server's from /varz (or the last ones seen). Outside a
// JetStream cluster everything counts as led here; inside one, nothing does while the name is
// unknown (better absent than a follower's stale values).
void RenderJsz(const Jsz& jsz, const JszRenderOptions& options, std::string_view server_name,
               const ServerVersion& version, Families& out);

}  // namespace farrier
