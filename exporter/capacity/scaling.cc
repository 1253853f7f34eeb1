#include "capacity/scaling.h"

#include <string>
#include <utility>
#include <vector>

namespace farrier {

ScalingTracker::ScalingTracker(const ScalingOptions& options, ServicesSource services)
    : services_source_(std::move(services)) {
  for (const ServiceConfig& s : options.services) services_.emplace_back(s, options);
  for (const ConsumerConfig& c : options.consumers) consumers_.emplace_back(c, options);
  current_.store(std::make_shared<ScalingSnapshot>());
}

void ScalingTracker::Observe(const Snapshot& snapshot, std::chrono::steady_clock::time_point now,
                             std::chrono::system_clock::time_point wall) {
  auto out = std::make_shared<ScalingSnapshot>();
  out->taken_at = now;
  out->taken_at_wall = wall;
  out->observed = true;
  ServicesSnapshot probes;
  if (services_source_) probes = services_source_();

  // The servers to read: a sidecar's one, or in cluster mode every server in the snapshot (one
  // that did not answer this poll has no data).
  std::vector<std::pair<std::string, const ServerView*>> views;
  if (snapshot.cluster.enabled) {
    for (const auto& [id, view] : snapshot.servers) {
      if (!id.empty()) views.emplace_back(id, &view);
    }
  } else {
    views.emplace_back("", &snapshot.Local());
  }
  // Services: a sidecar's members, rates and answer are its server's part, summed across the
  // sidecars in Prometheus or by KEDA (docs/capacity.md). Cluster mode has every server's parts
  // but does not size them yet: the per-server answers and their sum (not one pooled Erlang
  // answer: each server's members serve that server's traffic) are still to come, so it says so
  // rather than answer.
  if (!services_.empty() && snapshot.cluster.enabled) {
    out->stale_reasons.push_back("service capacity is not computed in cluster mode yet (docs/cluster-mode.md)");
  }
  for (size_t i = 0; i < services_.size(); ++i) {
    const QueueGroupView* members = nullptr;
    const ServerView& server = snapshot.Local();
    if (!snapshot.cluster.enabled) {
      if (!server.queue_groups) {
        auto status = snapshot.status.find("queuegroups");
        if (i == 0) {
          out->stale_reasons.push_back(status == snapshot.status.end()
                                           ? "queue-group source disabled"
                                           : "queue-group source down: " + status->second.reason);
        }
      } else if (auto it = server.queue_groups->find(services_[i].name()); it != server.queue_groups->end()) {
        members = &it->second;
      }
    }
    const Connz* connz = server.connz ? &*server.connz : nullptr;
    const ServiceStats* stats = i < probes.stats.size() ? &probes.stats[i] : nullptr;
    out->services.push_back(services_[i].Observe(members, connz, stats, now));
  }

  // Each consumer from the server that leads it (the one view a sidecar has).
  bool any_jsz = false;
  for (const auto& [id, view] : views) any_jsz = any_jsz || view->jsz.has_value();
  if (!consumers_.empty() && !any_jsz) out->stale_reasons.push_back("/jsz not available this poll");
  for (capacity::ConsumerScaler& c : consumers_) {
    const ServerView* chosen = nullptr;
    for (const auto& [id, view] : views) {
      if (!view->jsz) continue;
      if (!chosen) chosen = view;
      if (c.LedBy(*view->jsz, view->server_name)) {
        chosen = view;
        break;
      }
    }
    out->consumers.push_back(c.Observe(chosen ? &*chosen->jsz : nullptr, chosen ? chosen->server_name : "", now));
  }
  current_.store(std::move(out));
}

}  // namespace farrier
