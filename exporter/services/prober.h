// Background prober for API services over one NATS connection, in the spirit of
// smokeping_prober: per service, a request every probe interval (starts splayed across the
// interval, at most probe.max_outstanding in flight), timed with the monotonic clock from
// just before the publish to the reply's delivery. Also polls $SRV.STATS of micro services
// every --poll.interval and folds service-latency events into histograms. With
// --jetstream.account-info it asks $JS.API.INFO every --poll.interval too, and
// $SYS.REQ.USER.INFO once per connection for the account's name (services/js_account_info.h).
//
// All replies come back on one wildcard inbox subscription (<inbox>.<token>), so a probe costs
// one publish and no per-request subscription. A reply after the timeout is ignored.
//
// Thread-safety: Snapshot() may be called from any thread. Start/Stop from one thread.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "services/definitions.h"
#include "services/js_account_info.h"
#include "services/js_advisories.h"
#include "services/nats_client.h"
#include "services/service_stats.h"

namespace farrier {

class Prober {
 public:
  // `client` must outlive the prober. `micro_interval`: how often $SRV.STATS is asked (farrier
  // uses its poll interval). `advisories`, when given, must outlive the prober too: its
  // subscriptions follow the connection like the prober's own. `account_info`: ask $JS.API.INFO
  // every micro_interval (a reply later than that is a timeout).
  Prober(std::vector<ServiceConfig> services, std::chrono::milliseconds micro_interval, NatsClient* client,
         JsAdvisories* advisories = nullptr, bool account_info = false);
  ~Prober();  // Stop()
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Starts the scheduler thread, which subscribes (reply inbox, latency subjects) as soon as
  // the connection allows and again after the connection is replaced.
  Result<bool> Start();
  void Stop();  // returns promptly; in-flight probes are abandoned

  ServicesSnapshot Snapshot() const;

 private:
  using Clock = std::chrono::steady_clock;
  // What a reply token stands for; its letter leads the token in the reply subject.
  enum class PendingKind {
    kProbe,        // a service probe ('p')
    kMicro,        // a $SRV.STATS round, gathering every answer until the deadline ('m')
    kAccountInfo,  // $JS.API.INFO ('a')
    kUserInfo,     // $SYS.REQ.USER.INFO ('u')
  };
  struct Pending {
    PendingKind kind;
    size_t service;  // kProbe, kMicro
    Clock::time_point start, deadline;
    std::vector<MicroStatsResponse> answers;  // kMicro
  };
  struct LatencySub {
    Prober* prober;
    size_t service;
    natsSubscription* sub = nullptr;
  };

  // (Re)subscribes the reply inbox and latency subjects on the current connection; false when
  // the connection does not take them yet (tried again on the next loop).
  bool Subscribe();
  void Unsubscribe();
  static void OnReply(natsConnection*, natsSubscription*, natsMsg* msg, void* self);
  static void OnLatencyEvent(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void OnAdvisory(natsConnection*, natsSubscription*, natsMsg* msg, void* advisories);
  void Loop();
  void SendProbeLocked(size_t service);
  void SendMicroLocked(size_t service, Clock::time_point now);
  // Publishes an empty request whose reply comes to a new token of `kind`; false if not sent.
  bool RequestLocked(PendingKind kind, std::string_view subject, size_t service, Clock::time_point start,
                     Clock::time_point deadline);
  // $JS.API.INFO, and $SYS.REQ.USER.INFO while this connection's account is not known.
  void SendAccountInfoLocked(Clock::time_point now);
  void OnAccountInfoLocked(natsMsg* msg);
  void OnUserInfoLocked(natsMsg* msg);
  // Counts a failed $JS.API.INFO (and drops its series); logs only when the state changes.
  void AccountInfoFailedLocked(AccountInfoFailure why, std::string_view detail);
  void ExpireLocked(Clock::time_point now);
  // Count a completed probe; log only when the service's probe state changes.
  void FailLocked(size_t service, ProbeFailure why);
  void SucceedLocked(size_t service, double seconds);

  const std::vector<ServiceConfig> services_;
  const std::chrono::milliseconds micro_interval_;
  NatsClient* const client_;
  JsAdvisories* const advisories_;
  std::string inbox_;  // <inbox>; replies to <inbox>.<token>
  natsSubscription* inbox_sub_ = nullptr;
  std::vector<std::unique_ptr<LatencySub>> latency_subs_;
  std::vector<natsSubscription*> advisory_subs_;  // kJsAdvisorySubject, kJsMetricSubject, prefixed

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<ServiceStats> stats_;
  std::vector<Clock::time_point> next_probe_, next_micro_;
  std::vector<int> in_flight_;           // probes outstanding per service
  std::map<uint64_t, Pending> pending_;  // by token
  // --jetstream.account-info
  const bool account_info_;
  JsAccountInfoStats account_info_stats_;
  Clock::time_point next_account_info_;
  uint64_t account_generation_ = 0;  // the connection whose account is known (0: none)
  bool user_info_in_flight_ = false;
  // What was last logged: a failure's reason, kAccountInfoOk, or nothing yet (-1).
  static constexpr int kAccountInfoOk = 100;
  int account_info_logged_ = -1;
  uint64_t next_token_ = 1;
  std::thread thread_;
};

}  // namespace farrier
