// farrier-loadgen: open-loop request load against a NATS subject. Requests are sent on a fixed
// schedule (evenly spaced or Poisson) whether or not earlier ones were answered, each with its
// own reply subject <inbox>.<n> under one wildcard subscription <inbox>.*. A request counts as
// a reply, a no-responders status (NATS/1.0 503, natsMsg_IsNoResponders) or, if neither came
// within --timeout, a timeout. Monotonic clock (steady_clock) throughout.
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace farrier::samples {
namespace {

using Clock = std::chrono::steady_clock;

const char* kUsage =
    "usage: farrier-loadgen --url nats://127.0.0.1:4222 --subject api.echo --rate 100 --duration 6s\n"
    "         [--arrivals even|poisson] [--timeout 1s] [--payload-bytes 16] [--seed S] [--name N]\n"
    "Prints one JSON line: sent, replies, timeouts, no_responders, late (replies after their\n"
    "timeout), send_lag_ms_max and latency_ms {p50,p90,p99,max} of the replies.\n";

class Tracker {
 public:
  explicit Tracker(std::chrono::nanoseconds timeout) : timeout_(timeout), sweeper_([this] { Sweep(); }) {}
  ~Tracker() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    sweeper_.join();
  }

  // Called just before the request with this id is published.
  void Sent(uint64_t id, Clock::time_point at) {
    std::lock_guard lock(mu_);
    outstanding_.emplace(id, at);
    ++sent_;
  }

  static void OnReply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* t = static_cast<Tracker*>(closure);
    const Clock::time_point now = Clock::now();
    const char* subj = natsMsg_GetSubject(msg);
    const char* dot = subj ? std::strrchr(subj, '.') : nullptr;
    const uint64_t id = dot ? std::strtoull(dot + 1, nullptr, 10) : 0;
    const bool no_responders = natsMsg_IsNoResponders(msg);
    natsMsg_Destroy(msg);
    std::lock_guard lock(t->mu_);
    auto it = t->outstanding_.find(id);
    if (it == t->outstanding_.end()) {
      ++t->late_;  // already counted as a timeout (or not ours)
      return;
    }
    if (no_responders) {
      ++t->no_responders_;
    } else {
      t->latencies_ms_.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
    }
    t->outstanding_.erase(it);
    if (t->outstanding_.empty()) t->cv_.notify_all();
  }

  // Waits until every request is answered or timed out (at most timeout + slack).
  void Drain() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout_ + std::chrono::seconds(2), [this] { return outstanding_.empty(); });
  }

  std::string Json(double send_lag_ms_max) {
    std::lock_guard lock(mu_);
    std::vector<double> l = latencies_ms_;
    std::sort(l.begin(), l.end());
    auto pct = [&](double p) {
      if (l.empty()) return 0.0;
      size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(l.size())));
      return l[std::clamp<size_t>(rank, 1, l.size()) - 1];
    };
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"sent\":%llu,\"replies\":%zu,\"timeouts\":%llu,\"no_responders\":%llu,\"late\":%llu,"
                  "\"outstanding\":%zu,\"send_lag_ms_max\":%.3f,"
                  "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}}",
                  static_cast<unsigned long long>(sent_), l.size(), static_cast<unsigned long long>(timeouts_),
                  static_cast<unsigned long long>(no_responders_), static_cast<unsigned long long>(late_),
                  outstanding_.size(), send_lag_ms_max, pct(50), pct(90), pct(99), l.empty() ? 0.0 : l.back());
    return buf;
  }

 private:
  // Ids grow with send time, so the oldest outstanding request is always outstanding_.begin().
  void Sweep() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      const Clock::time_point now = Clock::now();
      while (!outstanding_.empty() && outstanding_.begin()->second + timeout_ <= now) {
        outstanding_.erase(outstanding_.begin());
        ++timeouts_;
      }
      if (outstanding_.empty()) cv_.notify_all();
      Clock::time_point next = outstanding_.empty() ? now + std::chrono::milliseconds(5)
                                                    : outstanding_.begin()->second + timeout_;
      cv_.wait_until(lock, std::min(next, now + std::chrono::milliseconds(5)));
    }
  }

  const std::chrono::nanoseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Clock::time_point> outstanding_;
  std::vector<double> latencies_ms_;
  uint64_t sent_ = 0, timeouts_ = 0, no_responders_ = 0, late_ = 0;
  bool stopping_ = false;
  std::thread sweeper_;  // last: starts after every other member is initialised
};

int Run(int argc, char** argv) {
  Flags f(argc, argv, {"url", "subject", "rate", "duration", "arrivals", "timeout", "payload-bytes", "seed", "name"});
  const std::string url = f.Str("url", "nats://127.0.0.1:4222");
  const std::string subject = f.Str("subject", "api.echo");
  const double rate = f.Num("rate", 100);
  const auto duration = ParseDuration(f.Str("duration", "6s"));
  const std::string arrivals = f.Str("arrivals", "even");
  const auto timeout = ParseDuration(f.Str("timeout", "1s"));
  const int payload_bytes = static_cast<int>(f.Num("payload-bytes", 16));
  const uint64_t seed = static_cast<uint64_t>(f.Num("seed", 1));
  if (!(rate > 0)) throw UsageError("--rate must be > 0");
  if (arrivals != "even" && arrivals != "poisson") throw UsageError("--arrivals: even or poisson");
  if (payload_bytes < 0) throw UsageError("--payload-bytes must be >= 0");

  natsConnection* nc = Connect(url, f.Str("name", "farrier-loadgen"));
  double send_lag_ms_max = 0;
  std::string result;
  {
    natsInbox* inbox = nullptr;
    Check(natsInbox_Create(&inbox), "natsInbox_Create");
    const std::string prefix = std::string(inbox) + ".";
    natsInbox_Destroy(inbox);

    Tracker tracker(timeout);
    natsSubscription* sub = nullptr;
    Check(natsConnection_Subscribe(&sub, nc, (prefix + "*").c_str(), &Tracker::OnReply, &tracker),
          "natsConnection_Subscribe");
    natsSubscription_SetPendingLimits(sub, -1, -1);
    Latch unsubscribed;
    Check(natsSubscription_SetOnCompleteCB(sub, &Latch::Fire, &unsubscribed), "natsSubscription_SetOnCompleteCB");
    Check(natsConnection_Flush(nc), "natsConnection_Flush");

    const std::string payload(static_cast<size_t>(payload_bytes), 'x');
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(rate);  // seconds
    const auto start = Clock::now();
    const auto end = start + duration;
    double offset_s = arrivals == "even" ? 0.0 : gap(rng);
    for (uint64_t id = 1;; ++id) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(offset_s));
      if (due >= end) break;
      std::this_thread::sleep_until(due);
      const auto now = Clock::now();
      send_lag_ms_max = std::max(send_lag_ms_max, std::chrono::duration<double, std::milli>(now - due).count());
      const std::string reply = prefix + std::to_string(id);
      tracker.Sent(id, now);
      Check(natsConnection_PublishRequest(nc, subject.c_str(), reply.c_str(), payload.data(), payload_bytes),
            "natsConnection_PublishRequest");
      // Even: computed from the index, so no rounding error accumulates over a long run.
      offset_s = arrivals == "even" ? static_cast<double>(id) / rate : offset_s + gap(rng);
    }
    natsConnection_FlushTimeout(nc, 5000);
    tracker.Drain();
    natsSubscription_Unsubscribe(sub);
    unsubscribed.Wait(std::chrono::seconds(5));  // no OnReply runs after this
    natsSubscription_Destroy(sub);
    result = tracker.Json(send_lag_ms_max);
  }
  std::printf("%s\n", result.c_str());
  std::fflush(stdout);
  CloseConnection(nc);
  return 0;
}

}  // namespace
}  // namespace farrier::samples

int main(int argc, char** argv) {
  return farrier::samples::RunMain("farrier-loadgen", farrier::samples::kUsage, farrier::samples::Run, argc, argv);
}
