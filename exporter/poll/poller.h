// The background poller: every --poll.interval it polls each enabled source (in parallel, on one
// long-lived worker thread per source, each under --poll.timeout), builds a new immutable
// Snapshot and publishes it atomically. Scrapes only read the published snapshot; they never
// trigger or wait for a poll.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "snapshot/registry.h"
#include "snapshot/snapshot.h"
#include "transport/fetcher.h"
#include "transport/sys_request.h"

namespace farrier {

// Cluster mode: which servers answered this poll's discovery (transport/sys_request.h).
struct ClusterDiscovery {
  std::vector<SysServer> servers;
  std::string failure;  // why none answered, or ""
  size_t expected = 0;
  uint64_t late_replies = 0;
};
using DiscoverServers = std::function<ClusterDiscovery(std::chrono::steady_clock::time_point deadline)>;

// A server that has not answered discovery for this many polls in a row is forgotten: its
// nats_up 0 series goes too (a server removed from the cluster for good).
inline constexpr uint64_t kForgetServerAfterPolls = 60;

struct PollerOptions {
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds timeout{3000};  // per source and poll, pages included
  size_t max_body_bytes = 64u << 20;        // per response
  SourceOptions sources;                    // which are polled, and how
};

class Poller {
 public:
  // Makes the fetcher one source's worker keeps across polls.
  using FetcherFactory = std::function<std::unique_ptr<Fetcher>()>;

  // With `discover` (cluster mode), each poll first asks which servers there are, then polls
  // every source of each of them through one fetcher per source (requests name the server).
  Poller(PollerOptions options, FetcherFactory make_fetcher, DiscoverServers discover = {});
  ~Poller();  // stops the thread

  // Called on the polling thread with each newly published snapshot (set before Start): how
  // the capacity signals, which need successive snapshots, follow the polls.
  using PollListener = std::function<void(const std::shared_ptr<const Snapshot>&)>;
  void SetListener(PollListener listener) { listener_ = std::move(listener); }

  // Before Start, on a reload: continue the counters (polls, errors by source and reason) and the
  // sources' last states of the poller this one replaces, so a reload is not a counter reset and
  // a source that stays down is not logged again. Sources this configuration does not poll are
  // left out.
  void ContinueFrom(const Snapshot& replaced);
  uint64_t polls_at_start() const { return polls_at_start_; }  // 0, or the replaced poller's count

  void Start();  // first poll immediately, then every interval
  void Stop();   // abandons an in-flight poll (its requests are cancelled) and returns promptly

  // Polls once, synchronously, and publishes the result (used by Start's loop and by tests).
  void PollOnce();

  // The latest snapshot; never null (before the first poll: every source down, not yet polled).
  std::shared_ptr<const Snapshot> Current() const { return current_.load(); }

 private:
  class SourceWorker;

  void Loop();
  void LogTransitions(const Snapshot& previous, const Snapshot& next) const;
  void LogServerTransitions(const Snapshot& previous, const Snapshot& next) const;

  const PollerOptions options_;
  const DiscoverServers discover_;
  std::vector<std::unique_ptr<SourceWorker>> workers_;  // enabled sources, registry order
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  uint64_t polls_at_start_ = 0;
  PollListener listener_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// The production factory: HTTP(S) to the monitoring URL.
Poller::FetcherFactory HttpFetcherFactory(const MonitorUrl& url, const MonitorTls& tls);

}  // namespace farrier
