#include "status/history.h"

#include <algorithm>
#include <utility>

#include "capacity/service_window.h"

namespace farrier {
namespace {

// Moves the state kept under `key(old)` into a new list in `keys` order: what the page keeps
// across polls for a service or consumer that is still there.
template <typename State, typename Key>
std::vector<State> Carry(std::vector<State>& old, const std::vector<Key>& keys, Key (*key)(const State&)) {
  // The usual poll: the same rows as the last one, kept where they are (moving 1.5 MB of rings
  // into new vectors at every poll cost more than the rest of Record() at the caps).
  bool same = old.size() == keys.size();
  for (size_t i = 0; same && i < keys.size(); ++i) same = key(old[i]) == keys[i];
  if (same) return std::move(old);
  std::map<Key, State*> by_key;
  for (State& s : old) by_key.emplace(key(s), &s);
  std::vector<State> next;
  next.reserve(keys.size());
  for (const Key& k : keys) {
    auto it = by_key.find(k);
    next.push_back(it == by_key.end() ? State{} : std::move(*it->second));
  }
  return next;
}

std::string ServiceKey(const ServiceState& s) { return s.signal.name; }
std::pair<std::string, std::string> ConsumerKey(const ConsumerState& c) { return {c.signal.stream, c.signal.consumer}; }

void Set(SeriesRing& ring, size_t slot, double value) { ring.values[slot] = RingValue(value); }

}  // namespace

std::vector<ChartPoint> Points(const Timeline& timeline, const SeriesRing& series) {
  std::vector<ChartPoint> points;
  points.reserve(timeline.filled);
  for (size_t i = 0; i < timeline.filled; ++i) {
    size_t slot = (timeline.head + kHistorySlots - timeline.filled + 1 + i) % kHistorySlots;
    points.push_back({timeline.at[slot], series.values[slot]});
  }
  return points;
}

StatusHistory::StatusHistory(std::chrono::milliseconds poll_interval) {
  state_.timeline.slot_width = std::max(poll_interval,
                                        std::chrono::duration_cast<std::chrono::milliseconds>(kHistorySpan) /
                                            static_cast<long>(kHistorySlots));
}

void StatusHistory::Record(const Snapshot& snapshot, const ScalingSnapshot* scaling, const ServicesSnapshot* probes,
                           SteadyTime now) {
  std::lock_guard lock(mu_);
  AdvanceTimeline(now);
  state_.polls = snapshot.polls;
  state_.last_poll = now;
  state_.cluster = snapshot.cluster;
  state_.nats_configured = probes && probes->nats_configured;
  state_.nats_connected = probes && probes->nats_connected;
  state_.stale_reasons = scaling ? scaling->stale_reasons : std::vector<std::string>{};
  RecordSources(snapshot, now);
  RecordServers(snapshot, now);
  RecordServices(scaling, probes, now);
  if (scaling) {
    RecordConsumers(*scaling);
  } else {
    state_.consumers.clear();
  }
}

void StatusHistory::AdvanceTimeline(SteadyTime now) {
  Timeline& t = state_.timeline;
  if (t.filled > 0 && t.SlotOf(now) == t.head_slot) {
    t.at[t.head] = now;  // the same slot: this poll's values replace the earlier ones
    return;
  }
  t.head = t.filled == 0 ? 0 : (t.head + 1) % kHistorySlots;
  t.filled = std::min(t.filled + 1, kHistorySlots);
  t.at[t.head] = now;
  t.head_slot = t.SlotOf(now);
  // The slot held values from 15 minutes ago: nothing is there until this poll writes it.
  const float none = std::nanf("");
  for (auto& [id, server] : state_.servers) server.connections_series.values[t.head] = none;
  for (ServiceState& s : state_.services) {
    for (SeriesRing* ring : {&s.workers, &s.desired, &s.utilization, &s.predicted_timeout_ratio,
                             &s.observed_timeout_ratio, &s.p50, &s.p99}) {
      ring->values[t.head] = none;
    }
  }
  for (ConsumerState& c : state_.consumers) c.lag.values[t.head] = c.desired.values[t.head] = none;
}

void StatusHistory::RecordSources(const Snapshot& snapshot, SteadyTime now) {
  std::map<std::string, SourceState> old;
  for (SourceState& s : state_.sources) old.emplace(s.name, std::move(s));
  state_.sources.clear();
  for (const auto& [name, status] : snapshot.status) {
    SourceState s;
    if (auto it = old.find(name); it != old.end()) s = std::move(it->second);
    s.name = name;
    if (status.polled && (!s.polled || s.up != status.up)) s.since = now;
    s.polled = status.polled;
    s.up = status.up;
    if (status.polled && !status.up) {
      s.reason = s.last_error_reason = status.reason;
      s.detail = s.last_error_detail = status.detail;
      s.last_error_at = now;
    } else {
      s.reason.clear();
      s.detail.clear();
    }
    state_.sources.push_back(std::move(s));
  }
}

void StatusHistory::RecordServers(const Snapshot& snapshot, SteadyTime now) {
  const size_t slot = state_.timeline.head;
  state_.servers_left_out = 0;
  for (const auto& [id, view] : snapshot.servers) {
    auto it = state_.servers.find(id);
    if (it == state_.servers.end()) {
      if (state_.servers.size() >= kMaxStatusServers) {
        ++state_.servers_left_out;
        continue;
      }
      it = state_.servers.emplace(id, ServerState{}).first;
      it->second.id = id;
    }
    ServerState& s = it->second;
    const Varz* varz = view.varz ? &*view.varz : nullptr;
    if (!view.server_name.empty()) s.name = view.server_name;
    if (varz && !varz->server_name.empty()) s.name = varz->server_name;
    if (view.server_version.known) s.version = view.server_version.ToString();
    if (!view.cluster.empty()) s.cluster = view.cluster;
    if (varz && !varz->cluster.empty()) s.cluster = varz->cluster;
    s.up = snapshot.cluster.enabled ? view.answered : varz != nullptr;
    s.connections = varz ? std::optional<uint64_t>(varz->connections) : std::nullopt;
    if (s.up) s.last_seen = now;
    Set(s.connections_series, slot, varz ? static_cast<double>(varz->connections) : std::nan(""));
  }
  // A server gone for the whole span has nothing left to chart.
  std::erase_if(state_.servers, [&](const auto& entry) {
    return !snapshot.servers.contains(entry.first) && now - entry.second.last_seen > kHistorySpan;
  });
}

void StatusHistory::RecordServices(const ScalingSnapshot* scaling, const ServicesSnapshot* probes, SteadyTime now) {
  std::vector<std::string> names;
  if (probes) {
    for (const ServiceConfig& c : probes->services) names.push_back(c.name);
  } else if (scaling) {
    for (const ServiceSignal& s : scaling->services) names.push_back(s.name);
  }
  state_.services_left_out = names.size() > kMaxStatusServices ? names.size() - kMaxStatusServices : 0;
  if (names.size() > kMaxStatusServices) names.resize(kMaxStatusServices);
  state_.services = Carry<ServiceState, std::string>(state_.services, names, ServiceKey);

  const size_t slot = state_.timeline.head;
  for (size_t i = 0; i < names.size(); ++i) {
    ServiceState& s = state_.services[i];
    s.signal_known = false;
    if (scaling) {
      for (const ServiceSignal& sig : scaling->services) {
        if (sig.name == names[i]) {
          s.signal = sig;
          s.signal_known = true;
        }
      }
    }
    s.signal.name = names[i];
    const ServiceStats* stats = nullptr;
    if (probes) {
      for (size_t j = 0; j < probes->services.size() && j < probes->stats.size(); ++j) {
        if (probes->services[j].name == names[i]) stats = &probes->stats[j];
      }
    }
    s.probed = stats && stats->probed;
    s.probe_up = stats && stats->up;
    s.consecutive_failures = stats ? stats->consecutive_failures : 0;
    s.recent_answers = 0;
    s.p50_seconds = s.p99_seconds = std::nan("");
    if (stats) {
      auto& samples = s.latency_samples;
      if (!samples.empty() && state_.timeline.SlotOf(samples.back().first) == state_.timeline.head_slot) {
        samples.back() = {now, stats->latency.counts};
      } else {
        samples.emplace_back(now, stats->latency.counts);
      }
      while (samples.size() > 2 && samples[1].first <= now - kLatencyWindow) samples.pop_front();
      const std::vector<uint64_t>& base = samples.front().second;
      const std::vector<uint64_t>& last = samples.back().second;
      if (base.size() == last.size()) {
        std::vector<uint64_t> delta(last.size());
        for (size_t b = 0; b < last.size(); ++b) {
          delta[b] = last[b] >= base[b] ? last[b] - base[b] : 0;
          s.recent_answers += delta[b];
        }
        if (s.recent_answers >= kMinAnswersForQuantiles) {
          s.p50_seconds = capacity::HistogramQuantile(stats->latency.bounds, delta, 0.5);
          s.p99_seconds = capacity::HistogramQuantile(stats->latency.bounds, delta, 0.99);
        }
      }
    } else {
      s.latency_samples.clear();
    }
    const ServiceSignal& sig = s.signal;
    const double unknown = std::nan("");
    Set(s.workers, slot, s.signal_known && sig.members_known ? sig.workers : unknown);
    Set(s.desired, slot, s.signal_known ? sig.desired_workers : unknown);
    Set(s.utilization, slot, s.signal_known ? sig.assessment.utilization : unknown);
    Set(s.predicted_timeout_ratio, slot, s.signal_known ? sig.assessment.predicted_timeout_ratio : unknown);
    Set(s.observed_timeout_ratio, slot,
        s.signal_known && sig.window_seconds > 0 ? sig.observed_timeout_ratio : unknown);
    Set(s.p50, slot, s.p50_seconds);
    Set(s.p99, slot, s.p99_seconds);
  }
}

void StatusHistory::RecordConsumers(const ScalingSnapshot& scaling) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const ConsumerSignal& c : scaling.consumers) {
    if (keys.size() == kMaxStatusConsumers) break;
    keys.emplace_back(c.stream, c.consumer);
  }
  state_.consumers_left_out = scaling.consumers.size() - keys.size();
  state_.consumers = Carry<ConsumerState, std::pair<std::string, std::string>>(state_.consumers, keys, ConsumerKey);
  const size_t slot = state_.timeline.head;
  for (size_t i = 0; i < keys.size(); ++i) {
    ConsumerState& c = state_.consumers[i];
    c.signal = scaling.consumers[i];
    Set(c.lag, slot, c.signal.found ? static_cast<double>(c.signal.lag) : std::nan(""));
    Set(c.desired, slot, c.signal.desired_workers);
  }
}

void StatusHistory::ContinueFrom(const StatusHistory& replaced) {
  StatusState copy;
  {
    std::lock_guard lock(replaced.mu_);
    copy = replaced.state_;
  }
  std::lock_guard lock(mu_);
  copy.timeline.slot_width = state_.timeline.slot_width;
  state_ = std::move(copy);
}

void StatusHistory::Read(const std::function<void(const StatusState&)>& reader) const {
  std::lock_guard lock(mu_);
  reader(state_);
}

size_t StatusHistory::MemoryBytes() const {
  std::lock_guard lock(mu_);
  size_t bytes = sizeof(state_);
  for (const auto& [id, server] : state_.servers) bytes += sizeof(server) + id.capacity() + server.name.capacity();
  for (const ServiceState& s : state_.services) {
    bytes += sizeof(s);
    for (const auto& [at, counts] : s.latency_samples) bytes += sizeof(at) + counts.capacity() * sizeof(uint64_t);
  }
  for (const ConsumerState& c : state_.consumers)
    bytes += sizeof(c) + c.signal.stream.capacity() + c.signal.consumer.capacity();
  return bytes;
}

}  // namespace farrier
