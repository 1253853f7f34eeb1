#include "capacity/scaling.h"

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

  // A sidecar's one server (the cluster mode sums a pool over every server's view).
  const ServerView& server = snapshot.Local();
  // The queue-group source is disabled without services: only services need it.
  if (!services_.empty() && !server.queue_groups) {
    auto status = snapshot.status.find("queuegroups");
    out->stale_reasons.push_back(status == snapshot.status.end() ? "queue-group source disabled"
                                                                 : "queue-group source down: " + status->second.reason);
  }
  const Connz* connz = server.connz ? &*server.connz : nullptr;
  for (size_t i = 0; i < services_.size(); ++i) {
    const QueueGroupView* members = nullptr;
    if (server.queue_groups) {
      auto it = server.queue_groups->find(services_[i].name());
      if (it != server.queue_groups->end()) members = &it->second;
    }
    const ServiceStats* stats = i < probes.stats.size() ? &probes.stats[i] : nullptr;
    out->services.push_back(services_[i].Observe(members, connz, stats, now));
  }

  if (!consumers_.empty() && !server.jsz) out->stale_reasons.push_back("/jsz not available this poll");
  const Jsz* jsz = server.jsz ? &*server.jsz : nullptr;
  for (capacity::ConsumerScaler& c : consumers_) out->consumers.push_back(c.Observe(jsz, server.server_name, now));
  current_.store(std::move(out));
}

}  // namespace farrier
