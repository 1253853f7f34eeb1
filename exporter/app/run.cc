#include "app/run.h"

#include <csignal>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "app/logging.h"
#include "config/config.h"
#include "core/render.h"
#include "capacity/render_scaling.h"
#include "capacity/scaling.h"
#include "poll/poller.h"
#include "services/nats_client.h"
#include "services/prober.h"
#include "services/render_services.h"
#include "web/web_server.h"

namespace farrier {

int Run(int argc, char** argv, char** envp) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> env;
  for (char** e = envp; e && *e; ++e) env.emplace_back(*e);

  Result<LoadedConfig> loaded = LoadConfig(args, env);
  if (!loaded) {
    std::cerr << "farrier: error: " << loaded.error() << "\n";
    return 2;
  }
  if (loaded->action == Action::kHelp) {
    std::cout << HelpText();
    return 0;
  }
  if (loaded->action == Action::kVersion) {
    std::cout << "farrier " << FarrierVersion() << "\n";
    return 0;
  }
  const Config& config = loaded->config;
#ifdef __GLIBC__
  // Seven long-lived threads (a worker per source, the poll loop) plus the listener's pool:
  // without a cap glibc gives each its own arena, and RSS grows with the number of arenas.
  mallopt(M_ARENA_MAX, 2);
  // Response bodies (up to megabytes per /connz page) are served by mmap and returned to the OS
  // when freed. A fixed threshold turns off glibc's adaptive one, which after the first large
  // free would move such buffers into the heap, where freed pages stay resident.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  SetupLogging(config.log_level, config.log_format);
  for (const std::string& warning : loaded->warnings) spdlog::warn("{}", warning);
  if (config.monitor_tls.insecure_skip_verify && config.monitor_url.scheme == "https") {
    spdlog::warn("--nats.monitor-tls.insecure-skip-verify: the monitoring port's certificate is not verified");
  }

  // Block the stop signals before any thread starts so that only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Poller poller(config, HttpFetcherFactory(config));
  std::vector<std::shared_ptr<prometheus::Collectable>> collectors{
      std::make_shared<SnapshotCollector>(config, [&poller] { return poller.Current(); })};

  // Probing needs a NATS client connection, opened only when services are configured.
  std::unique_ptr<NatsClient> nats;
  std::unique_ptr<Prober> prober;
  if (!config.services.empty()) {
    Result<std::unique_ptr<NatsClient>> client = NatsClient::Open(config.nats);
    if (!client) {
      spdlog::error("{}", client.error());
      return 2;
    }
    nats = std::move(client).value();
    prober = std::make_unique<Prober>(config, nats.get());
    if (Result<bool> started = prober->Start(); !started) {
      spdlog::error("{}", started.error());
      return 1;
    }
    collectors.push_back(std::make_shared<ServicesCollector>([p = prober.get()] { return p->Snapshot(); }));
    spdlog::info("probing {} service(s) over NATS {}", config.services.size(), nats->servers());
  }
  // Capacity signals follow the polls: each new snapshot, with the prober's figures, updates them.
  std::unique_ptr<ScalingTracker> scaling;
  if (!config.services.empty() || !config.consumers.empty()) {
    ScalingTracker::ServicesSource probe_stats;
    if (prober) probe_stats = [p = prober.get()] { return p->Snapshot(); };
    scaling = std::make_unique<ScalingTracker>(config, probe_stats);
    poller.SetListener([t = scaling.get()](const std::shared_ptr<const Snapshot>& s) {
      t->Observe(*s, std::chrono::steady_clock::now(), std::chrono::system_clock::now());
    });
    collectors.push_back(std::make_shared<ScalingCollector>([t = scaling.get()] { return t->Current(); }));
  }
  WebServer web(config, collectors);
  if (scaling) {
    // Figures older than three polls are stale: the poller is stuck or the server unreachable.
    auto max_age = 3 * config.poll_interval;
    web.ServeScaling([t = scaling.get(), max_age](const std::string& name) {
      ScalingResponse r = ScalingJson(*t->Current(), name, std::chrono::steady_clock::now(), max_age);
      return std::make_pair(r.status, r.body);
    });
  }
  // Placeholder until SIGHUP reload lands: the route, its auth and its 405s are in place.
  if (config.web_enable_lifecycle) web.ServeReload([] { return std::make_pair(501, std::string("reload is not implemented yet\n")); });
  std::string error;
  if (!web.Start(&error)) {
    spdlog::error("{}", error);
    return 1;
  }
  spdlog::info("farrier {} listening on {}:{}, polling {}{} every {} ms", FarrierVersion(),
               config.listen_address.host, web.port(), config.monitor_url.Origin(),
               config.monitor_url.base_path, config.poll_interval.count());
  poller.Start();

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("received signal {}, shutting down", signal);
  web.Stop();
  if (prober) prober->Stop();
  poller.Stop();
  return 0;
}

}  // namespace farrier
