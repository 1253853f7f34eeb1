#include "services/sys_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "services/nats_client.h"

namespace farrier {
namespace {

constexpr char kPingSubject[] = "$SYS.REQ.SERVER.PING.STATSZ";
constexpr char kNotSystemAccount[] =
    "no server answers $SYS requests to this NATS user: cluster mode needs a user of the system account "
    "(docs/cluster-mode.md)";

int64_t MillisUntil(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max<int64_t>(left.count(), 1);
}

}  // namespace

// A sync subscription on "<inbox>.*" and requests to "<inbox>.<n>": the wait for a reply is cut
// into slices so that Cancel() ends it at once (cnats' own request call cannot be interrupted),
// and a late reply to an earlier request is told apart by its subject.
class ReplyInbox {
 public:
  ~ReplyInbox() { Reset(); }
  // (Re)subscribes when the connection changed. False when it cannot.
  bool Ready(natsConnection* nc, uint64_t generation) {
    if (sub_ && generation_ == generation) return true;
    Reset();
    natsInbox* inbox = nullptr;
    if (natsInbox_Create(&inbox) != NATS_OK) return false;
    prefix_ = inbox;
    natsInbox_Destroy(inbox);
    if (natsConnection_SubscribeSync(&sub_, nc, (prefix_ + ".*").c_str()) != NATS_OK) {
      sub_ = nullptr;
      return false;
    }
    generation_ = generation;
    return true;
  }
  std::string NextReplySubject() { return prefix_ + "." + std::to_string(++sequence_); }
  // The next message for `reply` until `deadline`; nullptr on timeout or cancel. Messages for
  // other (earlier) replies are dropped and counted in *late.
  natsMsg* Await(const std::string& reply, std::chrono::steady_clock::time_point deadline,
                 const std::atomic<bool>& cancelled, uint64_t* late) {
    while (!cancelled.load() && std::chrono::steady_clock::now() < deadline) {
      natsMsg* msg = nullptr;
      const int64_t slice = std::min<int64_t>(MillisUntil(deadline), 50);
      if (natsStatus st = natsSubscription_NextMsg(&msg, sub_, slice); st != NATS_OK) {
        if (st == NATS_TIMEOUT) continue;
        return nullptr;  // the connection or subscription is gone
      }
      if (reply == natsMsg_GetSubject(msg)) return msg;
      if (late) ++*late;
      natsMsg_Destroy(msg);
    }
    return nullptr;
  }

 private:
  void Reset() {
    if (sub_) natsSubscription_Destroy(sub_);
    sub_ = nullptr;
  }
  natsSubscription* sub_ = nullptr;
  uint64_t generation_ = 0;
  std::string prefix_;
  uint64_t sequence_ = 0;
};

namespace {

class SysFetcher final : public Fetcher {
 public:
  explicit SysFetcher(SysTransport& transport) : transport_(transport) {}
  ~SysFetcher() override { natsMsg_Destroy(reply_); }

  void StartPoll(const FetchLimits& limits) override { limits_ = limits; }
  void Cancel() override { transport_.Cancel(); }

  std::string Describe(const EndpointRequest& request) const override { return "request " + SysSubject(request); }

  FetchResult Fetch(const EndpointRequest& request) override {
    natsMsg_Destroy(reply_);
    reply_ = nullptr;
    if (!SysEndpointName(request.endpoint)) {
      return {404, {}, ErrorKind::kHttpStatus, "/" + request.endpoint + " is not served over $SYS"};
    }
    natsConnection* nc = transport_.connection();
    if (transport_.cancelled() || nc == nullptr || natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED ||
        !inbox_.Ready(nc, transport_.generation())) {
      return {0, {}, ErrorKind::kConnect, "not connected to NATS " + transport_.servers()};
    }
    if (std::chrono::steady_clock::now() >= limits_.deadline) {
      return {0, {}, ErrorKind::kTimeout, Describe(request) + ": no time left in this poll"};
    }
    const std::string subject = SysSubject(request), body = SysRequestBody(request);
    const std::string reply = inbox_.NextReplySubject();
    if (natsStatus s = natsConnection_PublishRequest(nc, subject.c_str(), reply.c_str(), body.data(),
                                                     static_cast<int>(body.size()));
        s != NATS_OK) {
      return {0, {}, ErrorKind::kConnect, Describe(request) + ": " + natsStatus_GetText(s)};
    }
    reply_ = inbox_.Await(reply, limits_.deadline, transport_.cancel_flag(), nullptr);
    if (!reply_) {
      std::string why = transport_.PermissionError();
      return {0,
              {},
              ErrorKind::kTimeout,
              Describe(request) + ": no reply by the poll deadline" + (why.empty() ? "" : " (" + why + ")")};
    }
    if (natsMsg_IsNoResponders(reply_)) {
      return {0,
              {},
              ErrorKind::kConnect,
              Describe(request) + ": no responders (the server left the cluster, or " + kNotSystemAccount + ")"};
    }
    const int length = natsMsg_GetDataLength(reply_);
    if (limits_.max_body_bytes > 0 && static_cast<size_t>(length) > limits_.max_body_bytes) {
      return {0,
              {},
              ErrorKind::kBodyTooLarge,
              Describe(request) + ": reply of " + std::to_string(length) + " bytes is over --poll.max-body-bytes"};
    }
    Result<SysReply> parsed = ParseSysReply({natsMsg_GetData(reply_), static_cast<size_t>(length)});
    if (!parsed) {
      return {0, {}, parsed.error_kind().value_or(ErrorKind::kSchema), Describe(request) + ": " + parsed.error()};
    }
    if (parsed->error_code != 0) {
      return {parsed->error_code,
              {},
              ErrorKind::kHttpStatus,
              Describe(request) + ": server " + parsed->server.name + " answered error " +
                  std::to_string(parsed->error_code) + ": " + parsed->error};
    }
    return {200, parsed->data};
  }

 private:
  SysTransport& transport_;
  ReplyInbox inbox_;
  FetchLimits limits_{};
  natsMsg* reply_ = nullptr;  // owns the text the last result's body points into
};

}  // namespace

Result<std::unique_ptr<SysTransport>> SysTransport::Open(const NatsClientConfig& config, size_t expected_servers) {
  Result<std::unique_ptr<NatsClient>> client = NatsClient::Open(
      config, "no server is polled meanwhile: nats_exporter_servers_answered stays 0");
  if (!client) return Error{client.error()};
  std::unique_ptr<SysTransport> t(new SysTransport());
  t->client_ = std::move(client).value();
  t->expected_ = expected_servers;
  t->discovery_ = std::make_unique<ReplyInbox>();
  return t;
}

SysTransport::~SysTransport() = default;

natsConnection* SysTransport::connection() const { return client_->connection(); }
uint64_t SysTransport::generation() const { return client_->generation(); }
const std::string& SysTransport::servers() const { return client_->servers(); }

std::string SysTransport::PermissionError() const {
  natsConnection* nc = connection();
  if (!nc) return {};
  const char* text = nullptr;
  natsConnection_GetLastError(nc, &text);
  if (text && std::strstr(text, "Permissions Violation")) return text;
  return {};
}

SysTransport::Discovery SysTransport::Discover(std::chrono::steady_clock::time_point deadline) {
  Discovery found;
  if (cancelled_.load()) {
    found.failure = "stopping";
    return found;
  }
  client_->Maintain();
  if (!client_->connected() || !discovery_->Ready(connection(), generation())) {
    found.failure = "not connected to NATS " + servers();
    return found;
  }
  const std::string reply = discovery_->NextReplySubject();
  if (natsStatus s = natsConnection_PublishRequestString(connection(), kPingSubject, reply.c_str(), ""); s != NATS_OK) {
    found.failure = std::string("cannot send ") + kPingSubject + ": " + natsStatus_GetText(s);
    return found;
  }
  // No flush: the client sends at once (natsOptions_SetSendAsap), and a flush would wait for a
  // stalled server's PONG however long the poll has left.
  bool no_responders = false;
  uint64_t late = 0;  // answers to an earlier poll's ping
  while (!no_responders && (expected_ == 0 || found.servers.size() < expected_)) {
    natsMsg* msg = discovery_->Await(reply, deadline, cancelled_, &late);
    if (!msg) break;
    if (natsMsg_IsNoResponders(msg)) {
      no_responders = true;
    } else if (Result<SysReply> r = ParseSysReply({natsMsg_GetData(msg),
                                                   static_cast<size_t>(natsMsg_GetDataLength(msg))})) {
      const bool seen = std::any_of(found.servers.begin(), found.servers.end(),
                                    [&](const SysServer& s) { return s.id == r->server.id; });
      if (!seen) found.servers.push_back(r->server);
    }
    natsMsg_Destroy(msg);
  }
  late_.fetch_add(late);
  if (found.servers.empty()) {
    std::string why = PermissionError();
    found.failure = no_responders  ? std::string(kNotSystemAccount)
                    : !why.empty() ? "no server answered " + std::string(kPingSubject) + ": " + why
                                   : "no server answered " + std::string(kPingSubject) +
                                         " in time: cluster mode needs a user of the system account "
                                         "(docs/cluster-mode.md); if this one is, the servers are slower than a "
                                         "third of --poll.timeout";
  }
  return found;
}

std::unique_ptr<Fetcher> SysTransport::MakeFetcher() { return std::make_unique<SysFetcher>(*this); }

}  // namespace farrier
