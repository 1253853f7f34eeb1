// The probing connection to NATS (cnats). Opening never fails because a server is down: cnats
// keeps trying in the background (retry on failed connect, unlimited reconnects), and
// connected() says where it stands. cnats gives up for good on some errors (an authorization
// violation closes the connection); Maintain() then opens a new one, at most once per second.
// State changes are logged once each; credentials are never logged.
//
// Thread-safety: connected()/reconnects()/generation() may be called from any thread.
// connection() and Maintain() belong to one thread (the prober's); the connection returned
// stays valid until the next Maintain() that reports a new generation.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"
#include "services/definitions.h"
#include "services/nats_signer.h"

namespace farrier {

// A received message's payload, valid until the message is destroyed.
inline std::string_view MessageBody(natsMsg* msg) {
  return std::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
}

class NatsClient {
 public:
  // Errors are configuration problems cnats rejects before any connect attempt (an unreadable
  // CA file, an invalid nkey seed, ...), worded for the operator.
  // `meanwhile` ends the warning logged while the first connect fails: what that means for the
  // caller ("probes count as error meanwhile").
  static Result<std::unique_ptr<NatsClient>> Open(const NatsClientConfig& config, std::string_view meanwhile);
  // Closes the connection; cnats' callbacks for it have finished when it returns. The library
  // stays open for a reload's next client: main ends it (services/nats_library.h).
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  natsConnection* connection() const { return nc_; }
  bool connected() const { return connected_.load(); }
  // Replaces a connection cnats has closed (not more often than every second). Returns true
  // when connection() changed: subscriptions must be made again on the new one.
  bool Maintain();
  uint64_t generation() const { return generation_; }
  uint64_t reconnects() const { return reconnects_.load(); }
  const std::string& servers() const { return servers_; }  // for logs: URLs without secrets

 private:
  NatsClient() = default;
  natsStatus Connect();  // a new connection from opts_ into nc_
  // Why the last Connect() failed, for the log: cnats' text and, if any, the TLS reason.
  std::string Why(natsStatus s) const;
  static void OnConnected(natsConnection*, void* self);
  static void OnDisconnected(natsConnection*, void* self);
  static void OnReconnected(natsConnection*, void* self);
  static void OnClosed(natsConnection*, void* self);
  static void OnAsyncError(natsConnection*, natsSubscription*, natsStatus, void* self);

  std::unique_ptr<NonceSigner> signer_;  // nkey/creds authentication; outlives opts_' connections
  natsOptions* opts_ = nullptr;          // kept: Maintain() connects again with them
  natsConnection* nc_ = nullptr;
  std::atomic<bool> closed_{false};
  std::atomic<bool> close_done_{false};  // OnClosed ran after the destructor closed the connection
  bool close_logged_ = false;            // "closed" logged since the last successful connect
  std::chrono::steady_clock::time_point last_attempt_{};
  uint64_t generation_ = 1;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<bool> closing_{false};
  std::string servers_;
  bool tls_ = false;
  bool has_client_cert_ = false;
  std::string tls_failure_;       // set by Connect(): " (TLS: <OpenSSL's reason>)..." or empty
  std::mutex async_mu_;           // cnats' callback thread vs. another connection's
  std::string last_async_error_;  // the last asynchronous error logged
};

}  // namespace farrier
