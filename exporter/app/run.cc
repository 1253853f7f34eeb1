#include "app/run.h"

#include <csignal>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/logging.h"
#include "app/pipeline.h"
#include "config/config.h"
#include "core/reload_state.h"
#include "core/series_limit.h"
#include "snapshot/render.h"
#include "status/status_page.h"
#include "web/web_server.h"

namespace farrier {
namespace {

// /metrics of whichever pipeline is current. A scrape holds the pipeline it started with, so a
// reload in the middle of it cannot free what it reads. The snapshot's series come rendered
// once per snapshot (SnapshotExposition); the rest (probes, advisories, scaling signals, the
// snapshot's age, the reload state, the series cap's drop counts) is collected per scrape.
class PipelineCollector {
 public:
  explicit PipelineCollector(std::shared_ptr<Pipeline> pipeline) : pipeline_(std::move(pipeline)) {}

  std::shared_ptr<Pipeline> Swap(std::shared_ptr<Pipeline> next) { return pipeline_.exchange(std::move(next)); }
  std::shared_ptr<Pipeline> Current() const { return pipeline_.load(); }

  void RecordReload(bool ok, std::chrono::system_clock::time_point at) {
    std::lock_guard lock(mu_);
    last_reload_ok_ = ok;
    if (ok) last_success_ = at;
  }

  TextPieces Metrics() const {
    std::shared_ptr<Pipeline> p = Current();
    SnapshotExposition::Text snapshot = p->snapshot_exposition().Current();
    std::vector<prometheus::MetricFamily> families;
    for (const auto& c : p->collectors()) {
      for (auto& f : c->Collect()) families.push_back(std::move(f));
    }
    std::map<std::string, uint64_t> dropped = LimitSeries(families, p->config().max_series_per_family);
    dropped.insert(snapshot.dropped.begin(), snapshot.dropped.end());  // no family is in both
    if (snapshot.snapshot) families.push_back(SnapshotAgeFamily(*snapshot.snapshot, std::chrono::steady_clock::now()));
    if (!dropped.empty()) families.push_back(SeriesDroppedFamily(dropped));
    {
      std::lock_guard lock(mu_);
      for (auto& f : ReloadStateFamilies(last_reload_ok_, last_success_)) families.push_back(std::move(f));
    }
    std::ostringstream rest;
    prometheus::TextSerializer().Serialize(rest, families);
    TextPieces body = std::move(snapshot.body);
    body.push_back(std::make_shared<const TextPiece>(std::move(rest).str()));
    return body;
  }

 private:
  std::atomic<std::shared_ptr<Pipeline>> pipeline_;
  mutable std::mutex mu_;
  bool last_reload_ok_ = true;
  std::chrono::system_clock::time_point last_success_ = std::chrono::system_clock::now();
};

// SIGHUP and POST /-/reload: read the configuration again from the same flags, environment and
// file; build and start a new pipeline from it, then stop the old one. An invalid configuration
// (or one whose NATS credentials cannot be read) leaves the running pipeline untouched.
class Reloader {
 public:
  Reloader(std::vector<std::string> args, std::vector<std::string> env, PipelineCollector* collector, WebServer* web,
           std::string log_format)
      : args_(std::move(args)), env_(std::move(env)), collector_(collector), web_(web),
        log_format_(std::move(log_format)) {}

  // true and a summary, or false and why the old configuration was kept.
  std::pair<bool, std::string> Reload() {
    std::lock_guard lock(mu_);
    auto failed = [&](const std::string& why) {
      spdlog::error("configuration reload failed, keeping the running configuration: {}", why);
      collector_->RecordReload(false, std::chrono::system_clock::now());
      return std::make_pair(false, why);
    };
    Result<LoadedConfig> loaded = LoadConfig(args_, env_);
    if (!loaded) return failed(loaded.error());
    const Config& next = loaded->config;
    Result<std::unique_ptr<Pipeline>> created = Pipeline::Create(next);
    if (!created) return failed(created.error());
    std::shared_ptr<Pipeline> fresh = std::move(created).value();
    for (const std::string& warning : loaded->warnings) spdlog::warn("{}", warning);
    spdlog::default_logger()->set_level(spdlog::level::from_str(next.log_level));
    // The running pipeline stops first, so that the new one continues its counters exactly (no
    // poll of the old one falls between the copy and the swap); until the swap, /metrics serves
    // its last figures, so nothing goes missing or flips to a not-yet-polled nats_up 0.
    std::shared_ptr<Pipeline> running = collector_->Current();
    running->Stop();
    fresh->ContinueFrom(*running);
    fresh->Start();
    // A poll completes within --poll.timeout (failed ones too); a second more for scheduling.
    fresh->WaitForFirstPoll(next.poll.timeout + std::chrono::seconds(1));
    collector_->Swap(fresh);
    // The listener is bound once, its TLS context and the log sink made once: say what waits
    // for a restart rather than ignore it. Basic auth users and --web.max-requests apply now.
    std::vector<std::string> need_restart = web_->Reconfigure(next.listener);
    if (next.log_format != log_format_) need_restart.push_back("--log.format");
    for (const std::string& what : need_restart) {
      spdlog::warn("configuration reload: {} changed; that takes effect after a restart", what);
    }
    collector_->RecordReload(true, std::chrono::system_clock::now());
    std::string summary = "configuration reloaded" +
                          (next.config_file.empty() ? std::string() : " from " + next.config_file) + ": " +
                          std::to_string(next.services.size()) + " service(s), " +
                          std::to_string(next.consumers.size()) + " consumer(s)";
    spdlog::info("{}", summary);
    return {true, summary};
  }

 private:
  const std::vector<std::string> args_, env_;
  PipelineCollector* collector_;
  WebServer* web_;
  const std::string log_format_;  // the log sink's, made at start
  std::mutex mu_;
};

}  // namespace

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
  if (loaded->action == Action::kCheck) {
    // For packaging and deployment checks (systemd ExecStartPre, a Helm chart's test): the
    // load above is what a start does; warnings are printed since no log is set up.
    for (const std::string& warning : loaded->warnings) std::cerr << "farrier: warning: " << warning << "\n";
    std::cout << "farrier: configuration OK" << (config.config_file.empty() ? "" : " (" + config.config_file + ")")
              << ": " << (config.system_account ? "cluster mode over $SYS" : "polling " + config.monitor_url.Origin())
              << ", " << config.services.size() << " service(s), " << config.consumers.size() << " consumer(s)\n";
    return 0;
  }
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

  // Block the signals before any thread starts so that only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Result<std::unique_ptr<Pipeline>> created = Pipeline::Create(config);
  if (!created) {
    spdlog::error("{}", created.error());
    return 2;
  }
  auto collector = std::make_shared<PipelineCollector>(std::move(created).value());
  WebServer web(config.listener, [collector] { return collector->Metrics(); });
  Reloader reloader(args, env, collector.get(), &web, config.log_format);

  web.ServeScaling([collector](const std::string& name) { return collector->Current()->Scaling(name); });
  web.ServeStatusPage([collector] {
    return WebServer::Page{collector->Current()->StatusPage(), StatusPageContentSecurityPolicy()};
  });
  if (config.listener.enable_lifecycle) {
    // Prometheus' convention: 200 when reloaded, 500 with the reason when the file was refused.
    web.ServeReload([&reloader] {
      auto [ok, message] = reloader.Reload();
      return std::make_pair(ok ? 200 : 500, message + "\n");
    });
  }
  std::string error;
  if (!web.Start(&error)) {
    spdlog::error("{}", error);
    return 1;
  }
  std::shared_ptr<Pipeline> first = collector->Current();
  const std::string polled = config.system_account ? "every server over $SYS"
                                                   : config.monitor_url.Origin() + config.monitor_url.base_path;
  spdlog::info("farrier {} listening on {}:{}, polling {} every {} ms", FarrierVersion(),
               config.listener.listen_address.host, web.port(), polled, config.poll.interval.count());
  first->Start();
  first.reset();

  for (;;) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal == SIGHUP) {
      reloader.Reload();
      continue;
    }
    spdlog::info("received signal {}, shutting down", signal);
    break;
  }
  web.Stop();
  collector->Current()->Stop();
  return 0;
}

}  // namespace farrier
