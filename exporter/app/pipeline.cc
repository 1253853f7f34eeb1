#include "app/pipeline.h"

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "capacity/render_scaling.h"
#include "capacity/scaling.h"
#include "core/version.h"
#include "poll/poller.h"
#include "services/js_advisories.h"
#include "services/nats_client.h"
#include "services/prober.h"
#include "services/render_services.h"
#include "services/sys_transport.h"
#include "snapshot/render.h"
#include "status/history.h"
#include "status/status_page.h"

namespace farrier {
namespace {

// Once per change, not per poll: a service whose $SRV.STATS service time is set aside because
// its probes show it cannot be right (MicroServiceTimeImplausible), and when it is trusted again.
void LogServiceTimeSource(const ScalingSnapshot& before, const ScalingSnapshot& now) {
  for (const ServiceSignal& sig : now.services) {
    bool was_ignored = false;
    for (const ServiceSignal& old : before.services) {
      if (old.name == sig.name) was_ignored = old.micro_service_seconds_ignored > 0;
    }
    const bool ignored = sig.micro_service_seconds_ignored > 0;
    if (ignored && !was_ignored) {
      spdlog::warn(
          "service {}: $SRV.STATS says a request takes {:.6f} s, but no probe was answered in under "
          "10 times that; sizing with probe latency instead (a micro handler that answers on another "
          "goroutine or thread is timed only until it returns)",
          sig.name, sig.micro_service_seconds_ignored);
    } else if (!ignored && was_ignored && sig.service_time_source == "micro") {
      spdlog::info("service {}: $SRV.STATS service time agrees with the probes again", sig.name);
    }
  }
}

}  // namespace


Pipeline::Pipeline(const Config& config) : config_(config) {}

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const Config& config) {
  std::unique_ptr<Pipeline> p(new Pipeline(config));
  const Config& c = p->config_;
  if (c.system_account) {
    // Cluster mode: one connection of its own (a system-account user) for discovery and every
    // source; see services/sys_transport.h.
    Result<std::unique_ptr<SysTransport>> sys = SysTransport::Open(c.nats, c.expected_servers);
    if (!sys) return Error{sys.error()};
    p->sys_ = std::move(sys).value();
    SysTransport* transport = p->sys_.get();
    p->poller_ = std::make_unique<Poller>(
        c.poll, [transport] { return transport->MakeFetcher(); },
        [transport](std::chrono::steady_clock::time_point deadline) {
          SysTransport::Discovery found = transport->Discover(deadline);
          return ClusterDiscovery{std::move(found.servers), std::move(found.failure), transport->expected_servers(),
                                  transport->late_replies()};
        });
    spdlog::info("cluster mode: polling every server over $SYS requests on NATS {}", transport->servers());
  } else {
    p->poller_ = std::make_unique<Poller>(c.poll, HttpFetcherFactory(c.monitor_url, c.monitor_tls));
  }
  p->exposition_ = std::make_unique<SnapshotExposition>(c.poll.sources, c.max_series_per_family,
                                                        [poller = p->poller_.get()] { return poller->Current(); });
  if (!c.services.empty() || c.jetstream_advisories || c.jetstream_account_info) {
    Result<std::unique_ptr<NatsClient>> client = NatsClient::Open(
        c.probe_nats, !c.services.empty() ? "probes count as error meanwhile"
                                          : "JetStream advisories and account info wait for it meanwhile");
    if (!client) return Error{client.error()};
    p->nats_ = std::move(client).value();
    if (c.jetstream_advisories) {
      p->advisories_ = std::make_unique<JsAdvisories>(c.jetstream_advisories_limit, c.probe_buckets);
      p->collectors_.push_back(std::make_shared<JsAdvisoriesCollector>(p->advisories_.get()));
      spdlog::info("counting JetStream advisories over NATS {}", p->nats_->servers());
    }
    // Also with no services: the prober's thread keeps the connection and the advisory
    // subscriptions up, and asks for the account's JetStream info.
    p->prober_ = std::make_unique<Prober>(c.services, c.poll.interval, p->nats_.get(), p->advisories_.get(),
                                          c.jetstream_account_info);
    if (c.jetstream_account_info) {
      spdlog::info("asking {} every {} ms over NATS {}", kJsAccountInfoSubject, c.poll.interval.count(),
                   p->nats_->servers());
    }
    if (Result<bool> started = p->prober_->Start(); !started) return Error{started.error()};
    p->collectors_.push_back(std::make_shared<ServicesCollector>([prober = p->prober_.get()] {
      return prober->Snapshot();
    }));
    if (!c.services.empty()) spdlog::info("probing {} service(s) over NATS {}", c.services.size(), p->nats_->servers());
  }
  // Capacity signals follow the polls: each new snapshot, with the prober's figures, updates them.
  if (!c.services.empty() || !c.consumers.empty()) {
    ScalingTracker::ServicesSource probe_stats;
    if (p->prober_) probe_stats = [prober = p->prober_.get()] { return prober->Snapshot(); };
    p->scaling_ = std::make_unique<ScalingTracker>(ScalingOptions{.window = c.scaling_window,
                                                                  .up_window = c.scaling_up_window,
                                                                  .down_window = c.scaling_down_window,
                                                                  .services = c.services,
                                                                  .consumers = c.consumers},
                                                   probe_stats);
    p->collectors_.push_back(std::make_shared<ScalingCollector>([tracker = p->scaling_.get()] {
      return tracker->Current();
    }));
  }
  // After each poll: the capacity signals, which need successive snapshots, then the status
  // page's history of everything (the signals just computed included).
  p->status_ = std::make_unique<StatusHistory>(c.poll.interval);
  p->poller_->SetListener([tracker = p->scaling_.get(), prober = p->prober_.get(),
                           history = p->status_.get()](const std::shared_ptr<const Snapshot>& s) {
    const auto now = std::chrono::steady_clock::now();
    std::shared_ptr<const ScalingSnapshot> scaling;
    if (tracker) {
      std::shared_ptr<const ScalingSnapshot> before = tracker->Current();
      tracker->Observe(*s, now, std::chrono::system_clock::now());
      scaling = tracker->Current();
      LogServiceTimeSource(*before, *scaling);
    }
    std::optional<ServicesSnapshot> probes;
    if (prober) probes = prober->Snapshot();
    history->Record(*s, scaling.get(), probes ? &*probes : nullptr, now);
  });
  return p;
}

Pipeline::~Pipeline() { Stop(); }

void Pipeline::ContinueFrom(const Pipeline& replaced) {
  poller_->ContinueFrom(*replaced.poller_->Current());
  status_->ContinueFrom(*replaced.status_);
}

void Pipeline::Start() { poller_->Start(); }

bool Pipeline::WaitForFirstPoll(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (poller_->Current()->polls == poller_->polls_at_start()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void Pipeline::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (prober_) prober_->Stop();
  poller_->Stop();
}

std::pair<int, std::string> Pipeline::Scaling(const std::string& name) const {
  if (!scaling_) {
    return {404, nlohmann::json{{"error", "no services or consumers are configured"}}.dump() + "\n"};
  }
  // Figures older than three polls are stale: the poller is stuck or the server unreachable.
  ScalingResponse r = ScalingJson(*scaling_->Current(), name, std::chrono::steady_clock::now(),
                                  3 * config_.poll.interval);
  return {r.status, r.body};
}


std::string Pipeline::StatusPage() const {
  StatusPageContext context{
      .version = FarrierVersion(),
      .polled = config_.system_account ? "every server over $SYS"
                                       : config_.monitor_url.Origin() + config_.monitor_url.base_path,
      .poll_interval = config_.poll.interval,
      .scaling_api = scaling_ != nullptr,
  };
  // Rendered from a copy, so the poller's next Record() never waits for a page being written.
  StatusState state;
  status_->Read([&](const StatusState& recorded) { state = recorded; });
  return RenderStatusPage(state, context, std::chrono::steady_clock::now());
}

}  // namespace farrier
