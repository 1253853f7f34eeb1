#include <httplib.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>

#include "core/host_port.h"
#include "core/json_whitespace.h"
#include "transport/fetcher.h"

namespace farrier {

std::string MonitorUrl::Origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

bool ParseMonitorUrl(std::string_view text, MonitorUrl* out, std::string* error) {
  MonitorUrl url;
  auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    *error = "expected a URL like http://127.0.0.1:8222, got \"" + std::string(text) + "\"";
    return false;
  }
  url.scheme = std::string(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    *error = "expected scheme http or https, got \"" + url.scheme + "\"";
    return false;
  }
  std::string_view rest = text.substr(sep + 3);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    url.base_path = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos) {
    // The monitoring port has no authentication; credentials here would only leak into logs.
    *error = "user information in the URL is not supported (the monitoring port has no auth)";
    return false;
  }
  HostPort hp;
  if (!SplitHostPort(authority, &hp, error)) return false;
  if (hp.port == 0) {
    *error = "expected a port number 1-65535, got \"0\"";
    return false;
  }
  url.port = hp.port > 0 ? hp.port : (url.scheme == "https" ? 443 : 80);
  if (hp.host.empty()) {
    *error = "missing host in \"" + std::string(text) + "\"";
    return false;
  }
  url.host = std::move(hp.host);
  *out = std::move(url);
  return true;
}

namespace {

class HttpFetcher final : public Fetcher {
 public:
  HttpFetcher(const MonitorUrl& url, const MonitorTls& tls)
      : url_(url), tls_(tls), client_(ClientOrigin(url, tls), tls.cert_file, tls.key_file) {
    client_.set_keep_alive(true);
    if (url.scheme == "https") {
      if (!tls.ca_file.empty()) client_.set_ca_cert_path(tls.ca_file);
      client_.enable_server_certificate_verification(!tls.insecure_skip_verify);
      // The client connects to the server name (so SNI and verification use it) and the
      // address map sends that name to the URL's host.
      if (!tls.server_name.empty()) client_.set_hostname_addr_map({{tls.server_name, url.host}});
    }
  }

  static std::string ClientOrigin(const MonitorUrl& url, const MonitorTls& tls) {
    if (url.scheme != "https" || tls.server_name.empty()) return url.Origin();
    return url.scheme + "://" + tls.server_name + ":" + std::to_string(url.port);
  }

  void StartPoll(const FetchLimits& limits) override { limits_ = limits; }

  void Cancel() override {
    cancelled_ = true;
    // httplib's one thread-safe way to interrupt a request: shut the socket down.
    client_.stop();
  }

  FetchResult Fetch(const EndpointRequest& request) override {
    FetchResult result;
    const std::string path_and_query = HttpTarget(request);
    // Keep the buffer's capacity between requests (its pages stay mapped: no page faults to
    // fill it again), but not an exceptional one.
    if (body_.capacity() > kKeptBufferBytes) std::string().swap(body_);
    body_.clear();
    JsonWhitespaceFilter compact;
    uint64_t received = 0;
    const std::string endpoint = path_and_query.substr(0, path_and_query.find('?'));
    if (!request.server_id.empty()) {
      result.failure = ErrorKind::kConnect;
      result.detail = "GET " + path_and_query + ": HTTP reaches only the server at " + url_.Origin() + ", not server " +
                      request.server_id;
      return result;
    }
    if (cancelled_) {
      result.failure = ErrorKind::kTimeout;
      result.detail = "GET " + path_and_query + " not sent: shutting down";
      return result;
    }
    auto remaining = limits_.deadline - std::chrono::steady_clock::now();
    if (remaining <= std::chrono::milliseconds(1)) {
      result.failure = ErrorKind::kTimeout;
      result.detail = "poll deadline passed before GET " + path_and_query;
      return result;
    }
    // httplib's timeouts are per socket operation; the receiver below enforces the deadline
    // across the whole body, so a server that trickles bytes (or is SIGSTOPped mid-response)
    // cannot hold a poll longer than --poll.timeout. The socket timeouts get a small margin:
    // httplib waits in whole milliseconds from after connect/write, so without it an expired
    // socket wait could end just before the deadline and be filed as a broken read.
    auto socket_timeout = remaining + std::chrono::milliseconds(20);
    client_.set_connection_timeout(socket_timeout);
    client_.set_read_timeout(socket_timeout);
    client_.set_write_timeout(socket_timeout);
    bool too_large = false;
    bool late = false;
    ERR_clear_error();  // so that TlsFailure reads this request's errors, not an older one's
    auto res = client_.Get(
        url_.base_path + path_and_query,
        [&](const httplib::Response& response) {
          result.status = response.status;
          // Reserve once instead of growing by doubling: a 5 MB /connz page would otherwise
          // peak at twice its size while being copied. The last answer of the endpoint says
          // what to expect (the body is kept without its indentation, below, and nats-server
          // sends large bodies chunked, without a length); the first one goes by its length.
          uint64_t length = 0;
          if (auto last = last_size_.find(endpoint); last != last_size_.end()) {
            length = last->second + last->second / 16;
          } else {
            std::string header = response.get_header_value("Content-Length");
            std::from_chars(header.data(), header.data() + header.size(), length);
          }
          if (length > 0) body_.reserve(std::min<uint64_t>(length, limits_.max_body_bytes));
          return true;
        },
        [&](const char* data, size_t length) {
          received += length;  // the limit is on what the server sends
          if (received > limits_.max_body_bytes) {
            too_large = true;
            return false;
          }
          if (std::chrono::steady_clock::now() > limits_.deadline || cancelled_) {
            late = true;
            return false;
          }
          compact.Append({data, length}, body_);
          return true;
        });
    if (res) {
      last_size_[endpoint] = body_.size();
      result.body = body_;
      return result;
    }
    httplib::Error err = res.error();
    result.detail = "GET " + url_.Origin() + url_.base_path + path_and_query + ": ";
    if (too_large) {
      result.failure = ErrorKind::kBodyTooLarge;
      result.detail += "response body exceeds " + std::to_string(limits_.max_body_bytes) +
                       " bytes (--poll.max-body-bytes)";
      return result;
    }
    bool past_deadline = late || std::chrono::steady_clock::now() >= limits_.deadline;
    switch (err) {
      case httplib::Error::Connection:
        result.failure = past_deadline ? ErrorKind::kTimeout : ErrorKind::kConnect;
        break;
      case httplib::Error::ConnectionTimeout: result.failure = ErrorKind::kTimeout; break;
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLLoadingCerts:
      case httplib::Error::SSLServerVerification: result.failure = ErrorKind::kTls; break;
      default: result.failure = past_deadline ? ErrorKind::kTimeout : ErrorKind::kRead;
    }
    if (result.failure == ErrorKind::kTimeout) {
      result.detail += "no complete answer within --poll.timeout";
    } else if (result.failure == ErrorKind::kTls) {
      result.detail += TlsFailure(err);
    } else if (result.failure == ErrorKind::kConnect) {
      result.detail += "cannot connect (refused, or no route to the host)";
    } else if (err == httplib::Error::Read || err == httplib::Error::Write) {
      result.detail += "the connection broke while the request was being read or written";
    } else {
      result.detail += httplib::to_string(err);
    }
    return result;
  }

 private:
  // httplib names only the step that failed ("SSLServerVerification"); the operator needs to
  // know why: expired, unknown issuer, another name. OpenSSL's reason, with the option to fix.
  std::string TlsFailure(httplib::Error err) const {
    if (err == httplib::Error::SSLLoadingCerts) {
      return "TLS: cannot load the CA certificates of --nats.monitor-tls.ca-file " + tls_.ca_file;
    }
    if (err == httplib::Error::SSLServerVerification) {
      long code = client_.get_openssl_verify_result();
      if (code == X509_V_OK) {  // the chain verified; httplib's own host check failed
        return "TLS: the server's certificate is not valid for " +
               (tls_.server_name.empty() ? url_.host : tls_.server_name) +
               " (the name expected is the URL's host or --nats.monitor-tls.server-name)";
      }
      std::string why = std::string("TLS: the server's certificate was not accepted: ") +
                        X509_verify_cert_error_string(code);
      switch (code) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
          why += " (is the CA that signed it in --nats.monitor-tls.ca-file?)";
          break;
        default: break;
      }
      return why;
    }
    // A failed handshake: OpenSSL's last error on this thread says why, when it kept one.
    std::string why = "TLS handshake failed";
    unsigned long e = ERR_peek_last_error();
    if (const char* reason = e ? ERR_reason_error_string(e) : nullptr) why += std::string(": ") + reason;
    return why;
  }

  static constexpr size_t kKeptBufferBytes = 16u << 20;
  MonitorUrl url_;
  MonitorTls tls_;
  FetchLimits limits_;
  httplib::Client client_;
  std::atomic<bool> cancelled_{false};
  std::string body_;
  std::map<std::string, size_t> last_size_;  // by endpoint path: the size of its last answer
};

}  // namespace

std::unique_ptr<Fetcher> MakeHttpFetcher(const MonitorUrl& url, const MonitorTls& tls) {
  return std::make_unique<HttpFetcher>(url, tls);
}

}  // namespace farrier
