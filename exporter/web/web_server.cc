#include "web/web_server.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>


namespace farrier {
namespace {

// How long a client may keep a connection's thread without making progress. The first request
// must start within kKeepAlive of the connect (httplib waits for it the way it waits between
// keep-alive requests); every read of it and every write of the answer gets its own timeout.
// Prometheus sends its request at once and reads as fast as it can; 5 s is ample.
constexpr time_t kKeepAliveSeconds = 5;
constexpr size_t kKeepAliveRequests = 100;  // then the connection is closed and made anew
constexpr auto kReadTimeout = std::chrono::seconds(5);
constexpr auto kWriteTimeout = std::chrono::seconds(10);  // a large /metrics on a slow link

// Threads serving connections, at most kMaxConnectionThreads at once.
//
// httplib serves a connection on one pool thread from accept to close, and its default pool is
// fixed at CPPHTTPLIB_THREAD_POOL_COUNT threads, compiled into Debian's libcpp-httplib as
// max(8, cores - 1): 8 on our machines. Nine clients that connect and send nothing held every
// thread for the keep-alive timeout, and /metrics waited in the queue behind them; a client
// that reconnects as often starves scrapes for good. Here a connection waits for a thread only
// when kMaxConnectionThreads are busy, and each of those is freed within the timeouts above.
// Threads beyond kCoreThreads end after kIdleExit without work, so a burst leaves nothing behind.
constexpr size_t kMaxConnectionThreads = 64;
constexpr size_t kCoreThreads = 2;
constexpr auto kIdleExit = std::chrono::seconds(30);

class ConnectionThreads : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    JoinRetiredLocked();
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < kMaxConnectionThreads) {
      try {
        std::thread t([this] { Work(); });
        threads_.emplace(t.get_id(), std::move(t));
      } catch (const std::system_error& e) {
        // Out of threads: the job waits for one of the running threads.
        if (threads_.empty()) spdlog::error("listener: cannot start a thread: {}", e.what());
      }
    }
    work_.notify_one();
  }

  void shutdown() override {
    std::unique_lock lock(mu_);
    shutdown_ = true;
    work_.notify_all();
    retired_cv_.wait(lock, [&] { return threads_.empty(); });
    JoinRetiredLocked();
  }

 private:
  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      bool woken = work_.wait_for(lock, kIdleExit, [&] { return !jobs_.empty() || shutdown_; });
      --idle_;
      if (jobs_.empty()) {
        if (shutdown_ || (!woken && threads_.size() > kCoreThreads)) break;
        continue;
      }
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      job = nullptr;
      lock.lock();
    }
    // Joined by the next enqueue() or by shutdown(): a thread cannot join itself.
    auto self = threads_.extract(std::this_thread::get_id());
    retired_.push_back(std::move(self.mapped()));
    retired_cv_.notify_all();
  }

  void JoinRetiredLocked() {
    // These threads have left Work() and only return now; none of them needs mu_ any more.
    for (std::thread& t : retired_) t.join();
    retired_.clear();
  }

  std::mutex mu_;
  std::condition_variable work_, retired_cv_;
  std::deque<std::function<void()>> jobs_;
  std::map<std::thread::id, std::thread> threads_;
  std::vector<std::thread> retired_;
  size_t idle_ = 0;
  bool shutdown_ = false;
};

// One /metrics scrape counted against --web.max-requests for as long as its answer lives: the
// answer is written after the handler returns, and a client that reads slowly is still a scrape.
// Status pages rendered at once (GET /); more are answered 503.
constexpr size_t kMaxPagesAtOnce = 4;

class ScrapeSlot {
 public:
  explicit ScrapeSlot(std::atomic<size_t>& count) : count_(count), scrapes_(++count_) {}
  ~ScrapeSlot() { --count_; }
  ScrapeSlot(const ScrapeSlot&) = delete;
  ScrapeSlot& operator=(const ScrapeSlot&) = delete;
  size_t scrapes() const { return scrapes_; }  // in flight, this one included, when it began

 private:
  std::atomic<size_t>& count_;
  const size_t scrapes_;
};

void LogCertificateChange(const std::string& message, bool error) {
  if (error) {
    spdlog::error("{}", message);
  } else {
    spdlog::info("{}", message);
  }
}

}  // namespace

WebServer::WebServer(const WebServerOptions& options, MetricsProvider metrics)
    : options_(options), metrics_(std::move(metrics)), max_requests_(options.max_requests) {
  if (options_.web && !options_.web->basic_auth_users.empty()) {
    auth_ = std::make_shared<const BasicAuth>(options_.web->basic_auth_users);
  }
  if (options_.web && options_.web->tls) {
    const WebTlsConfig& tls = options_.web->tls_config;
    certificates_ = std::make_unique<CertificateReloader>(tls.cert_file, tls.key_file);
    setup_error_ = certificates_->Init();
    // The callback runs inside the constructor; is_valid() is false when it returned false.
    server_ = std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) { return SetupTls(ctx); });
    if (setup_error_.empty() && !server_->is_valid()) setup_error_ = "cannot set up TLS for the listener";
    if (!setup_error_.empty()) setup_error_ = "--web.config.file: " + options_.web->file + ": " + setup_error_;
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  server_->new_task_queue = [] { return new ConnectionThreads(); };

  // Installed even without users: a reload may add some (or take them all away).
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // Every answer gzip or uncompressed. httplib prefers brotli whenever the client lists "br"
    // (browsers, curl --compressed) and compresses at brotli's slowest quality: 4 MB of metrics
    // (5,000 consumers) took 5.7 s of CPU per request, against 50 ms for gzip; Prometheus and
    // KEDA ask for gzip only. httplib decides from this header after the handler; its Request
    // is not const (a local of its connection loop), so rewriting it here is defined.
    auto& headers = const_cast<httplib::Request&>(req).headers;
    const bool gzip = req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
    headers.erase("Accept-Encoding");
    if (gzip) headers.emplace("Accept-Encoding", "gzip");
    // Everything but /healthz: kubelet probes carry no credentials, and /healthz says only "ok".
    std::shared_ptr<const BasicAuth> auth = this->auth();
    if (!auth || req.path == "/healthz" || auth->Check(req.get_header_value("Authorization"))) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"farrier\"");
    res.set_content("Unauthorized\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    auto slot = std::make_shared<ScrapeSlot>(scrapes_in_flight_);
    const size_t limit = max_requests_.load();
    if (limit != 0 && slot->scrapes() > limit) {
      // At once rather than queued: Prometheus retries at the next interval, and a queue of
      // scrapes would only grow while whatever holds the others persists.
      res.status = 503;
      res.set_content("too many scrapes at once (--web.max-requests=" + std::to_string(limit) + ")\n",
                      "text/plain; charset=utf-8");
      return;
    }
    auto pieces = std::make_shared<const TextPieces>(metrics_());
    // Gzip from the pieces' cached compressed forms (the snapshot's megabytes are compressed once
    // per snapshot, not once per scrape); httplib must then not compress again, so the request
    // loses its Accept-Encoding (not const, see the pre-routing handler).
    const bool gzip = req.get_header_value("Accept-Encoding") == "gzip";
    auto out = std::make_shared<std::vector<std::string_view>>();
    std::shared_ptr<const std::string> trailer;
    if (gzip) {
      const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
      res.set_header("Content-Encoding", "gzip");
      trailer = std::make_shared<const std::string>(GzipTrailer(*pieces));
      out->push_back(GzipHeader());
      for (const auto& piece : *pieces) out->push_back(piece->deflated().blocks);
      out->push_back(*trailer);
    } else {
      for (const auto& piece : *pieces) out->push_back(piece->text());
    }
    res.set_header("Vary", "Accept-Encoding");
    // Chunked: the pieces are written as they are, never joined. The provider owns the pieces and
    // the slot, which are released when httplib drops the answer, written or not. `offset` counts
    // the bytes written so far, across the parts.
    res.set_chunked_content_provider("text/plain; version=0.0.4; charset=utf-8",
                                     [pieces, trailer, out, slot](size_t offset, httplib::DataSink& sink) {
                                       constexpr size_t kChunk = 64 * 1024;
                                       for (std::string_view part : *out) {
                                         if (offset < part.size())
                                           return sink.write(part.data() + offset,
                                                             std::min(kChunk, part.size() - offset));
                                         offset -= part.size();
                                       }
                                       sink.done();
                                       return true;
                                     });
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    // The process is alive and serving; whether NATS is reachable is nats_up's job.
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  // Headers and body go out in separate writes; without TCP_NODELAY a keep-alive client (such
  // as Prometheus) waits for the delayed ACK, ~40 ms per scrape.
  server_->set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which lets a second farrier bind the same address
  // without error and silently take half of the scrapes. SO_REUSEADDR alone still allows a quick
  // restart while old connections linger in TIME_WAIT.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_keep_alive_timeout(kKeepAliveSeconds);
  server_->set_keep_alive_max_count(kKeepAliveRequests);
  server_->set_read_timeout(kReadTimeout);
  server_->set_write_timeout(kWriteTimeout);
}

WebServer::~WebServer() { Stop(); }

std::shared_ptr<const BasicAuth> WebServer::auth() const {
  std::lock_guard lock(auth_mu_);
  return auth_;
}

std::vector<std::string> WebServer::Reconfigure(const WebServerOptions& next) {
  static const WebConfig kNone;  // no --web.config.file: plain HTTP, no users
  const WebConfig& was = options_.web ? *options_.web : kNone;
  const WebConfig& now = next.web ? *next.web : kNone;
  std::vector<std::string> need_restart;
  if (next.listen_address_text != options_.listen_address_text) need_restart.push_back("--web.listen-address");
  // The TLS context and the certificate reloader are made once, with the listener. (The contents
  // of the certificate and key files reload on their own, at the next handshake.)
  if (now.tls != was.tls || (now.tls && !(now.tls_config == was.tls_config))) {
    need_restart.push_back("the TLS settings of --web.config.file");
  }
  if (next.enable_lifecycle != options_.enable_lifecycle) need_restart.push_back("--web.enable-lifecycle");

  // Users take effect with the next request, as exporter-toolkit's do. A new BasicAuth starts with
  // an empty cache of verified passwords, so a removed or changed password stops working at once.
  // Only Reconfigure (on the reload thread, under the Reloader's lock) writes auth_.
  std::shared_ptr<const BasicAuth> current = auth();
  const bool users_changed = (current ? current->users() : kNone.basic_auth_users) != now.basic_auth_users;
  if (users_changed) {
    auto next_auth = now.basic_auth_users.empty() ? nullptr : std::make_shared<const BasicAuth>(now.basic_auth_users);
    std::lock_guard lock(auth_mu_);
    auth_ = std::move(next_auth);
  }
  if (users_changed) {
    spdlog::info("listener: basic auth {} (from {})",
                 now.basic_auth_users.empty() ? std::string("off: no users")
                                              : "now for " + std::to_string(now.basic_auth_users.size()) + " user(s)",
                 next.config_file.empty() ? std::string("no --web.config.file") : next.config_file);
  }
  if (next.max_requests != max_requests_.exchange(next.max_requests)) {
    spdlog::info("listener: --web.max-requests is now {}", next.max_requests);
  }
  return need_restart;
}

bool WebServer::SetupTls(SSL_CTX& ctx) {
  const WebTlsConfig& tls = options_.web->tls_config;
  SSL_CTX_set_min_proto_version(&ctx, tls.min_tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The certificate is chosen per handshake, so a rotated pair on disk is used by the next
  // connection without a restart; a bad new pair leaves the previous one in use.
  SSL_CTX_set_cert_cb(
      &ctx,
      [](SSL* ssl, void* arg) -> int {
        auto* self = static_cast<WebServer*>(arg);
        std::shared_ptr<const CertificatePair> pair = self->certificates_->Current(LogCertificateChange);
        if (!pair) return 0;
        return SSL_use_cert_and_key(ssl, pair->certificate(), pair->key(), pair->chain(), 1) == 1 ? 1 : 0;
      },
      this);
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(&ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      setup_error_ = "$.tls_server_config.client_ca_file: cannot load " + tls.client_ca_file;
      return false;
    }
    // Names the acceptable issuers in the CertificateRequest, so clients pick the right cert.
    SSL_CTX_set_client_CA_list(&ctx, SSL_load_client_CA_file(tls.client_ca_file.c_str()));
    int mode = SSL_VERIFY_PEER;
    if (tls.client_auth == ClientAuth::kRequireAndVerifyClientCert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(&ctx, mode, nullptr);
    // Session resumption with client verification needs a context id, or resumed handshakes fail.
    static const unsigned char kSessionContext[] = "farrier";
    SSL_CTX_set_session_id_context(&ctx, kSessionContext, sizeof(kSessionContext) - 1);
  }
  return true;
}

void WebServer::ServeScaling(JsonEndpoint endpoint) {
  auto answer = [endpoint](const std::string& name, httplib::Response& res) {
    auto [status, body] = endpoint(name);
    res.status = status;
    res.set_content(body, "application/json");
  };
  server_->Get("/api/v1/scaling", [answer](const httplib::Request&, httplib::Response& res) { answer("", res); });
  server_->Get(R"(/api/v1/scaling/services/([A-Za-z0-9_.\-]+))",
               [answer](const httplib::Request& req, httplib::Response& res) { answer(req.matches[1], res); });
}

void WebServer::ServeStatusPage(PageEndpoint endpoint) {
  server_->Get("/", [this, endpoint](const httplib::Request&, httplib::Response& res) {
    // A page costs up to ~40 ms of CPU at the history's caps (render and gzip, bench/README.md):
    // a burst of reloads must not take the cores /metrics needs. Browsers retry; 503 at once.
    ScrapeSlot slot(pages_in_flight_);
    if (slot.scrapes() > kMaxPagesAtOnce) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_content("too many status pages at once; try again\n", "text/plain; charset=utf-8");
      return;
    }
    Page page = endpoint();
    res.set_header("Content-Security-Policy", page.content_security_policy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::move(page.html), "text/html; charset=utf-8");
  });
}

void WebServer::ServeReload(ReloadEndpoint endpoint) {
  // The content-reader form leaves the body unread, so `curl -X POST .../-/reload` (no body, no
  // Content-Length) works as it does with Prometheus, instead of httplib's 400.
  server_->Post("/-/reload",
                [endpoint](const httplib::Request&, httplib::Response& res, const httplib::ContentReader&) {
                  auto [status, body] = endpoint();
                  res.status = status;
                  res.set_content(body, "text/plain; charset=utf-8");
                });
  // A reload changes state: a GET (a crawler, a prefetching browser) must not trigger one.
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "POST");
    res.set_content("only POST reloads the configuration\n", "text/plain; charset=utf-8");
  };
  server_->Get("/-/reload", not_allowed);
  server_->Put("/-/reload", not_allowed);
  server_->Delete("/-/reload", not_allowed);
  server_->Patch("/-/reload", not_allowed);
  server_->Options("/-/reload", not_allowed);
}

bool WebServer::Start(std::string* error) {
  if (!setup_error_.empty()) {
    *error = setup_error_;
    return false;
  }
  const ListenAddress& la = options_.listen_address;
  if (la.port == 0) {
    port_ = server_->bind_to_any_port(la.host);
  } else {
    port_ = server_->bind_to_port(la.host, la.port) ? la.port : -1;
  }
  if (port_ <= 0) {
    *error = "cannot listen on " + options_.listen_address_text + " (--web.listen-address): " + std::strerror(errno);
    return false;
  }
  if (options_.web) {
    const WebConfig& web = *options_.web;
    std::string clients = !web.tls ? ""
                          : web.tls_config.client_auth == ClientAuth::kRequireAndVerifyClientCert
                              ? ", client certificates required"
                          : web.tls_config.client_auth == ClientAuth::kVerifyClientCertIfGiven
                              ? ", client certificates verified when given"
                              : "";
    spdlog::info("listener: {}{}, {} (from {})", web.tls ? "TLS" : "plain HTTP", clients,
                 auth()
                     ? "basic auth for all but /healthz (" + std::to_string(web.basic_auth_users.size()) + " user(s))"
                     : "no basic auth",
                 web.file);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return true;
}

void WebServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace farrier
