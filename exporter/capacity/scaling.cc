#include "capacity/scaling.h"

#include <string>
#include <utility>
#include <vector>

#include "capacity/pool_sum.h"

namespace farrier {
namespace {

// The service's queue-group members on one server, as this poll's queue-group source saw them;
// null when that source failed or the group has no member there.
const QueueGroupView* MembersOn(const ServerView& server, const std::string& service) {
  if (!server.queue_groups) return nullptr;
  auto it = server.queue_groups->find(service);
  return it == server.queue_groups->end() ? nullptr : &it->second;
}

}  // namespace

ScalingTracker::ScalingTracker(const ScalingOptions& options, ServicesSource services)
    : options_(options), services_source_(std::move(services)) {
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
  if (snapshot.cluster.enabled) {
    ObserveServicesPerServer(snapshot, probes, now, *out);
  } else {
    // A sidecar: its server's part, summed across the sidecars in Prometheus or by KEDA. The
    // queue-group source is disabled without services: only services need it.
    const ServerView& server = snapshot.Local();
    if (!services_.empty() && !server.queue_groups) {
      auto status = snapshot.status.find("queuegroups");
      out->stale_reasons.push_back(status == snapshot.status.end()
                                       ? "queue-group source disabled"
                                       : "queue-group source down: " + status->second.reason);
    }
    const Connz* connz = server.connz ? &*server.connz : nullptr;
    for (size_t i = 0; i < services_.size(); ++i) {
      const ServiceStats* stats = i < probes.stats.size() ? &probes.stats[i] : nullptr;
      out->services.push_back(services_[i].Observe(MembersOn(server, services_[i].name()), connz, stats, now));
    }
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

void ScalingTracker::ObserveServicesPerServer(const Snapshot& snapshot, const ServicesSnapshot& probes,
                                              std::chrono::steady_clock::time_point now, ScalingSnapshot& out) {
  if (options_.services.empty()) return;
  if (snapshot.servers.empty()) out.stale_reasons.push_back("no server answered");
  auto status = snapshot.status.find("queuegroups");
  for (const auto& [id, view] : snapshot.servers) {
    if (id.empty()) continue;
    auto [scalers, added] = per_server_.try_emplace(id);
    if (added) {
      for (ServiceConfig part : options_.services) {
        part.min_workers = 0;  // the service's bounds apply to the sum (pool_sum.h)
        scalers->second.emplace_back(part, options_);
      }
    }
    if (!view.answered) {
      out.stale_reasons.push_back("server " + view.server_name + " did not answer");
    } else if (!view.queue_groups) {
      out.stale_reasons.push_back("queue-group source down on server " + view.server_name +
                                  (status == snapshot.status.end() ? "" : ": " + status->second.reason));
    }
    std::vector<ServiceSignal>& last = last_per_server_[id];
    last.resize(options_.services.size());
    const Connz* connz = view.connz ? &*view.connz : nullptr;
    for (size_t i = 0; i < options_.services.size(); ++i) {
      // Every part gets the probes' figures: their latency is the service's, wherever answered.
      const ServiceStats* stats = i < probes.stats.size() ? &probes.stats[i] : nullptr;
      last[i] = scalers->second[i].Observe(MembersOn(view, options_.services[i].name), connz, stats, now);
    }
  }
  for (size_t i = 0; i < options_.services.size(); ++i) {
    std::vector<ServiceSignal> parts;
    for (const auto& [id, signals] : last_per_server_) {
      if (snapshot.servers.count(id)) parts.push_back(signals[i]);
    }
    ServiceSignal sum = capacity::SumServiceSignals(options_.services[i], parts);
    // Servers forgotten since keep their share of the delivered counters.
    for (const auto& [id, signals] : last_per_server_) {
      if (snapshot.servers.count(id)) continue;
      sum.delivered_total += signals[i].delivered_total;
      sum.replies_total += signals[i].replies_total;
    }
    out.services.push_back(std::move(sum));
  }
}

}  // namespace farrier
