#include "poll/poller.h"

#include <future>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <vector>

#include <spdlog/spdlog.h>

#include "sources/registry.h"

namespace farrier {

Poller::FetcherFactory HttpFetcherFactory(const Config& config) {
  MonitorUrl url = config.monitor_url;
  return [url](const FetchLimits& limits) { return MakeHttpFetcher(url, limits); };
}

Poller::Poller(Config config, FetcherFactory make_fetcher)
    : config_(std::move(config)), make_fetcher_(std::move(make_fetcher)) {
  auto initial = std::make_shared<Snapshot>();
  initial->taken_at = std::chrono::steady_clock::now();
  size_t n_reasons = 0;
  const std::string_view* reasons = AllReasons(&n_reasons);
  for (const SourceSpec& s : AllSources()) {
    if (!config_.CollectorEnabled(s.name)) continue;
    initial->status[std::string(s.name)] = SourceStatus{};
    // Known series are exported as 0 from the start, so rate() sees the first error.
    for (size_t i = 0; i < n_reasons; ++i) {
      initial->errors[{std::string(s.name), std::string(reasons[i])}] = 0;
    }
  }
  current_.store(std::move(initial));
}

Poller::~Poller() { Stop(); }

void Poller::Start() { thread_ = std::thread([this] { Loop(); }); }

void Poller::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Poller::Loop() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
    PollOnce();
#ifdef __GLIBC__
    // A poll allocates a few MB (response bodies) on short-lived threads; give it back to the
    // OS instead of letting each thread's malloc arena keep its peak.
    malloc_trim(0);
#endif
    next += config_.poll_interval;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // an overrun poll is not followed by a burst of catch-ups
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

void Poller::PollOnce() {
  std::shared_ptr<const Snapshot> previous = Current();
  auto started = std::chrono::steady_clock::now();
  FetchLimits limits{started + config_.poll_timeout, config_.max_body_bytes};

  struct Timed {
    SourceOutcome outcome;
    double seconds;
  };
  struct Task {
    const SourceSpec* spec;
    std::future<Timed> result;
  };
  std::vector<Task> tasks;
  for (const SourceSpec& s : AllSources()) {
    if (!config_.CollectorEnabled(s.name)) continue;
    // One thread and one connection per source: a slow /connz cannot delay /varz, so nats_up
    // reflects the server within one timeout.
    tasks.push_back({&s, std::async(std::launch::async, [this, &s, limits, started] {
                       std::unique_ptr<Fetcher> fetcher = make_fetcher_(limits);
                       SourceOutcome outcome = s.poll(*fetcher, config_);
                       auto elapsed = std::chrono::steady_clock::now() - started;
                       return Timed{std::move(outcome),
                                    std::chrono::duration<double>(elapsed).count()};
                     })});
  }

  auto next = std::make_shared<Snapshot>();
  next->polls = previous->polls + 1;
  next->errors = previous->errors;
  next->server_name = previous->server_name;
  for (Task& t : tasks) {
    Timed timed = t.result.get();
    SourceOutcome& outcome = timed.outcome;
    SourceStatus& status = next->status[std::string(t.spec->name)];
    status.polled = true;
    status.duration_seconds = timed.seconds;
    status.up = outcome.reason.empty();
    if (status.up) {
      outcome.store(*next);
    } else {
      status.reason = outcome.reason;
      status.detail = outcome.detail;
      ++next->errors[{std::string(t.spec->name), outcome.reason}];
    }
  }
  if (next->varz) next->server_name = next->varz->server_name;
  next->taken_at = std::chrono::steady_clock::now();
  LogTransitions(*previous, *next);
  current_.store(std::move(next));
}

void Poller::LogTransitions(const Snapshot& previous, const Snapshot& next) const {
  // Once per state change, not once per poll: a server that is down for an hour logs one line.
  for (const auto& [name, now] : next.status) {
    auto it = previous.status.find(name);
    const SourceStatus* before = it == previous.status.end() ? nullptr : &it->second;
    bool first = !before || !before->polled;
    if (now.up) {
      if (first) {
        spdlog::debug("source {} up", name);
      } else if (!before->up) {
        spdlog::info("source {} recovered", name);
      }
    } else if (first || before->up || before->reason != now.reason) {
      spdlog::warn("source {} down: reason={} {}", name, now.reason, now.detail);
    }
  }
  if (next.healthz) {
    bool was_unhealthy = previous.healthz && !previous.healthz->healthy;
    if (!next.healthz->healthy && (!previous.healthz || previous.healthz->healthy)) {
      spdlog::warn("server reports unhealthy: {}", next.healthz->error);
    } else if (next.healthz->healthy && was_unhealthy) {
      spdlog::info("server reports healthy again");
    }
  }
}

}  // namespace farrier
