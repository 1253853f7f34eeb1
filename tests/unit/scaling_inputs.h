// Hand-made inputs for the scaling tracker and its parts (capacity/*_scaler.h and friends): times
// as offsets from a fixed origin, queue-group members, /connz counters, /jsz consumers and the
// prober's figures for a service. Nothing here reads a clock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "services/definitions.h"
#include "services/service_stats.h"
#include "sources/connz.h"
#include "sources/jsz.h"
#include "sources/queue_groups.h"

namespace farrier::test {

using Clock = std::chrono::steady_clock;

// `seconds` after a fixed origin: tests choose every time point.
inline Clock::time_point At(double seconds) {
  return Clock::time_point{} + std::chrono::hours(1) +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

struct Member {
  uint64_t cid;
  std::string sid;
  uint64_t msgs;
};

inline QueueGroupView Members(const std::vector<Member>& members) {
  QueueGroupView v;
  for (const Member& m : members) {
    QueueSubscription s;
    s.subject = "api.echo";
    s.queue_group = "workers";
    s.cid = m.cid;
    s.sid = m.sid;
    s.msgs = m.msgs;
    v.members.push_back(s);
  }
  return v;
}

// /connz per-connection counters {cid, in_msgs, pending_bytes}, in any order.
inline Connz ConnzOf(std::vector<Connz::Counters> connections) {
  Connz c;
  std::sort(connections.begin(), connections.end(), [](const auto& a, const auto& b) { return a.cid < b.cid; });
  c.by_cid = std::move(connections);
  return c;
}

// The service of the tests: drop pool, C = 2, the default objectives (ρ* 0.7, ε 1 %).
inline ServiceConfig EchoService() {
  ServiceConfig c;
  c.name = "echo";
  c.subject = "api.echo";
  c.queue_group = "workers";
  c.worker_concurrency = 2;
  c.overflow = Overflow::kDrop;
  return c;
}

inline const std::vector<double> kProbeBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

// The prober's figures for one service, grown by the calls below (cumulative, as the prober
// keeps them).
struct ProbeStats {
  ServiceStats stats;
  ProbeStats() { stats.latency = Histogram(kProbeBounds); }

  ProbeStats& Answered(int n, double seconds) {
    for (int i = 0; i < n; ++i) stats.latency.Observe(seconds);
    stats.probes += static_cast<uint64_t>(n);
    return *this;
  }
  ProbeStats& Failed(int n, ProbeFailure why) {
    stats.failures[static_cast<size_t>(why)] += static_cast<uint64_t>(n);
    stats.probes += static_cast<uint64_t>(n);
    return *this;
  }
  // One $SRV.STATS round from one instance: its totals so far.
  ProbeStats& Micro(uint64_t requests, double processing_seconds, Clock::time_point now) {
    stats.micro_polled = true;
    MicroStatsResponse r{"Echo",
                         "instance-1",
                         "1.0.0",
                         "2026-01-01T00:00:00Z",
                         {{"echo", "api.echo", "workers", requests, 0, processing_seconds, ""}}};
    stats.micro.Update({r}, now);
    return *this;
  }
};

// A /jsz consumer: stream ORDERS, consumer `name`, led by `leader`.
inline JszConsumer Consumer(const std::string& name, uint64_t num_pending, uint64_t num_ack_pending, uint64_t ack_floor,
                            const std::string& leader = "") {
  JszConsumer c;
  c.account = "$G";
  c.stream = "ORDERS";
  c.name = name;
  c.durable = true;
  c.leader = leader;
  c.num_pending = num_pending;
  c.num_ack_pending = num_ack_pending;
  c.ack_floor_consumer_seq = ack_floor;
  return c;
}

// /jsz of a single server (everything is led here), or of a JetStream cluster of three.
inline Jsz JszWith(std::vector<JszConsumer> consumers, bool clustered = false) {
  Jsz j;
  j.enabled = true;
  if (clustered) {
    j.meta_cluster_size = 3;
    j.meta_leader = "n1";
  }
  j.consumer_details = std::move(consumers);
  return j;
}

}  // namespace farrier::test
