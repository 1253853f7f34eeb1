#include "services/sys_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
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

class SysFetcher final : public Fetcher {
 public:
  explicit SysFetcher(SysTransport& transport) : transport_(transport) {}
  ~SysFetcher() override { natsMsg_Destroy(reply_); }

  void StartPoll(const FetchLimits& limits) override { limits_ = limits; }

  std::string Describe(const EndpointRequest& request) const override { return "request " + SysSubject(request); }

  FetchResult Fetch(const EndpointRequest& request) override {
    natsMsg_Destroy(reply_);
    reply_ = nullptr;
    if (!SysEndpointName(request.endpoint)) {
      return {404, {}, ErrorKind::kHttpStatus, "/" + request.endpoint + " is not served over $SYS"};
    }
    natsConnection* nc = transport_.connection();
    if (nc == nullptr || natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) {
      return {0, {}, ErrorKind::kConnect, "not connected to NATS " + transport_.servers()};
    }
    if (std::chrono::steady_clock::now() >= limits_.deadline) {
      return {0, {}, ErrorKind::kTimeout, Describe(request) + ": no time left in this poll"};
    }
    const std::string subject = SysSubject(request), body = SysRequestBody(request);
    natsStatus s = natsConnection_Request(&reply_, nc, subject.c_str(), body.data(), static_cast<int>(body.size()),
                                          MillisUntil(limits_.deadline));
    if (s == NATS_TIMEOUT) {
      std::string why = transport_.PermissionError();
      return {0,
              {},
              ErrorKind::kTimeout,
              Describe(request) + ": no reply by the poll deadline" + (why.empty() ? "" : " (" + why + ")")};
    }
    if (s == NATS_NO_RESPONDERS) {
      return {0,
              {},
              ErrorKind::kConnect,
              Describe(request) + ": no responders (the server left the cluster, or " + kNotSystemAccount + ")"};
    }
    if (s != NATS_OK) return {0, {}, ErrorKind::kConnect, Describe(request) + ": " + natsStatus_GetText(s)};
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
  FetchLimits limits_{};
  natsMsg* reply_ = nullptr;  // owns the text the last result's body points into
};

}  // namespace

Result<std::unique_ptr<SysTransport>> SysTransport::Open(const NatsClientConfig& config, size_t expected_servers) {
  Result<std::unique_ptr<NatsClient>> client = NatsClient::Open(config);
  if (!client) return Error{client.error()};
  std::unique_ptr<SysTransport> t(new SysTransport());
  t->client_ = std::move(client).value();
  t->expected_ = expected_servers;
  return t;
}

SysTransport::~SysTransport() {
  if (replies_) natsSubscription_Destroy(replies_);
}

natsConnection* SysTransport::connection() const { return client_->connection(); }
const std::string& SysTransport::servers() const { return client_->servers(); }

std::string SysTransport::PermissionError() const {
  natsConnection* nc = connection();
  if (!nc) return {};
  const char* text = nullptr;
  natsConnection_GetLastError(nc, &text);
  if (text && std::strstr(text, "Permissions Violation")) return text;
  return {};
}

bool SysTransport::Subscribe() {
  if (replies_ && subscribed_generation_ == client_->generation()) return true;
  if (replies_) {
    natsSubscription_Destroy(replies_);
    replies_ = nullptr;
  }
  natsConnection* nc = connection();
  if (!nc) return false;
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return false;
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  if (natsConnection_SubscribeSync(&replies_, nc, (inbox_ + ".*").c_str()) != NATS_OK) {
    replies_ = nullptr;
    return false;
  }
  subscribed_generation_ = client_->generation();
  return true;
}

SysTransport::Discovery SysTransport::Discover(std::chrono::steady_clock::time_point deadline) {
  Discovery found;
  client_->Maintain();
  if (!client_->connected() || !Subscribe()) {
    found.failure = "not connected to NATS " + servers();
    return found;
  }
  const std::string token = std::to_string(++sequence_);
  const std::string reply = inbox_ + "." + token;
  if (natsStatus s = natsConnection_PublishRequestString(connection(), kPingSubject, reply.c_str(), ""); s != NATS_OK) {
    found.failure = std::string("cannot send ") + kPingSubject + ": " + natsStatus_GetText(s);
    return found;
  }
  natsConnection_FlushTimeout(connection(), MillisUntil(deadline));
  bool no_responders = false;
  while (expected_ == 0 || found.servers.size() < expected_) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, replies_, MillisUntil(deadline)) != NATS_OK) break;
    const char* subject = natsMsg_GetSubject(msg);
    const std::string_view got(subject);
    if (got.substr(got.rfind('.') + 1) != token) {
      late_.fetch_add(1);  // an answer to an earlier poll's ping
    } else if (natsMsg_IsNoResponders(msg)) {
      no_responders = true;
    } else if (Result<SysReply> r = ParseSysReply({natsMsg_GetData(msg),
                                                   static_cast<size_t>(natsMsg_GetDataLength(msg))})) {
      const bool seen = std::any_of(found.servers.begin(), found.servers.end(),
                                    [&](const SysServer& s) { return s.id == r->server.id; });
      if (!seen) found.servers.push_back(r->server);
    }
    natsMsg_Destroy(msg);
    if (no_responders) break;
  }
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
