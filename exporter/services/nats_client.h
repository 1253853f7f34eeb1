// The probing connection to NATS (cnats). Opening never fails because a server is down: cnats
// keeps trying in the background (retry on failed connect, unlimited reconnects), and
// connected() says where it stands. State changes are logged once each; credentials are never
// logged.
//
// Thread-safety: connected()/reconnects() may be called from any thread; connection() is valid
// for the lifetime of the object and cnats' own calls on it are thread-safe.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <memory>
#include <string>

#include "config/services_config.h"
#include "core/result.h"

namespace farrier {

class NatsClient {
 public:
  // Errors are configuration problems cnats rejects before any connect attempt (an unreadable
  // CA file, an invalid nkey seed, ...), worded for the operator.
  static Result<std::unique_ptr<NatsClient>> Open(const NatsClientConfig& config);
  ~NatsClient();  // closes the connection; cnats' callbacks have finished when it returns
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  natsConnection* connection() const { return nc_; }
  bool connected() const { return connected_.load(); }
  uint64_t reconnects() const { return reconnects_.load(); }
  const std::string& servers() const { return servers_; }  // for logs: URLs without secrets

 private:
  NatsClient() = default;
  static void OnConnected(natsConnection*, void* self);
  static void OnDisconnected(natsConnection*, void* self);
  static void OnReconnected(natsConnection*, void* self);
  static void OnClosed(natsConnection*, void* self);
  static void OnAsyncError(natsConnection*, natsSubscription*, natsStatus, void* self);

  natsConnection* nc_ = nullptr;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<bool> closing_{false};
  std::string servers_;
};

}  // namespace farrier
