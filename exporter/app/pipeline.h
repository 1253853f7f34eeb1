// Everything one configuration builds and runs: the poller, the NATS connection and prober (only
// when services are configured), the scaling tracker (services or consumers), and the
// collectors and JSON endpoint over them. A reload builds a new Pipeline from the new
// configuration and swaps it in whole, so no part ever runs with half of each configuration.
//
// Thread-safety: Start/Stop from one thread; snapshot_exposition(), collectors() and Scaling()
// from any thread, also after Stop (they then serve the last figures).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>

#include "config/config.h"
#include "core/result.h"
#include "snapshot/render.h"

namespace farrier {

class Poller;
class NatsClient;
class Prober;
class JsAdvisories;
class ScalingTracker;
class SysTransport;
class StatusHistory;

class Pipeline {
 public:
  // Opens the NATS connection and starts probing when services are configured (a server that is
  // down is not an error: the client keeps retrying); polling starts with Start(). Errors are
  // configuration problems (unreadable credentials, bad TLS files).
  static Result<std::unique_ptr<Pipeline>> Create(const Config& config);
  ~Pipeline();  // Stop()
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // A reload: the poll counters, source states and the status page's history continue from
  // `replaced`, stopped already (see Poller::ContinueFrom). Call before Start.
  void ContinueFrom(const Pipeline& replaced);
  void Start();
  // Waits until the first poll has completed (successfully or not), at most `timeout`: a reload
  // swaps the new pipeline in only then, so /metrics never shows the empty not-yet-polled
  // snapshot (nats_up 0) of a healthy server.
  bool WaitForFirstPoll(std::chrono::milliseconds timeout) const;
  void Stop();  // idempotent; returns within about a second (in-flight polls are cancelled)

  const Config& config() const { return config_; }
  // The polled snapshot's series, rendered once per snapshot (capped at
  // --metrics.max-series-per-family), without nats_exporter_snapshot_age_seconds.
  const SnapshotExposition& snapshot_exposition() const { return *exposition_; }
  // Everything else, collected at each scrape: probes, advisories, scaling signals.
  const std::vector<std::shared_ptr<prometheus::Collectable>>& collectors() const { return collectors_; }
  // GET /api/v1/scaling (name "") and /api/v1/scaling/services/<name>: status and JSON body;
  // 404 when neither services nor consumers are configured.
  std::pair<int, std::string> Scaling(const std::string& name) const;
  // GET /: the status page (status/status_page.h) from the history of this pipeline's polls.
  std::string StatusPage() const;

 private:
  explicit Pipeline(const Config& config);

  Config config_;
  std::unique_ptr<SysTransport> sys_;  // cluster mode; outlives the poller that uses it
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<NatsClient> nats_;
  std::unique_ptr<JsAdvisories> advisories_;  // outlives the prober, which subscribes it
  std::unique_ptr<Prober> prober_;
  std::unique_ptr<ScalingTracker> scaling_;
  std::unique_ptr<SnapshotExposition> exposition_;
  std::unique_ptr<StatusHistory> status_;  // recorded after each poll, for the page at /
  std::vector<std::shared_ptr<prometheus::Collectable>> collectors_;
  bool stopped_ = false;
};

}  // namespace farrier
