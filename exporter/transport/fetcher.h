// The transport seam: the sources' poll functions ask a Fetcher for "endpoint X with options O
// from server S" (transport/endpoint.h) and never see how it travels. HTTP to the nats-server
// monitoring port is one implementation (MakeHttpFetcher); tests use fakes that serve captured
// bodies or inject faults (tests/unit/capture_fetcher.h, tests/unit/poller_test.cc).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error_kind.h"
#include "transport/endpoint.h"

namespace farrier {

struct FetchResult {
  int status = 0;
  std::string_view body;  // valid until the fetcher's next Fetch
  // Set when the request failed; any answer counts as a success here, its status says how the
  // server answered (HTTP status; 200 for a $SYS reply without error).
  std::optional<ErrorKind> failure{};
  std::string detail{};  // human text for the log; never contains credentials
  bool ok() const { return !failure; }
};

struct FetchLimits {
  std::chrono::steady_clock::time_point deadline;  // for the whole source, pages included
  size_t max_body_bytes = 0;
};

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Limits for the requests of the poll about to start.
  virtual void StartPoll(const FetchLimits& limits) = 0;
  // Ask `request.server_id` (empty: the server this fetcher reaches) for the endpoint.
  virtual FetchResult Fetch(const EndpointRequest& request) = 0;
  // How the request is named in logs and error details ("GET /connz?offset=0&limit=1024").
  virtual std::string Describe(const EndpointRequest& request) const {
    std::string text = "GET " + HttpTarget(request);
    if (!request.server_id.empty()) text += " from server " + request.server_id;
    return text;
  }
  // From another thread, at shutdown: an in-flight Fetch returns promptly and later ones fail at
  // once, so stopping never waits for --poll.timeout.
  virtual void Cancel() {}
};

// One server of many behind a shared transport: every request is sent to `server_id`. How a
// multi-server source reuses the single-server poll functions unchanged (their requests name no
// server). Borrows the transport, which must outlive it.
class ServerFetcher final : public Fetcher {
 public:
  ServerFetcher(Fetcher& transport, std::string server_id) : transport_(transport), server_id_(std::move(server_id)) {}
  void StartPoll(const FetchLimits& limits) override { transport_.StartPoll(limits); }
  FetchResult Fetch(const EndpointRequest& request) override { return transport_.Fetch(Addressed(request)); }
  std::string Describe(const EndpointRequest& request) const override {
    return transport_.Describe(Addressed(request));
  }
  void Cancel() override { transport_.Cancel(); }

 private:
  EndpointRequest Addressed(EndpointRequest request) const {
    request.server_id = server_id_;
    return request;
  }
  Fetcher& transport_;
  std::string server_id_;
};

struct MonitorUrl {
  std::string scheme;  // "http" or "https"
  std::string host;
  int port = 0;
  std::string base_path;  // "" or "/prefix" (nats-server's http_base_path)
  // scheme://host:port, for logs and for httplib.
  std::string Origin() const;
};

// Parses http(s)://host[:port][/base]; the error says what is wrong.
bool ParseMonitorUrl(std::string_view text, MonitorUrl* out, std::string* error);

// TLS towards an https monitoring port. Empty fields: the system's CA store, no client
// certificate, the URL's host as the expected name.
struct MonitorTls {
  std::string ca_file;
  std::string cert_file, key_file;  // client certificate (mTLS)
  std::string server_name;          // name expected in the server's certificate (and SNI)
  bool insecure_skip_verify = false;
};

// HTTP to one server's monitoring port. One per source, kept across polls: it holds a keep-alive
// connection and a body buffer that is reused, so a poll neither reconnects nor faults in fresh
// pages for its bodies. Not thread-safe; each source's worker has its own. A request naming a
// server (server_id) fails with kConnect: over HTTP the URL decides which server answers.
std::unique_ptr<Fetcher> MakeHttpFetcher(const MonitorUrl& url, const MonitorTls& tls = {});

}  // namespace farrier
