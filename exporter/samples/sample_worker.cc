// farrier-sample-worker: a queue-group worker that models the users' services. Each request
// takes --service-time; at most --concurrency requests are in service at once. When full, a
// new request is dropped (ignored, so it times out at the requester) or queued (FIFO).
//
// Service is simulated by one timer thread holding a deadline heap: "in service" means "has a
// deadline", so C concurrent servers cost no threads, and the cnats delivery thread never
// waits. Replies echo the request payload. Monotonic clock (steady_clock) throughout.
//
// With --micro-name the worker also speaks the NATS "micro" service protocol (ADR-32 v1) by
// hand, since libnats 3.4.1 has no micro API: it answers $SRV.PING, $SRV.INFO and $SRV.STATS
// on all three subject forms ($SRV.<VERB>, .<name>, .<name>.<id>) with plain subscriptions, so
// every instance answers. See README.md for what STATS counts.
#include <nats/nats.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <regex>
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
    "         [--overflow drop|queue] [--name N] [--seed S] [--error-rate 0.0]\n"
    "         [--micro-name SERVICE [--micro-version 1.0.0] [--micro-endpoint NAME]]\n"
    "--error-rate F answers a fraction F of the requests with an empty reply carrying the micro\n"
    "error headers Nats-Service-Error / Nats-Service-Error-Code (500).\n"
    "--micro-name turns on the micro service API ($SRV.PING/INFO/STATS, ADR-32 v1); the endpoint\n"
    "name defaults to the last token of --subject (or \"default\").\n"
    "Prints 'ready' once subscribed; on SIGTERM/SIGINT prints\n"
    "{\"received\":..,\"replied\":..,\"errors\":..,\"dropped\":..,\"in_service\":..,\"queued\":..,\"max_queued\":..}\n";

const char* kErrorDescription = "simulated failure";
const char* kErrorCode = "500";

// ADR-32: service and endpoint names are [A-Za-z0-9_-]+, versions are SemVer (the regular
// expression suggested by semver.org, as the reference clients use).
bool ValidName(const std::string& s) {
  static const std::regex re("^[A-Za-z0-9_-]+$");
  return std::regex_match(s, re);
}
bool ValidSemVer(const std::string& s) {
  static const std::regex re(
      "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)"
      "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
      "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$");
  return std::regex_match(s, re);
}

// A JSON string literal (quotes included).
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// 22 characters of [0-9A-Za-z] from the OS's random source, like a nuid: unique per process
// even when several workers share a --seed.
std::string RandomInstanceId() {
  static const char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::uniform_int_distribution<int> pick(0, 61);
  std::string id;
  for (int i = 0; i < 22; ++i) id += kDigits[pick(rd)];
  return id;
}

// Now as RFC 3339 in UTC with nanoseconds, like Go's time.Time in JSON.
std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns % 1000000000));
  return buf;
}

// The micro service identity of this worker; `name` empty means the micro API is off.
struct MicroConfig {
  std::string name, version, endpoint, subject, queue_group, id, started;
  std::string metadata;  // a JSON object of strings
};

class Worker {
 public:
  Worker(natsConnection* nc, int concurrency, std::chrono::nanoseconds service, bool exponential, bool queue_overflow,
         double error_rate, MicroConfig micro, uint64_t seed)
      : nc_(nc), concurrency_(concurrency), service_(service), exponential_(exponential),
        queue_overflow_(queue_overflow), error_rate_(error_rate), micro_(std::move(micro)), rng_(seed),
        timer_([this] { TimerLoop(); }) {}

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

  // The micro API ($SRV.*): one closure per verb, shared by the verb's three subscriptions.
  enum class Verb { kPing, kInfo, kStats };
  struct VerbClosure {
    Worker* worker;
    Verb verb;
  };

  // The subjects of one verb: $SRV.<VERB>, $SRV.<VERB>.<name>, $SRV.<VERB>.<name>.<id>.
  std::vector<std::string> VerbSubjects(Verb verb) const {
    static constexpr const char* kVerbs[] = {"PING", "INFO", "STATS"};
    std::string all = std::string("$SRV.") + kVerbs[static_cast<int>(verb)];
    return {all, all + "." + micro_.name, all + "." + micro_.name + "." + micro_.id};
  }

  // Answers one $SRV request; runs on a cnats delivery thread and only takes mu_ briefly.
  static void OnVerb(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
    auto* vc = static_cast<VerbClosure*>(closure);
    const char* reply = natsMsg_GetReply(msg);
    if (reply != nullptr && *reply != '\0') {
      std::string body = vc->worker->VerbJson(vc->verb);
      natsConnection_Publish(nc, reply, body.data(), static_cast<int>(body.size()));
    }
    natsMsg_Destroy(msg);
  }

  std::string StatsJson() {
    std::lock_guard lock(mu_);
    return "{\"received\":" + std::to_string(received_) + ",\"replied\":" + std::to_string(replied_) +
           ",\"errors\":" + std::to_string(errors_) + ",\"dropped\":" + std::to_string(dropped_) +
           ",\"in_service\":" + std::to_string(heap_.size()) + ",\"queued\":" + std::to_string(waiting_.size()) +
           ",\"max_queued\":" + std::to_string(max_queued_) + "}";
  }

 private:
  struct Job {
    Clock::time_point done;
    natsMsg* msg;
    Clock::time_point start;  // start of service (not arrival): STATS processing_time
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
    heap_.push(Job{now + s, msg, now});
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
      const Job job = heap_.top();
      heap_.pop();
      // The freed slot goes to the oldest waiting request, starting now.
      if (!waiting_.empty()) {
        natsMsg* next = waiting_.front();
        waiting_.pop_front();
        StartLocked(next, Clock::now());
      }
      const bool fail = error_rate_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < error_rate_;
      lock.unlock();
      const bool sent = Reply(job.msg, fail);
      const Clock::time_point replied_at = Clock::now();
      natsMsg_Destroy(job.msg);
      lock.lock();
      if (sent) {
        ++replied_;
        processing_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(replied_at - job.start).count();
        if (fail) {
          ++errors_;
          last_error_ = std::string(kErrorCode) + ":" + kErrorDescription;  // nats.go's "code:description"
        }
      }
    }
  }

  // Echoes the payload, or sends an empty reply with the micro error headers.
  bool Reply(natsMsg* msg, bool fail) {
    const char* reply = natsMsg_GetReply(msg);
    if (reply == nullptr || *reply == '\0') return false;
    if (!fail) return natsConnection_Publish(nc_, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg)) == NATS_OK;
    natsMsg* out = nullptr;
    natsStatus s = natsMsg_Create(&out, reply, nullptr, nullptr, 0);
    if (s == NATS_OK) s = natsMsgHeader_Set(out, "Nats-Service-Error", kErrorDescription);
    if (s == NATS_OK) s = natsMsgHeader_Set(out, "Nats-Service-Error-Code", kErrorCode);
    if (s == NATS_OK) s = natsConnection_PublishMsg(nc_, out);
    natsMsg_Destroy(out);
    return s == NATS_OK;
  }

  // The identity fields every ADR-32 response starts with.
  std::string IdentityJson(const char* type) const {
    return "{\"type\":" + Quote(type) + ",\"name\":" + Quote(micro_.name) + ",\"id\":" + Quote(micro_.id) +
           ",\"version\":" + Quote(micro_.version) + ",\"metadata\":" + micro_.metadata;
  }

  std::string VerbJson(Verb verb) {
    const std::string endpoint_id = "\"name\":" + Quote(micro_.endpoint) + ",\"subject\":" + Quote(micro_.subject) +
                                    ",\"queue_group\":" + Quote(micro_.queue_group);
    switch (verb) {
      case Verb::kPing: return IdentityJson("io.nats.micro.v1.ping_response") + "}";
      case Verb::kInfo:
        return IdentityJson("io.nats.micro.v1.info_response") +
               ",\"description\":\"farrier-sample-worker: echoes requests after a simulated service time\"" +
               ",\"endpoints\":[{" + endpoint_id + ",\"metadata\":null}]}";
      case Verb::kStats: break;
    }
    std::lock_guard lock(mu_);
    // num_requests counts requests answered (error replies included, as nats.go does);
    // processing_time sums start-of-service-to-reply durations; both in whole nanoseconds.
    const uint64_t average = replied_ == 0 ? 0 : static_cast<uint64_t>(processing_ns_) / replied_;
    return IdentityJson("io.nats.micro.v1.stats_response") + ",\"started\":" + Quote(micro_.started) +
           ",\"endpoints\":[{" + endpoint_id + ",\"num_requests\":" + std::to_string(replied_) +
           ",\"num_errors\":" + std::to_string(errors_) + ",\"last_error\":" + Quote(last_error_) +
           ",\"processing_time\":" + std::to_string(processing_ns_) +
           ",\"average_processing_time\":" + std::to_string(average) + "}]}";
  }

  natsConnection* nc_;
  const int concurrency_;
  const std::chrono::nanoseconds service_;
  const bool exponential_, queue_overflow_;
  const double error_rate_;
  const MicroConfig micro_;
  std::mt19937_64 rng_;  // guarded by mu_
  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Job, std::vector<Job>, std::greater<Job>> heap_;  // in service
  std::deque<natsMsg*> waiting_;                                        // queue mode only
  uint64_t received_ = 0, replied_ = 0, errors_ = 0, dropped_ = 0;
  int64_t processing_ns_ = 0;  // sum over replied requests of (reply time - start of service)
  std::string last_error_;
  size_t max_queued_ = 0;
  bool stopping_ = false;
  std::thread timer_;  // last: starts after every other member is initialised
};

// The micro identity from the flags; an empty name when --micro-name is absent.
MicroConfig MicroFromFlags(const Flags& f, const std::string& subject, const std::string& queue, int concurrency,
                           const std::string& overflow) {
  MicroConfig m;
  m.name = f.Str("micro-name", "");
  if (m.name.empty()) return m;
  if (!ValidName(m.name)) throw UsageError("--micro-name: letters, digits, '-' and '_' only: " + m.name);
  m.version = f.Str("micro-version", "1.0.0");
  if (!ValidSemVer(m.version)) throw UsageError("--micro-version: not a SemVer version: " + m.version);
  std::string last = subject.substr(subject.rfind('.') + 1);  // whole subject when it has no '.'
  m.endpoint = f.Str("micro-endpoint", ValidName(last) ? last : "default");
  if (!ValidName(m.endpoint)) throw UsageError("--micro-endpoint: letters, digits, '-' and '_' only: " + m.endpoint);
  m.subject = subject;
  m.queue_group = queue;
  m.id = RandomInstanceId();
  m.started = NowRfc3339();
  m.metadata = "{\"concurrency\":" + Quote(std::to_string(concurrency)) + ",\"overflow\":" + Quote(overflow) + "}";
  return m;
}

int Run(int argc, char** argv) {
  Flags f(argc, argv,
          {"url", "subject", "queue", "concurrency", "service-time", "service-time-dist", "overflow", "name", "seed",
           "error-rate", "micro-name", "micro-version", "micro-endpoint"});
  const std::string url = f.Str("url", "nats://127.0.0.1:4222");
  const std::string subject = f.Str("subject", "api.echo");
  const std::string queue = f.Str("queue", "workers");
  const int concurrency = static_cast<int>(f.Num("concurrency", 4));
  const auto service = ParseDuration(f.Str("service-time", "20ms"));
  const std::string dist = f.Str("service-time-dist", "fixed");
  const std::string overflow = f.Str("overflow", "drop");
  const std::string name = f.Str("name", "farrier-sample-worker");
  const double error_rate = f.Num("error-rate", 0);
  if (concurrency < 1) throw UsageError("--concurrency must be >= 1");
  if (dist != "fixed" && dist != "exponential") throw UsageError("--service-time-dist: fixed or exponential");
  if (overflow != "drop" && overflow != "queue") throw UsageError("--overflow: drop or queue");
  if (!(error_rate >= 0 && error_rate <= 1)) throw UsageError("--error-rate: a fraction from 0 to 1");
  const uint64_t seed = static_cast<uint64_t>(f.Num("seed", static_cast<double>(std::random_device{}())));
  MicroConfig micro = MicroFromFlags(f, subject, queue, concurrency, overflow);
  const bool micro_on = !micro.name.empty();

  // Block the stop signals before cnats starts its threads, so they inherit the mask and only
  // sigwait() below sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  natsConnection* nc = Connect(url, name);
  {
    Worker worker(nc, concurrency, service, dist == "exponential", overflow == "queue", error_rate, std::move(micro),
                  seed);
    // Every subscription with the latch fired once its handler has returned for the last time.
    std::vector<natsSubscription*> subs;
    std::vector<std::unique_ptr<Latch>> unsubscribed;
    auto track = [&](natsSubscription* sub) {
      subs.push_back(sub);
      unsubscribed.push_back(std::make_unique<Latch>());
      Check(natsSubscription_SetOnCompleteCB(sub, &Latch::Fire, unsubscribed.back().get()),
            "natsSubscription_SetOnCompleteCB");
    };
    natsSubscription* sub = nullptr;
    Check(natsConnection_QueueSubscribe(&sub, nc, subject.c_str(), queue.c_str(), &Worker::OnMsg, &worker),
          "natsConnection_QueueSubscribe");
    // No pending limit: overflow policy is ours, not the client library's slow-consumer drop.
    natsSubscription_SetPendingLimits(sub, -1, -1);
    track(sub);
    Worker::VerbClosure verbs[] = {{&worker, Worker::Verb::kPing},
                                   {&worker, Worker::Verb::kInfo},
                                   {&worker, Worker::Verb::kStats}};
    if (micro_on) {
      // Plain subscriptions: every instance must answer a $SRV request, not one of a queue group.
      for (Worker::VerbClosure& v : verbs) {
        for (const std::string& s : worker.VerbSubjects(v.verb)) {
          natsSubscription* verb_sub = nullptr;
          Check(natsConnection_Subscribe(&verb_sub, nc, s.c_str(), &Worker::OnVerb, &v), "natsConnection_Subscribe");
          track(verb_sub);
        }
      }
    }
    Check(natsConnection_Flush(nc), "natsConnection_Flush");
    std::printf("ready\n");
    std::fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    for (natsSubscription* s : subs) natsSubscription_Unsubscribe(s);
    // The on-complete callbacks run once the handlers have returned for the last time, so the
    // stats are final and `worker` and `verbs` may be destroyed.
    for (size_t i = 0; i < unsubscribed.size(); ++i) {
      if (!unsubscribed[i]->Wait(std::chrono::seconds(5))) {
        std::fprintf(stderr,
                     "farrier-sample-worker: subscription %zu of %zu still had a handler running 5 s "
                     "after unsubscribing; the stats below may be short\n",
                     i + 1, unsubscribed.size());
      }
    }
    for (natsSubscription* s : subs) natsSubscription_Destroy(s);
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
