#include "poll/poller.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <algorithm>
#include <map>
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
    // One outcome per server asked, in order ("" for the one server a sidecar's fetcher reaches).
    std::vector<std::pair<std::string, SourceOutcome>> outcomes;
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

  void Begin(const FetchLimits& limits, std::chrono::steady_clock::time_point started,
             std::vector<std::string> servers) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      limits_ = limits;
      started_ = started;
      servers_ = std::move(servers);
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
      std::vector<std::string> servers = servers_;
      lock.unlock();
      fetcher_->StartPoll(limits);
      Result result;
      // What the source kept about servers no longer polled goes (cluster mode: a server left).
      std::erase_if(memory_, [&](const auto& kept) {
        return std::find(servers.begin(), servers.end(), kept.first) == servers.end();
      });
      for (const std::string& id : servers) {
        SourceMemory& memory = memory_[id];
        if (id.empty()) {
          result.outcomes.emplace_back(id, spec_.poll(*fetcher_, options_, memory));
        } else {
          ServerFetcher server(*fetcher_, id);
          result.outcomes.emplace_back(id, spec_.poll(server, options_, memory));
        }
      }
      result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      lock.lock();
      result_ = std::move(result);
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
  std::vector<std::string> servers_;
  std::map<std::string, SourceMemory> memory_;  // by server id; used by the worker's thread only
  Result result_;
  std::thread thread_;  // last: starts once the members above exist
};

Poller::Poller(PollerOptions options, FetcherFactory make_fetcher, DiscoverServers discover)
    : options_(std::move(options)), discover_(std::move(discover)) {
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
    kept.cluster = view.cluster;
    kept.domain = view.domain;
    kept.answered = view.answered;
  }
  initial->cluster = replaced.cluster;
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
  auto next = std::make_shared<Snapshot>();
  next->polls = previous->polls + 1;
  next->errors = previous->errors;

  std::vector<std::string> ids;  // the servers to poll, "" for the sidecar's one
  if (discover_) {
    // Discovery has a third of the poll's time at most (it ends early once the expected count
    // answered); the sources get what is left.
    ClusterDiscovery found = discover_(started + options_.timeout / 3);
    next->cluster = {true, found.expected, found.servers.size(), found.late_replies, found.failure};
    for (const SysServer& s : found.servers) {
      ServerView& view = next->servers[s.id];
      view.server_name = s.name;
      view.cluster = s.cluster;
      view.domain = s.domain;
      view.server_version = ServerVersion::Parse(s.version);
      view.answered = true;
      ids.push_back(s.id);
    }
    // A server that did not answer stays known (nats_up 0, nothing else) for a while, unless a
    // server of the same name answered: restarted, it has a new id (one series per name).
    auto renamed = [&](const std::string& name) {
      return std::any_of(found.servers.begin(), found.servers.end(),
                         [&](const SysServer& s) { return s.name == name; });
    };
    for (const auto& [id, was] : previous->servers) {
      if (id.empty() || next->servers.count(id) || was.polls_unanswered + 1 >= kForgetServerAfterPolls ||
          renamed(was.server_name)) {
        continue;
      }
      ServerView& view = next->servers[id];
      view.server_name = was.server_name;
      view.cluster = was.cluster;
      view.domain = was.domain;
      view.server_version = was.server_version;
      view.polls_unanswered = was.polls_unanswered + 1;
    }
  } else {
    // One server, the one the fetchers reach; its name and release outlive a failed /varz.
    ids.emplace_back();
    ServerView& server = next->MutableLocal();
    server.server_name = previous->Local().server_name;
    server.server_version = previous->Local().server_version;
  }

  // Every source runs in parallel on its own worker: a slow /connz cannot delay /varz, so
  // nats_up reflects the server within one timeout.
  FetchLimits limits{started + options_.timeout, options_.max_body_bytes};
  for (auto& worker : workers_) worker->Begin(limits, started, ids);

  for (auto& worker : workers_) {
    SourceWorker::Result result = worker->Await();
    const std::string name(worker->spec().name);
    SourceStatus& status = next->status[name];
    status.polled = true;
    status.duration_seconds = result.seconds;
    status.up = !result.outcomes.empty();
    if (result.outcomes.empty()) {  // cluster mode, and no server answered discovery (logged once)
      status.reason = ReasonLabel(ErrorKind::kConnect);
      status.detail = "no server answered discovery";
      ++next->errors[{name, status.reason}];
    }
    for (auto& [id, outcome] : result.outcomes) {
      ServerView& view = next->servers[id];
      view.source_up[name] = !outcome.failure;
      if (!outcome.failure) {
        outcome.store(view);
        if (status.note.empty()) status.note = std::move(outcome.note);
        continue;
      }
      const std::string reason(ReasonLabel(*outcome.failure));
      if (status.up) {  // the first failure of this source says why
        status.up = false;
        status.reason = reason;
        status.detail = id.empty() ? outcome.detail : "server " + view.server_name + ": " + outcome.detail;
      }
      ++next->errors[{name, reason}];
    }
  }
  for (auto& [id, view] : next->servers) {
    if (!view.varz) continue;
    view.server_name = view.varz->server_name;
    view.server_version = ServerVersion::Parse(view.varz->version);
  }
  next->taken_at = std::chrono::steady_clock::now();
  LogTransitions(*previous, *next);
  if (discover_) LogServerTransitions(*previous, *next);
  std::shared_ptr<const Snapshot> published = std::move(next);
  current_.store(published);
  if (listener_) listener_(published);
}

void Poller::LogServerTransitions(const Snapshot& previous, const Snapshot& next) const {
  if (next.cluster.failure != previous.cluster.failure) {
    if (!next.cluster.failure.empty()) {
      spdlog::warn("cluster mode: {}", next.cluster.failure);
    } else if (!previous.cluster.failure.empty()) {
      spdlog::info("cluster mode: servers answer again");
    }
  }
  for (const auto& [id, now] : next.servers) {
    auto it = previous.servers.find(id);
    const bool answered_before = it != previous.servers.end() && it->second.answered;
    if (now.answered && !answered_before) {
      spdlog::info("server {} (cluster \"{}\", id {}) answers", now.server_name, now.cluster, id);
    } else if (!now.answered && answered_before) {
      spdlog::warn("server {} (id {}) did not answer discovery; its nats_up is 0 and its other series are gone",
                   now.server_name, id);
    }
  }
  for (const auto& [id, was] : previous.servers) {
    if (id.empty() || next.servers.count(id)) continue;
    const std::string& name = was.server_name;  // a structured binding cannot be captured (clang)
    auto same_name = std::find_if(next.servers.begin(), next.servers.end(),
                                  [&](const auto& entry) { return entry.second.server_name == name; });
    if (same_name != next.servers.end()) {
      spdlog::info("server {} restarted: id {} is now {}", was.server_name, id, same_name->first);
    } else {
      spdlog::info("server {} (id {}) forgotten: no answer for {} polls", was.server_name, id, kForgetServerAfterPolls);
    }
  }
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
