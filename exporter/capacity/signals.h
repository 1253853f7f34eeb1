// What the scaling tracker publishes after each poll: per service and per JetStream consumer, the
// figures the capacity model used and its answer. Plain data, immutable once published; rendered
// as metrics and as the /api/v1/scaling JSON by render_scaling.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "capacity/model.h"

namespace farrier {

struct ServiceSignal {
  std::string name;
  int concurrency = 1;
  bool members_known = false;    // this poll's queue-group view succeeded
  int workers = 0;               // local queue subscriptions in the group
  uint64_t delivered_total = 0;  // requests delivered to local members since farrier started
  uint64_t replies_total = 0;    // messages the members' connections published (their replies)
  bool replies_known = false;    // /connz answered this poll
  uint64_t pending_bytes = 0;    // summed over the members' connections
  bool pending_known = false;
  // Window figures (0 until two samples span some time).
  double window_seconds = 0;
  double arrival_rate = 0;          // λ, requests/s delivered to local members
  double service_seconds = 0;       // S estimate; 0 = unknown
  std::string service_time_source;  // "micro", "probe" or "" (unknown)
  // What $SRV.STATS said S was when it was set aside because the fastest probe took far longer
  // (MicroServiceTimeImplausible); 0 otherwise.
  double micro_service_seconds_ignored = 0;
  double p99_seconds = 0;  // from probe latency in the window; 0 = unknown
  double observed_timeout_ratio = 0;
  capacity::PoolAssessment assessment;  // desired_workers there is the raw (unsmoothed) answer
  int desired_workers = 0;              // smoothed, what autoscalers should follow
  bool warming_up = false;              // the window is not half full yet: desired holds
  int proven_too_small = 0;             // evidence memory (capacity::EvidenceMemory); 0 when none
};

struct ConsumerSignal {
  std::string stream, consumer;
  bool found = false;     // listed in this poll's /jsz
  bool led_here = false;  // this server leads it: only then are the figures current
  bool paused = false;    // paused (2.11+): desired_workers holds its last answer
  uint64_t lag = 0;       // num_pending + num_ack_pending
  uint64_t num_pending = 0, num_ack_pending = 0;
  double window_seconds = 0;
  double ack_rate = 0;       // acks/s (ack floor advance) over the window
  double incoming_rate = 0;  // ack_rate + lag growth
  int desired_workers = 0;   // smoothed
};

struct ScalingSnapshot {
  std::chrono::steady_clock::time_point taken_at{};
  std::chrono::system_clock::time_point taken_at_wall{};
  bool observed = false;                   // false until the first poll was observed
  std::vector<std::string> stale_reasons;  // why the figures cannot be trusted right now
  std::vector<ServiceSignal> services;
  std::vector<ConsumerSignal> consumers;
};

}  // namespace farrier
