// One poll's view of the servers: immutable once published, swapped atomically by the poller and
// read by every scrape. A source that failed in this poll has no data here, so its metrics are
// absent rather than repeated as if fresh.
//
// The data are held per server, keyed by server identity (the server_id a request names, see
// transport/endpoint.h), so that a source polling many servers over one transport fills one
// snapshot. A sidecar polls one server over HTTP: its view is the one under the empty key,
// Local().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/server_version.h"
#include "sources/accstatz.h"
#include "sources/connz.h"
#include "sources/gatewayz.h"
#include "sources/healthz.h"
#include "sources/jsz.h"
#include "sources/leafz.h"
#include "sources/queue_groups.h"
#include "sources/raftz.h"
#include "sources/routez.h"
#include "sources/subsz.h"
#include "sources/varz.h"

namespace farrier {

struct SourceStatus {
  bool up = false;
  bool polled = false;  // false until the first poll of this source finished
  double duration_seconds = 0;
  std::string reason;  // why the last poll failed; empty when up
  std::string detail;  // log text for that failure
  std::string note{};  // what the last successful poll wanted said once (SourceOutcome::note)
};

// What one server answered in this poll.
struct ServerView {
  // This server's name: from this poll's /varz, or the last one seen when /varz failed (used to
  // tell whether this server leads a JetStream asset).
  std::string server_name;
  // Its release, likewise: a few fields changed meaning between releases (core/server_version.h).
  ServerVersion server_version;
  // Cluster mode only: where the server is (from its discovery reply), whether it answered this
  // poll's discovery, how many polls in a row it has not, and which of its sources were read.
  std::string cluster{};
  std::string domain{};
  bool answered = false;
  uint64_t polls_unanswered = 0;
  std::map<std::string, bool, std::less<>> source_up{};

  std::optional<Varz> varz;
  std::optional<Connz> connz;
  std::optional<Routez> routez;
  std::optional<Subsz> subsz;
  std::optional<Jsz> jsz;
  std::optional<Healthz> healthz;
  std::optional<Leafz> leafz;
  std::optional<Gatewayz> gatewayz;
  std::optional<Accstatz> accstatz;
  // Queue-group members per configured service name (source "queuegroups"); pending bytes are
  // joined from this poll's /connz when it succeeded.
  std::optional<std::map<std::string, QueueGroupView>> queue_groups;
  std::optional<AllQueueGroups> all_queue_groups;  // with --queuegroups.all
  std::optional<Raftz> raftz;
};

// Cluster mode (--nats.system-account): this poll's discovery of the servers.
struct ClusterPoll {
  bool enabled = false;
  size_t expected = 0;        // --cluster.expected-servers, 0 when discovered only
  size_t answered = 0;        // servers that answered this poll's discovery
  uint64_t late_replies = 0;  // discovery answers that came after their poll's deadline, so far
  std::string failure;        // why no server answered, or ""
};

struct Snapshot {
  std::chrono::steady_clock::time_point taken_at;
  uint64_t polls = 0;                                       // polls completed, this one included
  std::map<std::string, SourceStatus, std::less<>> status;  // enabled sources only
  // Cumulative error counts by (source, reason), every known pair present from the start.
  std::map<std::pair<std::string, std::string>, uint64_t> errors;
  // By server id; the empty key is the one server a fetcher reaches without naming it.
  std::map<std::string, ServerView, std::less<>> servers;
  ClusterPoll cluster{};

  // The sidecar's server: the view under the empty key (an empty view when there is none).
  const ServerView& Local() const {
    static const ServerView kNone;
    auto it = servers.find(std::string_view{});
    return it == servers.end() ? kNone : it->second;
  }
  // The same, created if missing: for whoever builds the snapshot.
  ServerView& MutableLocal() { return servers[std::string()]; }
};

}  // namespace farrier
