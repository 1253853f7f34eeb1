#include "snapshot/render.h"

#include <optional>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "core/series_limit.h"
#include "snapshot/registry.h"

namespace farrier {
namespace {

constexpr char kUpHelp[] = "1 when the last poll of /varz succeeded, else 0.";
constexpr char kSourceUpHelp[] = "1 when the last poll of this monitoring endpoint succeeded, else 0.";

// Cluster mode: what discovery found, and each server's up gauges (under its common labels).
void RenderCluster(const ClusterPoll& c, Families& out) {
  if (c.expected > 0) {
    out.Gauge("nats_exporter_servers_expected", "Servers cluster mode expects to answer (--cluster.expected-servers).")
        .Add(static_cast<double>(c.expected));
  }
  out.Gauge("nats_exporter_servers_answered",
            "Servers that answered this poll's discovery ($SYS.REQ.SERVER.PING.STATSZ) in time.")
      .Add(static_cast<double>(c.answered));
  out.Counter("nats_exporter_servers_late_replies_total",
              "Discovery answers that came after their poll's deadline (a slow or overloaded server).")
      .Add(static_cast<double>(c.late_replies));
}

void RenderServerHealth(const ServerView& view, const Snapshot& s, Families& out) {
  out.Gauge("nats_up", kUpHelp).Add(view.varz ? 1 : 0);
  auto up = out.Gauge("nats_exporter_source_up", kSourceUpHelp);
  for (const auto& [name, status] : s.status) {
    auto it = view.source_up.find(name);
    up.Add(it != view.source_up.end() && it->second ? 1 : 0, {{"source", name}});
  }
}

void RenderSnapshotAge(const Snapshot& s, std::chrono::steady_clock::time_point now, Families& out) {
  out.Gauge("nats_exporter_snapshot_age_seconds",
            "Seconds since the served snapshot was taken (polling runs every --poll.interval).")
      .Add(std::chrono::duration<double>(now - s.taken_at).count());
}

// The exporter's own health, from the poller's bookkeeping: one place for every source. The age
// only when `now` is given (SnapshotExposition renders it per scrape, apart).
void RenderExporter(const Snapshot& s, std::optional<std::chrono::steady_clock::time_point> now, Families& out) {
  out.Gauge("nats_exporter_build_info", "Farrier build, value 1.").Add(1, {{"version", FarrierVersion()}});
  if (!s.cluster.enabled) {  // cluster mode has these per server (RenderServerHealth)
    auto it = s.status.find("varz");
    out.Gauge("nats_up", kUpHelp).Add(it != s.status.end() && it->second.up ? 1 : 0);
    auto up = out.Gauge("nats_exporter_source_up", kSourceUpHelp);
    for (const auto& [name, status] : s.status) up.Add(status.up ? 1 : 0, {{"source", name}});
  }
  auto duration = out.Gauge("nats_exporter_poll_duration_seconds",
                            "Time the last poll of this monitoring endpoint took, pages included.");
  for (const auto& [name, status] : s.status) {
    if (status.polled) duration.Add(status.duration_seconds, {{"source", name}});
  }
  auto errors = out.Counter("nats_exporter_poll_errors_total", "Failed polls of a monitoring endpoint, by reason.");
  for (const auto& [key, count] : s.errors) {
    errors.Add(static_cast<double>(count), {{"source", key.first}, {"reason", key.second}});
  }
  out.Counter("nats_exporter_polls_total", "Polls completed since start (configuration reloads included).")
      .Add(s.polls);
  if (now) RenderSnapshotAge(s, *now, out);
}

Families Render(const Snapshot& snapshot, const SourceOptions& options,
                std::optional<std::chrono::steady_clock::time_point> now) {
  Families out;
  RenderExporter(snapshot, now, out);
  if (snapshot.cluster.enabled) RenderCluster(snapshot.cluster, out);
  // One view per server. A sidecar's series carry no server label (its one server is the
  // target's); in cluster mode every series of a server starts with its server_name and cluster.
  for (const auto& [server_id, view] : snapshot.servers) {
    if (snapshot.cluster.enabled) {
      if (server_id.empty()) continue;
      Labels common{{"server_name", view.server_name}, {"cluster", view.cluster}};
      if (!view.domain.empty()) common.emplace_back("domain", view.domain);  // a JetStream domain
      out.SetCommonLabels(std::move(common));
      RenderServerHealth(view, snapshot, out);
    }
    for (const SourceSpec& source : AllSources()) {
      if (options.Enabled(source.name)) source.render(view, options, out);
    }
  }
  out.SetCommonLabels({});
  return out;
}

}  // namespace

std::vector<prometheus::MetricFamily> RenderSnapshot(const Snapshot& snapshot, const SourceOptions& options,
                                                     std::chrono::steady_clock::time_point now) {
  return Render(snapshot, options, now).Take();
}

prometheus::MetricFamily SnapshotAgeFamily(const Snapshot& snapshot, std::chrono::steady_clock::time_point now) {
  Families out;
  RenderSnapshotAge(snapshot, now, out);
  return std::move(out.Take().front());
}

SnapshotExposition::Text SnapshotExposition::Current() const {
  std::shared_ptr<const Snapshot> snapshot = current_();
  std::lock_guard lock(mu_);
  if (cached_valid_ && snapshot == cached_.snapshot) return cached_;
  // The old text goes first (unless a scrape still writes it): with thousands of consumers it is
  // megabytes, which need not be held twice.
  cached_ = Text{};
  Text fresh{snapshot, {}, {}};
  if (snapshot) {
    fresh.body = Render(*snapshot, options_, std::nullopt).Serialize(max_series_per_family_, &fresh.dropped);
    ++renders_;
  }
  cached_ = std::move(fresh);
  cached_valid_ = true;
  return cached_;
}

uint64_t SnapshotExposition::renders() const {
  std::lock_guard lock(mu_);
  return renders_;
}

}  // namespace farrier
