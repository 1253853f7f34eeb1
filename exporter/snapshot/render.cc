#include "snapshot/render.h"

#include "snapshot/registry.h"

namespace farrier {
namespace {

// The exporter's own health, from the poller's bookkeeping: one place for every source.
void RenderExporter(const Snapshot& s, std::chrono::steady_clock::time_point now, Families& out) {
  out.Gauge("nats_exporter_build_info", "Farrier build, value 1.").Add(1, {{"version", FarrierVersion()}});
  auto it = s.status.find("varz");
  out.Gauge("nats_up", "1 when the last poll of /varz succeeded, else 0.")
      .Add(it != s.status.end() && it->second.up ? 1 : 0);
  auto up = out.Gauge("nats_exporter_source_up", "1 when the last poll of this monitoring endpoint succeeded, else 0.");
  auto duration = out.Gauge("nats_exporter_poll_duration_seconds",
                            "Time the last poll of this monitoring endpoint took, pages included.");
  for (const auto& [name, status] : s.status) {
    up.Add(status.up ? 1 : 0, {{"source", name}});
    if (status.polled) duration.Add(status.duration_seconds, {{"source", name}});
  }
  auto errors = out.Counter("nats_exporter_poll_errors_total", "Failed polls of a monitoring endpoint, by reason.");
  for (const auto& [key, count] : s.errors) {
    errors.Add(static_cast<double>(count), {{"source", key.first}, {"reason", key.second}});
  }
  out.Counter("nats_exporter_polls_total", "Polls completed since start (configuration reloads included).")
      .Add(s.polls);
  out.Gauge("nats_exporter_snapshot_age_seconds",
            "Seconds since the served snapshot was taken (polling runs every --poll.interval).")
      .Add(std::chrono::duration<double>(now - s.taken_at).count());
}

}  // namespace

std::vector<prometheus::MetricFamily> RenderSnapshot(const Snapshot& snapshot, const SourceOptions& options,
                                                     std::chrono::steady_clock::time_point now) {
  Families out;
  RenderExporter(snapshot, now, out);
  for (const SourceSpec& source : AllSources()) {
    if (!options.Enabled(source.name)) continue;
    // One view per server. Series carry no server label yet: a sidecar has one server, and the
    // cluster mode that polls several adds server_name/cluster labels.
    for (const auto& [server_id, view] : snapshot.servers) source.render(view, options, out);
  }
  return out.Take();
}

std::vector<prometheus::MetricFamily> SnapshotCollector::Collect() const {
  std::shared_ptr<const Snapshot> snapshot = current_();
  if (!snapshot) return {};
  return RenderSnapshot(*snapshot, options_, std::chrono::steady_clock::now());
}

}  // namespace farrier
