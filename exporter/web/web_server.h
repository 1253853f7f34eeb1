// Farrier's own HTTP listener: /metrics (text format, in the pieces its provider returns at each
// scrape, written as they are or as their cached gzip forms), /healthz (the process is alive) and
// the status page at / (whatever ServeStatusPage's endpoint renders).
//
// With --web.config.file it speaks TLS (the certificate reloaded when its files change, client
// certificates verified when asked) and asks for basic auth everywhere but /healthz. Each
// connection gets its own thread from a pool that grows on demand (see ConnectionThreads in
// web_server.cc), so a client that connects and stays silent, or never reads, holds only its own
// thread, and only until a timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/text_piece.h"
#include "web/web_config.h"

namespace httplib {
class Server;
}
struct ssl_ctx_st;

namespace farrier {

struct ListenAddress {
  std::string host;  // "0.0.0.0" for ":7778"
  int port = 0;
};

// What the listener takes from the configuration (--web.*).
struct WebServerOptions {
  std::string listen_address_text = ":7778";  // as given, for messages
  ListenAddress listen_address;
  std::string config_file;               // --web.config.file; empty when none
  std::shared_ptr<const WebConfig> web;  // its TLS and basic auth; null without one
  size_t max_requests = 40;              // scrapes served at once (0: no limit)
  bool enable_lifecycle = false;         // POST /-/reload
};

// The body of one /metrics answer in the text format: pieces written one after the other, never
// copied (a piece may be shared by every scrape of a snapshot, app/run.cc), and each compressed
// at most once for the scrapers that ask for gzip (core/text_piece.h).
using MetricsProvider = std::function<TextPieces()>;

class WebServer {
 public:
  WebServer(const WebServerOptions& options, MetricsProvider metrics);
  ~WebServer();

  // GET /api/v1/scaling (argument "") and /api/v1/scaling/services/<name> answer with the
  // returned status and JSON body. Call before Start().
  using JsonEndpoint = std::function<std::pair<int, std::string>(const std::string& name)>;
  void ServeScaling(JsonEndpoint endpoint);

  // GET / answers with the returned HTML (status/status_page.h), sent with a Content-Security-
  // Policy that lets only the page's own style and script run (the endpoint's second value).
  // Without this call / is a 404. Call before Start().
  struct Page {
    std::string html;
    std::string content_security_policy;
  };
  using PageEndpoint = std::function<Page()>;
  void ServeStatusPage(PageEndpoint endpoint);

  // POST /-/reload answers with the returned status and (text) body; other methods get 405.
  // Without this call the path is a 404. Call before Start().
  using ReloadEndpoint = std::function<std::pair<int, std::string>()>;
  void ServeReload(ReloadEndpoint endpoint);

  // A configuration reload: applies what can change while serving (the basic auth users of the
  // web config file, --web.max-requests) and returns, for each listener setting that differs from
  // the one started with and cannot change, a phrase naming it ("--web.listen-address", "the TLS
  // settings of --web.config.file", ...): those take effect after a restart.
  std::vector<std::string> Reconfigure(const WebServerOptions& next);

  // Binds and starts serving on a background thread; false with `error` set when the address
  // cannot be bound.
  bool Start(std::string* error);
  void Stop();
  int port() const { return port_; }  // the bound port (useful with port 0)

 private:
  bool SetupTls(ssl_ctx_st& ctx);

  std::shared_ptr<const BasicAuth> auth() const;

  const WebServerOptions options_;  // as started; Reconfigure changes only the members below
  MetricsProvider metrics_;
  std::unique_ptr<CertificateReloader> certificates_;  // with TLS only
  mutable std::mutex auth_mu_;
  std::shared_ptr<const BasicAuth> auth_;  // null without basic_auth_users; swapped by Reconfigure
  std::atomic<size_t> max_requests_;       // --web.max-requests
  std::string setup_error_;                // reported by Start()
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  // Scrapes of /metrics from the handler until the last byte is written (or the write failed),
  // for --web.max-requests.
  std::atomic<size_t> scrapes_in_flight_{0};
  std::atomic<size_t> pages_in_flight_{0};  // GET / being rendered
};

}  // namespace farrier
