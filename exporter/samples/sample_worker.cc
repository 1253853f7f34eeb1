// farrier-sample-worker: a queue-group worker that models the users' services. Each request
// takes --service-time; at most --concurrency requests are in service at once. When full, a
// new request is dropped (ignored, so it times out at the requester) or queued (FIFO).
//
// Service is simulated by one timer thread holding a deadline heap: "in service" means "has a
// deadline", so C concurrent servers cost no threads, and the cnats delivery thread never
// waits. Replies echo the request payload. Monotonic clock (steady_clock) throughout.
#include <nats/nats.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <iostream>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace farrier::samples {
namespace {

using Clock = std::chrono::steady_clock;

const char* kUsage =
    "usage: farrier-sample-worker --url nats://127.0.0.1:4222 --subject api.echo --queue workers\n"
    "         [--concurrency 4] [--service-time 20ms] [--service-time-dist fixed|exponential]\n"
    "         [--overflow drop|queue] [--name N] [--seed S]\n"
    "Prints 'ready' once subscribed; on SIGTERM/SIGINT prints\n"
    "{\"received\":..,\"replied\":..,\"dropped\":..,\"in_service\":..,\"queued\":..,\"max_queued\":..}\n";

class Worker {
 public:
  Worker(natsConnection* nc, int concurrency, std::chrono::nanoseconds service, bool exponential,
         bool queue_overflow, uint64_t seed)
      : nc_(nc), concurrency_(concurrency), service_(service), exponential_(exponential),
        queue_overflow_(queue_overflow), rng_(seed), timer_([this] { TimerLoop(); }) {}

  ~Worker() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    timer_.join();
    std::lock_guard lock(mu_);
    while (!heap_.empty()) {
      natsMsg_Destroy(heap_.top().msg);
      heap_.pop();
    }
    for (natsMsg* m : waiting_) natsMsg_Destroy(m);
  }

  static void OnMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    static_cast<Worker*>(closure)->Arrive(msg);
  }

  std::string StatsJson() {
    std::lock_guard lock(mu_);
    return "{\"received\":" + std::to_string(received_) + ",\"replied\":" + std::to_string(replied_) +
           ",\"dropped\":" + std::to_string(dropped_) + ",\"in_service\":" + std::to_string(heap_.size()) +
           ",\"queued\":" + std::to_string(waiting_.size()) + ",\"max_queued\":" + std::to_string(max_queued_) +
           "}";
  }

 private:
  struct Job {
    Clock::time_point done;
    natsMsg* msg;
    bool operator>(const Job& o) const { return done > o.done; }
  };

  void Arrive(natsMsg* msg) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      ++received_;
      if (static_cast<int>(heap_.size()) < concurrency_) {
        wake = heap_.empty() || Clock::now() + service_ < heap_.top().done;
        StartLocked(msg, Clock::now());
      } else if (queue_overflow_) {
        waiting_.push_back(msg);
        if (waiting_.size() > max_queued_) max_queued_ = waiting_.size();
      } else {
        ++dropped_;
        natsMsg_Destroy(msg);
      }
    }
    if (wake) cv_.notify_one();
  }

  void StartLocked(natsMsg* msg, Clock::time_point now) {
    std::chrono::nanoseconds s = service_;
    if (exponential_) {
      std::exponential_distribution<double> d(1.0);
      s = std::chrono::nanoseconds(static_cast<long long>(d(rng_) * static_cast<double>(service_.count())));
    }
    heap_.push(Job{now + s, msg});
  }

  void TimerLoop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (heap_.empty()) {
        cv_.wait(lock);
        continue;
      }
      Clock::time_point due = heap_.top().done;
      if (Clock::now() < due) {
        cv_.wait_until(lock, due);
        continue;
      }
      natsMsg* msg = heap_.top().msg;
      heap_.pop();
      // The freed slot goes to the oldest waiting request, starting now.
      if (!waiting_.empty()) {
        natsMsg* next = waiting_.front();
        waiting_.pop_front();
        StartLocked(next, Clock::now());
      }
      lock.unlock();
      const char* reply = natsMsg_GetReply(msg);
      bool sent = false;
      if (reply != nullptr && *reply != '\0') {
        sent = natsConnection_Publish(nc_, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg)) == NATS_OK;
      }
      natsMsg_Destroy(msg);
      lock.lock();
      if (sent) ++replied_;
    }
  }

  natsConnection* nc_;
  const int concurrency_;
  const std::chrono::nanoseconds service_;
  const bool exponential_, queue_overflow_;
  std::mt19937_64 rng_;  // guarded by mu_
  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Job, std::vector<Job>, std::greater<Job>> heap_;  // in service
  std::deque<natsMsg*> waiting_;                                        // queue mode only
  uint64_t received_ = 0, replied_ = 0, dropped_ = 0;
  size_t max_queued_ = 0;
  bool stopping_ = false;
  std::thread timer_;  // last: starts after every other member is initialised
};

int Run(int argc, char** argv) {
  Flags f(argc, argv, {"url", "subject", "queue", "concurrency", "service-time", "service-time-dist",
                       "overflow", "name", "seed"});
  const std::string url = f.Str("url", "nats://127.0.0.1:4222");
  const std::string subject = f.Str("subject", "api.echo");
  const std::string queue = f.Str("queue", "workers");
  const int concurrency = static_cast<int>(f.Num("concurrency", 4));
  const auto service = ParseDuration(f.Str("service-time", "20ms"));
  const std::string dist = f.Str("service-time-dist", "fixed");
  const std::string overflow = f.Str("overflow", "drop");
  const std::string name = f.Str("name", "farrier-sample-worker");
  if (concurrency < 1) throw UsageError("--concurrency must be >= 1");
  if (dist != "fixed" && dist != "exponential") throw UsageError("--service-time-dist: fixed or exponential");
  if (overflow != "drop" && overflow != "queue") throw UsageError("--overflow: drop or queue");
  const uint64_t seed = static_cast<uint64_t>(f.Num("seed", static_cast<double>(std::random_device{}())));

  // Block the stop signals before cnats starts its threads, so they inherit the mask and only
  // sigwait() below sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  natsConnection* nc = Connect(url, name);
  {
    Worker worker(nc, concurrency, service, dist == "exponential", overflow == "queue", seed);
    natsSubscription* sub = nullptr;
    Check(natsConnection_QueueSubscribe(&sub, nc, subject.c_str(), queue.c_str(), &Worker::OnMsg, &worker),
          "natsConnection_QueueSubscribe");
    // No pending limit: overflow policy is ours, not the client library's slow-consumer drop.
    natsSubscription_SetPendingLimits(sub, -1, -1);
    Latch unsubscribed;
    Check(natsSubscription_SetOnCompleteCB(sub, &Latch::Fire, &unsubscribed), "natsSubscription_SetOnCompleteCB");
    Check(natsConnection_Flush(nc), "natsConnection_Flush");
    std::printf("ready\n");
    std::fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    natsSubscription_Unsubscribe(sub);
    // The on-complete callback runs once the handler has returned for the last time, so the
    // stats are final and `worker` may be destroyed.
    unsubscribed.Wait(std::chrono::seconds(5));
    natsSubscription_Destroy(sub);
    std::printf("%s\n", worker.StatsJson().c_str());
    std::fflush(stdout);
  }
  CloseConnection(nc);
  return 0;
}

}  // namespace
}  // namespace farrier::samples

int main(int argc, char** argv) {
  return farrier::samples::RunMain("farrier-sample-worker", farrier::samples::kUsage, farrier::samples::Run, argc,
                                   argv);
}
