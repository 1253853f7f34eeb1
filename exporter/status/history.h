// What the status page at / shows (status/status_page.h): the state of every source, server,
// service and consumer after the latest poll, and for each chart the last 15 minutes of its
// figures in a fixed ring.
//
// Memory is bounded whatever runs for how long: every chart series is kHistorySlots floats
// (720 bytes) on one timeline shared by all series, a slot per max(poll interval, 5 s) on a
// fixed grid, the newest value of a slot winning; and at most kMaxStatusServices services, kMaxStatusConsumers
// consumers and kMaxStatusServers servers are kept (the page says how many more there are).
// At those caps (256 services x 7 series and a minute of latency buckets, 1,024 consumers x 2
// series, 128 servers x 1) that is 3.7 MB; a typical sidecar (a few services and consumers)
// keeps some tens of kilobytes.
//
// Thread-safety: Record() from the poller's thread; Read() from any thread, under the lock that
// Record() takes too (farrier copies the state in Read() and renders the copy: a page takes about
// 20 ms at the caps, bench/README.md).
#pragma once

#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "capacity/signals.h"
#include "core/histogram.h"
#include "services/service_stats.h"
#include "snapshot/snapshot.h"

namespace farrier {

inline constexpr size_t kHistorySlots = 180;
inline constexpr std::chrono::seconds kHistorySpan{15 * 60};
inline constexpr size_t kMaxStatusServices = 256;
inline constexpr size_t kMaxStatusConsumers = 1024;
inline constexpr size_t kMaxStatusServers = 128;
// Probe latency quantiles on the page are over the answers of the last minute; with fewer than
// this many answers a quantile says little and is not shown.
inline constexpr std::chrono::seconds kLatencyWindow{60};
inline constexpr uint64_t kMinAnswersForQuantiles = 10;

using SteadyTime = std::chrono::steady_clock::time_point;

// One chart series: a value per slot of the shared timeline, NaN where there is none (before the
// series existed, or while its figure was unknown).
struct SeriesRing {
  std::array<float, kHistorySlots> values;
  SeriesRing() { values.fill(std::nanf("")); }
};

// The slots' times, oldest first from `head - filled` (mod kHistorySlots).
struct Timeline {
  std::array<SteadyTime, kHistorySlots> at{};
  size_t head = 0;    // the newest slot
  size_t filled = 0;  // slots in use
  std::chrono::milliseconds slot_width{5000};
  // Slots are a fixed grid of slot_width (the newest slot's `at` is its latest value's time), so a
  // poll interval that does not divide the width still fills every slot: 2 s polls put two or
  // three polls in each 5 s slot, and 180 slots span 15 minutes.
  int64_t head_slot = 0;  // grid index of the newest slot
  int64_t SlotOf(SteadyTime t) const { return t.time_since_epoch() / slot_width; }
};

// A chart's points, oldest first: (time, value), NaN values left out by the caller's choice.
struct ChartPoint {
  SteadyTime at;
  double value;
};
std::vector<ChartPoint> Points(const Timeline& timeline, const SeriesRing& series);

struct SourceState {
  std::string name;
  bool polled = false, up = false;
  std::string reason, detail;  // why it is down now
  SteadyTime since{};          // when it went up or down (or was first polled)
  // The last failure, kept after the source recovers.
  std::optional<SteadyTime> last_error_at;
  std::string last_error_reason, last_error_detail;
};

struct ServerState {
  std::string id;  // server id in cluster mode; "" for the sidecar's server
  std::string name, version, cluster;
  bool up = false;  // answered this poll (cluster mode), or /varz was read (sidecar)
  std::optional<uint64_t> connections;
  SteadyTime last_seen{};
  SeriesRing connections_series;
};

struct ServiceState {
  ServiceSignal signal;       // the scaling tracker's latest (name set even before the first)
  bool signal_known = false;  // the tracker has published this service
  bool probed = false, probe_up = false;
  int consecutive_failures = 0;
  // Answered probes of the last kLatencyWindow: their count and quantiles (NaN when too few).
  uint64_t recent_answers = 0;
  double p50_seconds = std::nan(""), p99_seconds = std::nan("");
  SeriesRing workers, desired, utilization, predicted_timeout_ratio, observed_timeout_ratio, p50, p99;
  // Cumulative answered-probe counts per latency bucket, one per timeline slot, over the last
  // kLatencyWindow (and one before it, as the base).
  std::deque<std::pair<SteadyTime, std::vector<uint64_t>>> latency_samples;
};

struct ConsumerState {
  ConsumerSignal signal;
  SeriesRing lag, desired;
};

struct StatusState {
  Timeline timeline;
  uint64_t polls = 0;
  std::optional<SteadyTime> last_poll;
  ClusterPoll cluster;
  std::vector<std::string> stale_reasons;  // the scaling tracker's
  std::vector<SourceState> sources;        // in the snapshot's order (by name)
  std::map<std::string, ServerState> servers;
  std::vector<ServiceState> services;  // configured order
  std::vector<ConsumerState> consumers;
  size_t services_left_out = 0, consumers_left_out = 0, servers_left_out = 0;
  bool nats_configured = false, nats_connected = false;
};

class StatusHistory {
 public:
  // The slot width follows the poll interval (at least kHistorySpan / kHistorySlots).
  explicit StatusHistory(std::chrono::milliseconds poll_interval);

  // One poll: its snapshot, the scaling signals published for it (null without services or
  // consumers) and the prober's figures (null without a NATS connection); `now` is when.
  void Record(const Snapshot& snapshot, const ScalingSnapshot* scaling, const ServicesSnapshot* probes, SteadyTime now);

  // A reload: the rings and source states of the replaced pipeline's history continue here
  // (services and consumers that are no longer configured are dropped with their next Record).
  void ContinueFrom(const StatusHistory& replaced);

  void Read(const std::function<void(const StatusState&)>& reader) const;

  // Bytes held by the rings and latency samples (for bench/ and the docs' figure).
  size_t MemoryBytes() const;

 private:
  void AdvanceTimeline(SteadyTime now);
  void RecordSources(const Snapshot& snapshot, SteadyTime now);
  void RecordServers(const Snapshot& snapshot, SteadyTime now);
  void RecordServices(const ScalingSnapshot* scaling, const ServicesSnapshot* probes, SteadyTime now);
  void RecordConsumers(const ScalingSnapshot& scaling);

  mutable std::mutex mu_;
  StatusState state_;
};

// Where a NaN or infinite figure goes in a float ring.
inline float RingValue(double v) { return std::isfinite(v) ? static_cast<float>(v) : std::nanf(""); }

}  // namespace farrier
