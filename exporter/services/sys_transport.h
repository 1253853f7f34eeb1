// Cluster mode's transport (--nats.system-account): the monitoring endpoints of every server of
// a cluster or super-cluster, asked over one NATS connection as a system-account user instead
// of HTTP. Discovery asks every server at once ($SYS.REQ.SERVER.PING.STATSZ) and gathers the
// replies until the expected count or the deadline; each source then asks each server by id
// (transport/sys_request.h) through a fetcher of its own.
//
// Thread-safety: Discover() and the fetchers' Fetch() must not overlap (the poller discovers,
// then runs the sources, then waits for them); Discover() keeps the connection up (it may
// replace a connection cnats has closed), so nothing else may use it meanwhile.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "services/definitions.h"
#include "transport/fetcher.h"
#include "transport/sys_request.h"

namespace farrier {

class NatsClient;
class ReplyInbox;  // sys_transport.cc: an inbox subscription whose waits Cancel() can end

class SysTransport {
 public:
  // `expected_servers` 0: gather discovery replies until the deadline. Errors are configuration
  // problems (credentials, TLS files); a server that is down is retried in the background.
  static Result<std::unique_ptr<SysTransport>> Open(const NatsClientConfig& config, size_t expected_servers);
  ~SysTransport();

  struct Discovery {
    std::vector<SysServer> servers;  // in answer order
    std::string failure;             // why nobody answered (not connected, no permission), or ""
  };
  Discovery Discover(std::chrono::steady_clock::time_point deadline);

  size_t expected_servers() const { return expected_; }
  uint64_t late_replies() const { return late_.load(); }  // discovery replies after their deadline

  // A fetcher for one source's worker: requests name the server (ServerFetcher), replies are
  // unwrapped and their `data` handed on as the body.
  std::unique_ptr<Fetcher> MakeFetcher();

  natsConnection* connection() const;
  uint64_t generation() const;  // changes when Discover() replaced the connection
  // From another thread, at shutdown: discovery and every fetch waiting for a reply return at
  // once, and no new request is sent (the waits are cut into 50 ms slices that check this).
  void Cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }
  const std::atomic<bool>& cancel_flag() const { return cancelled_; }
  const std::string& servers() const;
  std::string PermissionError() const;  // the server's last "Permissions Violation", or ""

 private:
  SysTransport() = default;

  std::unique_ptr<NatsClient> client_;
  size_t expected_ = 0;
  std::unique_ptr<ReplyInbox> discovery_;  // ping replies: <inbox>.<poll sequence>
  std::atomic<uint64_t> late_{0};
  std::atomic<bool> cancelled_{false};
};

}  // namespace farrier
