// HTTP access to the nats-server monitoring port, behind a small interface so the sources'
// poll functions can be exercised without a network (tests/unit/capture_fetcher.h serves
// captured bodies).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error_kind.h"

namespace farrier {

struct FetchResult {
  int status = 0;
  std::string_view body;  // valid until the fetcher's next Get
  // Set when the request failed (any HTTP status counts as a success here).
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
  // GET `path_and_query` (e.g. "/connz?offset=0&limit=1024") relative to the monitor URL.
  virtual FetchResult Get(const std::string& path_and_query) = 0;
  // From another thread, at shutdown: an in-flight Get returns promptly and later ones fail at
  // once, so stopping never waits for --poll.timeout.
  virtual void Cancel() {}
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

// One per source, kept across polls: it holds a keep-alive connection and a body buffer that is
// reused, so a poll neither reconnects nor faults in fresh pages for its bodies. Not
// thread-safe; each source's worker has its own.
// TLS towards an https monitoring port. Empty fields: the system's CA store, no client
// certificate, the URL's host as the expected name.
struct MonitorTls {
  std::string ca_file;
  std::string cert_file, key_file;  // client certificate (mTLS)
  std::string server_name;          // name expected in the server's certificate (and SNI)
  bool insecure_skip_verify = false;
};

std::unique_ptr<Fetcher> MakeHttpFetcher(const MonitorUrl& url, const MonitorTls& tls = {});

}  // namespace farrier
