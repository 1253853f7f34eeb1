#include "services/prober.h"

#include <charconv>
#include <cstring>

#include <spdlog/spdlog.h>

#include "services/service_latency.h"

namespace farrier {
namespace {

// Reply subjects: <inbox>.<letter><token>, the letter naming the kind of request (the index of
// a letter is its Pending kind), so a late reply of one kind never completes another's token.
constexpr std::string_view kKindLetters = "pmau";

bool ParseToken(const char* subject, size_t inbox_len, size_t* kind, uint64_t* token) {
  size_t len = std::strlen(subject);
  if (len < inbox_len + 3 || subject[inbox_len] != '.') return false;
  *kind = kKindLetters.find(subject[inbox_len + 1]);
  if (*kind == std::string_view::npos) return false;
  auto [end, ec] = std::from_chars(subject + inbox_len + 2, subject + len, *token);
  return ec == std::errc() && end == subject + len;
}

}  // namespace

Prober::Prober(std::vector<ServiceConfig> services, std::chrono::milliseconds micro_interval, NatsClient* client,
               JsAdvisories* advisories, bool account_info)
    : services_(std::move(services)), micro_interval_(micro_interval), client_(client), advisories_(advisories),
      account_info_(account_info) {
  stats_.resize(services_.size());
  Clock::time_point now = Clock::now();
  for (size_t i = 0; i < services_.size(); ++i) {
    stats_[i].latency = Histogram(services_[i].buckets);
    stats_[i].observed_service = Histogram(services_[i].buckets);
    stats_[i].observed_system = Histogram(services_[i].buckets);
    stats_[i].observed_total = Histogram(services_[i].buckets);
    // Splay first probes across one interval so that services are not probed in bursts.
    next_probe_.push_back(now + services_[i].probe.interval * static_cast<int64_t>(i) /
                                    static_cast<int64_t>(services_.size()));
    next_micro_.push_back(now);
  }
  in_flight_.assign(services_.size(), 0);
  next_account_info_ = now;
}

Prober::~Prober() { Stop(); }

Result<bool> Prober::Start() {
  char* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return Error{"cannot create a NATS inbox"};
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  thread_ = std::thread([this] { Loop(); });
  return true;
}

bool Prober::Subscribe() {
  natsConnection* nc = client_->connection();
  if (!nc) return false;
  std::string wildcard = inbox_ + ".*";
  if (natsStatus s = natsConnection_Subscribe(&inbox_sub_, nc, wildcard.c_str(), &Prober::OnReply, this);
      s != NATS_OK) {
    inbox_sub_ = nullptr;
    return false;
  }
  // Replies are tiny and handled at once; no message limit, a generous byte limit.
  natsSubscription_SetPendingLimits(inbox_sub_, -1, 64 * 1024 * 1024);
  for (size_t i = 0; i < services_.size(); ++i) {
    if (services_[i].latency_subject.empty()) continue;
    auto sub = std::make_unique<LatencySub>(LatencySub{this, i});
    if (natsConnection_Subscribe(&sub->sub, nc, services_[i].latency_subject.c_str(), &Prober::OnLatencyEvent,
                                 sub.get()) != NATS_OK) {
      Unsubscribe();
      return false;
    }
    latency_subs_.push_back(std::move(sub));
  }
  for (std::string_view subject :
       {kJsAdvisorySubject, kJsMetricSubject, kJsAdvisoryPrefixedSubject, kJsMetricPrefixedSubject}) {
    if (!advisories_) break;
    natsSubscription* sub = nullptr;
    if (natsConnection_Subscribe(&sub, nc, std::string(subject).c_str(), &Prober::OnAdvisory, advisories_) != NATS_OK) {
      Unsubscribe();
      return false;
    }
    // Bursts (a mass NAK, a restart's elections) queue rather than drop: a generous byte limit.
    natsSubscription_SetPendingLimits(sub, -1, 64 * 1024 * 1024);
    advisory_subs_.push_back(sub);
  }
  return true;
}

void Prober::Unsubscribe() {
  // After Unsubscribe + Destroy no callback of these subscriptions touches `this` again.
  if (inbox_sub_) {
    natsSubscription_Unsubscribe(inbox_sub_);
    natsSubscription_Destroy(inbox_sub_);
    inbox_sub_ = nullptr;
  }
  for (auto& l : latency_subs_) {
    natsSubscription_Unsubscribe(l->sub);
    natsSubscription_Destroy(l->sub);
  }
  latency_subs_.clear();
  for (natsSubscription* sub : advisory_subs_) {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  advisory_subs_.clear();
}

void Prober::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Unsubscribe();
}

ServicesSnapshot Prober::Snapshot() const {
  ServicesSnapshot s;
  s.nats_configured = true;
  s.nats_connected = client_->connected();
  s.nats_reconnects = client_->reconnects();
  s.services = services_;
  std::lock_guard lock(mu_);
  s.stats = std::vector<ServiceStats>(stats_.begin(), stats_.end());  // copies (not assignable)
  if (account_info_) s.account_info = account_info_stats_;
  return s;
}

void Prober::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Connection upkeep, outside the lock (reply callbacks take it): a connection cnats closed
    // for good is replaced, and the subscriptions follow the connection.
    lock.unlock();
    if (client_->Maintain()) Unsubscribe();
    if (!inbox_sub_) Subscribe();
    lock.lock();
    if (stopping_) break;
    Clock::time_point now = Clock::now();
    ExpireLocked(now);
    Clock::time_point next = now + std::chrono::seconds(1);
    for (size_t i = 0; i < services_.size(); ++i) {
      const ServiceConfig& s = services_[i];
      if (s.probe.enabled) {
        if (now >= next_probe_[i]) {
          // A probe whose slot is still taken is skipped, not queued: the schedule never
          // bunches probes up behind a slow reply.
          if (in_flight_[i] < s.probe.max_outstanding) SendProbeLocked(i);
          int slots = 0;
          while (next_probe_[i] <= now) {
            next_probe_[i] += s.probe.interval;
            ++slots;
          }
          // Slots missed while the loop was held up (a blocking reconnect attempt) are probes
          // that could not be sent: errors while disconnected, not silence.
          for (int k = 1; k < std::min(slots, 1000) && !client_->connected(); ++k) FailLocked(i, ProbeFailure::kError);
        }
        next = std::min(next, next_probe_[i]);
      }
      if (!s.micro_service.empty()) {
        if (now >= next_micro_[i]) {
          SendMicroLocked(i, now);
          while (next_micro_[i] <= now) next_micro_[i] += micro_interval_;
        }
        next = std::min(next, next_micro_[i]);
      }
    }
    if (account_info_) {
      if (now >= next_account_info_) {
        SendAccountInfoLocked(now);
        while (next_account_info_ <= now) next_account_info_ += micro_interval_;
      }
      next = std::min(next, next_account_info_);
    }
    for (const auto& [token, p] : pending_) next = std::min(next, p.deadline);
    wake_.wait_until(lock, next, [this, next] { return stopping_ || Clock::now() >= next; });
  }
}

// Logging follows the service's state, not each probe: a drop-mode pool loses a probe now and
// then by design, so the service counts as failing only after kFailuresToLog probes in a row
// failed, and recovered at the next answer after that.
constexpr int kFailuresToLog = 3;

void Prober::FailLocked(size_t service, ProbeFailure why) {
  ServiceStats& st = stats_[service];
  st.probes++;
  st.failures[static_cast<size_t>(why)]++;
  if (++st.consecutive_failures == kFailuresToLog) {
    spdlog::warn("service {}: {} probes in a row failed (last: {}); counted, not logged, until one is answered",
                 services_[service].name, kFailuresToLog, kProbeFailureNames[static_cast<size_t>(why)]);
  }
  st.probed = true;
  st.up = false;
}

void Prober::SucceedLocked(size_t service, double seconds) {
  ServiceStats& st = stats_[service];
  if (st.consecutive_failures >= kFailuresToLog) {
    spdlog::info("service {}: probe answered again after {} failures", services_[service].name,
                 st.consecutive_failures);
  } else if (!st.probed) {
    spdlog::info("service {}: first probe answered", services_[service].name);
  }
  st.consecutive_failures = 0;
  st.probes++;
  st.probed = true;
  st.up = true;
  st.last_latency_seconds = seconds;
  st.latency.Observe(seconds);
}

void Prober::SendProbeLocked(size_t i) {
  const ServiceConfig& s = services_[i];
  natsConnection* nc = client_->connection();
  if (!client_->connected() || !inbox_sub_) {
    FailLocked(i, ProbeFailure::kError);
    return;
  }
  uint64_t token = next_token_++;
  std::string reply = inbox_ + "." + kKindLetters[static_cast<size_t>(PendingKind::kProbe)] + std::to_string(token);
  natsStatus st;
  Clock::time_point start;
  if (s.probe.headers.empty()) {
    start = Clock::now();
    st = natsConnection_PublishRequest(nc, s.subject.c_str(), reply.c_str(), s.probe.payload.data(),
                                       static_cast<int>(s.probe.payload.size()));
  } else {
    natsMsg* msg = nullptr;
    st = natsMsg_Create(&msg, s.subject.c_str(), reply.c_str(), s.probe.payload.data(),
                        static_cast<int>(s.probe.payload.size()));
    for (const auto& [name, value] : s.probe.headers) {
      if (st == NATS_OK) st = natsMsgHeader_Set(msg, name.c_str(), value.c_str());
    }
    start = Clock::now();
    if (st == NATS_OK) st = natsConnection_PublishMsg(nc, msg);
    natsMsg_Destroy(msg);
  }
  if (st != NATS_OK) {
    FailLocked(i, ProbeFailure::kError);
    return;
  }
  pending_.emplace(token, Pending{PendingKind::kProbe, i, start, start + s.probe.timeout, {}});
  in_flight_[i]++;
}

bool Prober::RequestLocked(PendingKind kind, std::string_view subject, size_t service, Clock::time_point start,
                           Clock::time_point deadline) {
  if (!client_->connected() || !inbox_sub_) return false;
  uint64_t token = next_token_++;
  std::string reply = inbox_ + "." + kKindLetters[static_cast<size_t>(kind)] + std::to_string(token);
  if (natsConnection_PublishRequest(client_->connection(), std::string(subject).c_str(), reply.c_str(), nullptr, 0) !=
      NATS_OK) {
    return false;
  }
  pending_.emplace(token, Pending{kind, service, start, deadline, {}});
  return true;
}

void Prober::SendMicroLocked(size_t i, Clock::time_point now) {
  // Every instance answers; gather answers for one probe timeout (bounded by the interval).
  auto window = std::min<std::chrono::milliseconds>(services_[i].probe.timeout, micro_interval_);
  if (!RequestLocked(PendingKind::kMicro, "$SRV.STATS." + services_[i].micro_service, i, now, now + window)) {
    stats_[i].micro_polled = true;
    stats_[i].micro_up = false;
  }
}

void Prober::ExpireLocked(Clock::time_point now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (p.deadline > now) {
      ++it;
      continue;
    }
    switch (p.kind) {
      case PendingKind::kProbe:
        in_flight_[p.service]--;
        FailLocked(p.service, ProbeFailure::kTimeout);
        break;
      case PendingKind::kMicro: {
        ServiceStats& st = stats_[p.service];
        st.micro_polled = true;
        st.micro_up = !p.answers.empty();
        st.micro.Update(p.answers, now);
        break;
      }
      case PendingKind::kAccountInfo:
        AccountInfoFailedLocked(AccountInfoFailure::kTimeout, "no answer within the interval");
        break;
      case PendingKind::kUserInfo:
        // Asked again at the next interval. Meanwhile the series go out with account="" rather
        // than not at all: a server that never answers (a user not allowed to publish there)
        // must not hide the limits.
        user_info_in_flight_ = false;
        if (!account_info_stats_.account) {
          spdlog::warn("{}: no answer; the account label is empty until one comes", kUserInfoSubject);
          account_info_stats_.account = "";
        }
        break;
    }
    it = pending_.erase(it);
  }
}

void Prober::OnReply(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
  Clock::time_point arrived = Clock::now();
  auto* p = static_cast<Prober*>(self);
  size_t kind = 0;
  uint64_t token = 0;
  if (ParseToken(natsMsg_GetSubject(msg), p->inbox_.size(), &kind, &token)) {
    std::lock_guard lock(p->mu_);
    auto it = p->pending_.find(token);
    if (it != p->pending_.end() && static_cast<size_t>(it->second.kind) == kind) {
      Pending& pending = it->second;
      switch (pending.kind) {
        case PendingKind::kMicro: {
          // Gathered until the deadline (ExpireLocked), so the entry stays.
          if (natsMsg_IsNoResponders(msg)) break;
          ServiceStats& st = p->stats_[pending.service];
          Result<MicroStatsResponse> r = ParseMicroStats(MessageBody(msg));
          if (r) {
            pending.answers.push_back(std::move(r).value());
          } else if (st.micro_invalid++ == 0) {
            spdlog::warn("service {}: invalid $SRV.STATS answer ignored: {}", p->services_[pending.service].name,
                         r.error());
          }
          break;
        }
        case PendingKind::kProbe:
          p->in_flight_[pending.service]--;
          if (natsMsg_IsNoResponders(msg)) {
            p->FailLocked(pending.service, ProbeFailure::kNoResponders);
          } else {
            p->SucceedLocked(pending.service, std::chrono::duration<double>(arrived - pending.start).count());
          }
          p->pending_.erase(it);
          break;
        case PendingKind::kAccountInfo:
          p->OnAccountInfoLocked(msg);
          p->pending_.erase(it);
          break;
        case PendingKind::kUserInfo:
          p->OnUserInfoLocked(msg);
          p->pending_.erase(it);
          break;
      }
    }
  }
  natsMsg_Destroy(msg);
}

void Prober::OnLatencyEvent(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* l = static_cast<LatencySub*>(closure);
  Result<ServiceLatencyEvent> e = ParseServiceLatency(MessageBody(msg));
  {
    std::lock_guard lock(l->prober->mu_);
    ServiceStats& st = l->prober->stats_[l->service];
    if (!e) {
      if (st.observed_invalid++ == 0) {
        spdlog::warn("service {}: invalid service-latency event ignored: {}", l->prober->services_[l->service].name,
                     e.error());
      }
    } else {
      // Status codes are few (200, 400, 408, 503, 504, ...); cap them anyway.
      if (st.observed_status.count(e->status) || st.observed_status.size() < 20) st.observed_status[e->status]++;
      st.observed_service.Observe(e->service_seconds);
      st.observed_system.Observe(e->system_seconds);
      st.observed_total.Observe(e->total_seconds);
    }
  }
  natsMsg_Destroy(msg);
}

void Prober::OnAdvisory(natsConnection*, natsSubscription*, natsMsg* msg, void* advisories) {
  static_cast<JsAdvisories*>(advisories)->Observe(MessageBody(msg), natsMsg_GetSubject(msg));
  natsMsg_Destroy(msg);
}

}  // namespace farrier
