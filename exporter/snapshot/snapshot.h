// One poll's view of the server: immutable once published, swapped atomically by the poller and
// read by every scrape. A source that failed in this poll has no data here, so its metrics are
// absent rather than repeated as if fresh.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
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

struct Snapshot {
  std::chrono::steady_clock::time_point taken_at;
  uint64_t polls = 0;  // polls completed, this one included
  std::map<std::string, SourceStatus, std::less<>> status;  // enabled sources only
  // Cumulative error counts by (source, reason), every known pair present from the start.
  std::map<std::pair<std::string, std::string>, uint64_t> errors;
  // This server's name: from this poll's /varz, or the last one seen when /varz failed (used to
  // tell whether this server leads a JetStream asset).
  std::string server_name;
  // Its release, likewise: a few fields changed meaning between releases (core/server_version.h).
  ServerVersion server_version;

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

}  // namespace farrier
