#include "poll/poller.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <vector>

#include <spdlog/spdlog.h>

#include "snapshot/registry.h"

namespace farrier {

Poller::FetcherFactory HttpFetcherFactory(const MonitorUrl& url, const MonitorTls& tls) {
  return [url, tls] { return MakeHttpFetcher(url, tls); };
}

// One source's thread and fetcher, kept for the process's life: no thread start and no TCP
// connect per poll, and the fetcher's body buffer is reused.
class Poller::SourceWorker {
 public:
  struct Result {
    SourceOutcome outcome;
    double seconds = 0;
  };

  SourceWorker(const SourceSpec& spec, const SourceOptions& options, std::unique_ptr<Fetcher> fetcher)
      : spec_(spec), options_(options), fetcher_(std::move(fetcher)), thread_([this] { Run(); }) {}

  ~SourceWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();  // an in-flight poll ends by its deadline
  }

  const SourceSpec& spec() const { return spec_; }
  void Cancel() { fetcher_->Cancel(); }

  void Begin(const FetchLimits& limits, std::chrono::steady_clock::time_point started) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      limits_ = limits;
      started_ = started;
      requested_ = true;
      done_ = false;
    }
    cv_.notify_all();
  }

  Result Await() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    done_ = false;
    return std::move(result_);
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return requested_ || stopping_; });
      if (stopping_) return;
      requested_ = false;
      FetchLimits limits = limits_;
      auto started = started_;
      lock.unlock();
      fetcher_->StartPoll(limits);
      SourceOutcome outcome = spec_.poll(*fetcher_, options_);
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      lock.lock();
      result_ = Result{std::move(outcome), seconds};
      done_ = true;
      cv_.notify_all();
    }
  }

  const SourceSpec& spec_;
  const SourceOptions& options_;
  std::unique_ptr<Fetcher> fetcher_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool done_ = false;
  bool stopping_ = false;
  FetchLimits limits_;
  std::chrono::steady_clock::time_point started_;
  Result result_;
  std::thread thread_;  // last: starts once the members above exist
};

Poller::Poller(PollerOptions options, FetcherFactory make_fetcher) : options_(std::move(options)) {
  auto initial = std::make_shared<Snapshot>();
  initial->taken_at = std::chrono::steady_clock::now();
  for (const SourceSpec& s : AllSources()) {
    if (!options_.sources.Enabled(s.name)) continue;
    workers_.push_back(std::make_unique<SourceWorker>(s, options_.sources, make_fetcher()));
    initial->status[std::string(s.name)] = SourceStatus{};
    // Known series are exported as 0 from the start, so rate() sees the first error.
    for (ErrorKind kind : kAllErrorKinds) initial->errors[{std::string(s.name), std::string(ReasonLabel(kind))}] = 0;
  }
  current_.store(std::move(initial));
}

Poller::~Poller() {
  Stop();
  workers_.clear();
}

void Poller::ContinueFrom(const Snapshot& replaced) {
  auto initial = std::make_shared<Snapshot>(*Current());
  initial->polls = replaced.polls;
  // What identifies each server survives a reload; what it answered comes with the next poll.
  for (const auto& [server_id, view] : replaced.servers) {
    ServerView& kept = initial->servers[server_id];
    kept.server_name = view.server_name;
    kept.server_version = view.server_version;
  }
  for (auto& [key, count] : initial->errors) {
    if (auto it = replaced.errors.find(key); it != replaced.errors.end()) count = it->second;
  }
  for (auto& [name, status] : initial->status) {
    if (auto it = replaced.status.find(name); it != replaced.status.end()) status = it->second;
  }
  polls_at_start_ = initial->polls;
  current_.store(std::move(initial));
}

void Poller::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Poller::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  // An in-flight poll is abandoned, not awaited: shutdown within a second, not --poll.timeout.
  for (auto& worker : workers_) worker->Cancel();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Poller::Loop() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
    PollOnce();
#ifdef __GLIBC__
    // A poll's parsed pages and snapshot churn a few MB of small allocations; give what is
    // free back to the OS instead of letting the arenas keep their peak.
    malloc_trim(0);
#endif
    next += options_.interval;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // an overrun poll is not followed by a burst of catch-ups
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

void Poller::PollOnce() {
  std::shared_ptr<const Snapshot> previous = Current();
  auto started = std::chrono::steady_clock::now();
  FetchLimits limits{started + options_.timeout, options_.max_body_bytes};

  // Every source runs in parallel on its own worker: a slow /connz cannot delay /varz, so
  // nats_up reflects the server within one timeout.
  for (auto& worker : workers_) worker->Begin(limits, started);

  auto next = std::make_shared<Snapshot>();
  next->polls = previous->polls + 1;
  next->errors = previous->errors;
  // One server, the one the fetchers reach; its name and release outlive a failed /varz.
  ServerView& server = next->MutableLocal();
  server.server_name = previous->Local().server_name;
  server.server_version = previous->Local().server_version;
  for (auto& worker : workers_) {
    SourceWorker::Result result = worker->Await();
    SourceOutcome& outcome = result.outcome;
    const std::string name(worker->spec().name);
    SourceStatus& status = next->status[name];
    status.polled = true;
    status.duration_seconds = result.seconds;
    status.up = !outcome.failure;
    if (status.up) {
      outcome.store(server);
      status.note = std::move(outcome.note);
    } else {
      status.reason = ReasonLabel(*outcome.failure);
      status.detail = outcome.detail;
      ++next->errors[{name, status.reason}];
    }
  }
  if (server.varz) {
    server.server_name = server.varz->server_name;
    server.server_version = ServerVersion::Parse(server.varz->version);
  }
  next->taken_at = std::chrono::steady_clock::now();
  LogTransitions(*previous, *next);
  std::shared_ptr<const Snapshot> published = std::move(next);
  current_.store(published);
  if (listener_) listener_(published);
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
    if (now.up && !now.note.empty() && (!before || before->note != now.note)) {
      spdlog::info("{}", now.note);
    }
  }
  // The server's release and health verdict, once per change.
  const ServerView& was = previous.Local();
  const ServerView& now = next.Local();
  if (now.varz && (!was.varz || was.varz->version != now.varz->version)) {
    if (now.server_version.known) {
      spdlog::info("nats-server {} ({})", now.varz->version, now.varz->server_name);
    } else {
      spdlog::warn(
          "nats-server version \"{}\" is not x.y.z: fields whose meaning changed between "
          "releases (connz leaf nodes, healthz details, subsz total, paused consumers) are "
          "left out",
          now.varz->version);
    }
  }
  if (now.healthz) {
    bool was_unhealthy = was.healthz && !was.healthz->healthy;
    if (!now.healthz->healthy && (!was.healthz || was.healthz->healthy)) {
      spdlog::warn("server reports unhealthy: {}", now.healthz->error);
    } else if (now.healthz->healthy && was_unhealthy) {
      spdlog::info("server reports healthy again");
    }
  }
}

}  // namespace farrier
