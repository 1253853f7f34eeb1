#include "services/nats_client.h"

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <openssl/err.h>
#include <spdlog/spdlog.h>


namespace farrier {
namespace {

std::string StatusText(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  std::string text = natsStatus_GetText(s);
  std::string d = detail ? detail : "";
  // cnats prefixes its detail with the source location, "(conn.c:1905): ": not for operators.
  if (!d.empty() && d.front() == '(') {
    if (auto end = d.find("): "); end != std::string::npos) d = d.substr(end + 3);
  }
  if (!d.empty() && d != text) text += ": " + d;
  return text;
}

}  // namespace

Result<std::unique_ptr<NatsClient>> NatsClient::Open(const NatsClientConfig& config, std::string_view meanwhile) {
  // One cnats library instance per process; nats_Open is idempotent. The default lock spin
  // count is for latency-critical clients; -1 keeps it.
  if (natsStatus s = nats_Open(-1); s != NATS_OK) return Error{"cannot initialise the NATS library: " + StatusText(s)};
  std::unique_ptr<NatsClient> client(new NatsClient());
  for (const auto& u : config.urls) client->servers_ += (client->servers_.empty() ? "" : ",") + u;

  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return Error{"cannot create NATS options"};
  client->opts_ = raw;  // owned by the client from here on (Maintain connects with them again)
  natsOptions* const opts = raw;
  std::vector<const char*> urls;
  for (const auto& u : config.urls) urls.push_back(u.c_str());

  std::string step;
  auto check = [&step](const char* what, natsStatus s) {
    if (s != NATS_OK && step.empty()) step = std::string(what) + ": " + StatusText(s);
  };
  check("nats.url", natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size())));
  check("nats.name", natsOptions_SetName(opts, config.name.c_str()));
  // Probes measure latency: write each request at once instead of waiting for the flusher.
  check("send asap", natsOptions_SetSendAsap(opts, true));
  check("timeout", natsOptions_SetTimeout(opts, 2000));
  check("reconnect", natsOptions_SetMaxReconnect(opts, -1));
  check("reconnect wait", natsOptions_SetReconnectWait(opts, 1000));
  // Nothing is buffered while disconnected: a probe that cannot be sent is an error now, not a
  // request delivered seconds later after a reconnect.
  check("reconnect buffer", natsOptions_SetReconnectBufSize(opts, 0));
  check("callbacks", natsOptions_SetDisconnectedCB(opts, &NatsClient::OnDisconnected, client.get()));
  check("callbacks", natsOptions_SetReconnectedCB(opts, &NatsClient::OnReconnected, client.get()));
  check("callbacks", natsOptions_SetClosedCB(opts, &NatsClient::OnClosed, client.get()));
  check("callbacks", natsOptions_SetErrorHandler(opts, &NatsClient::OnAsyncError, client.get()));
  if (!step.empty()) return Error{"NATS client options: " + step};

  // nkey and creds authentication sign with farrier's handler (services/nats_signer.h).
  if (!config.creds_file.empty() || !config.nkey_seed_file.empty()) {
    auto signer = !config.creds_file.empty()
                      ? NonceSigner::FromCredsFile(config.creds_file, config.auth_options + ".creds-file")
                      : NonceSigner::FromSeedFile(config.nkey_seed_file, config.auth_options + ".nkey-seed-file");
    if (!signer) return Error{signer.error()};
    client->signer_ = std::move(signer).value();
    if (natsStatus s = client->signer_->Install(opts); s != NATS_OK) {
      return Error{config.auth_options + (!config.creds_file.empty() ? ".creds-file " : ".nkey-seed-file ") +
                   (!config.creds_file.empty() ? config.creds_file : config.nkey_seed_file) + ": " +
                   natsStatus_GetText(s)};
    }
  }
  const std::string token_option = config.auth_options + ".token-file";
  const std::string user_option = config.auth_options + ".user";
  if (!config.token.empty()) check(token_option.c_str(), natsOptions_SetToken(opts, config.token.c_str()));
  if (!config.user.empty()) {
    check(user_option.c_str(), natsOptions_SetUserInfo(opts, config.user.c_str(), config.password.c_str()));
  }
  if (!step.empty()) return Error{step};
  bool tls = !config.tls_ca_file.empty() || !config.tls_cert_file.empty() || !config.tls_server_name.empty();
  for (const auto& u : config.urls) tls = tls || u.rfind("tls://", 0) == 0;
  client->tls_ = tls;
  client->has_client_cert_ = !config.tls_cert_file.empty();
  if (tls) {
    if (natsStatus s = natsOptions_SetSecure(opts, true); s != NATS_OK) {
      return Error{"nats TLS: " + StatusText(s)};
    }
    if (!config.tls_ca_file.empty()) {
      if (natsStatus s = natsOptions_LoadCATrustedCertificates(opts, config.tls_ca_file.c_str()); s != NATS_OK) {
        return Error{"nats.tls.ca-file " + config.tls_ca_file + ": " + StatusText(s)};
      }
    }
    if (!config.tls_cert_file.empty()) {
      if (natsStatus s = natsOptions_LoadCertificatesChain(opts, config.tls_cert_file.c_str(),
                                                           config.tls_key_file.c_str());
          s != NATS_OK) {
        return Error{"nats.tls.cert-file/key-file " + config.tls_cert_file + ": " + StatusText(s)};
      }
    }
    if (!config.tls_server_name.empty()) {
      check("nats.tls.server-name", natsOptions_SetExpectedHostname(opts, config.tls_server_name.c_str()));
    }
    if (!step.empty()) return Error{step};
  }

  natsStatus s = client->Connect();
  if (s == NATS_OK) {
    spdlog::info("NATS connected to {}", client->servers_);
  } else if (s == NATS_NOT_YET_CONNECTED) {
    spdlog::warn("NATS not reachable at {} yet; retrying in the background ({})", client->servers_, meanwhile);
  } else {
    // E.g. an authorization violation: not fatal either; Maintain() keeps trying.
    spdlog::warn("NATS connection to {} failed: {}; retrying every second ({})", client->servers_, client->Why(s),
                 meanwhile);
    client->close_logged_ = true;
  }
  return client;
}

natsStatus NatsClient::Connect() {
  last_attempt_ = std::chrono::steady_clock::now();
  closed_ = false;
  nc_ = nullptr;
  // First a plain attempt, which reports why it failed (e.g. "Authorization Violation"). Only
  // when no server is reachable does cnats take over with retries in the background.
  natsOptions_SetRetryOnFailedConnect(opts_, false, nullptr, nullptr);
  ERR_clear_error();
  natsStatus s = ConnectSigned(&nc_, opts_, signer_.get());
  tls_failure_.clear();
  // cnats explains the handshake failures it detects itself (NATS_SSL_ERROR: an expired or
  // unknown certificate, a wrong name). When the server aborts the handshake instead, cnats
  // sees only a closed connection ("Expected 'PONG', got ''"); the reason is the alert the
  // server sent, which OpenSSL left in this thread's error queue.
  if (s != NATS_OK && s != NATS_SSL_ERROR && tls_) {
    if (unsigned long e = ERR_peek_last_error(); e != 0) {
      if (const char* reason = ERR_reason_error_string(e)) {
        tls_failure_ = std::string(" (TLS: ") + reason + ")";
        // A server that verifies clients rejects a handshake without a certificate with an
        // alert ("bad certificate" in TLS 1.2, "certificate required" in 1.3).
        if (!has_client_cert_ && std::strstr(reason, "alert") != nullptr) {
          tls_failure_ +=
              "; if the server requires client certificates, set --nats.tls.cert-file and --nats.tls.key-file";
        }
      }
    }
  }
  ERR_clear_error();
  if (s == NATS_NO_SERVER) {
    natsOptions_SetRetryOnFailedConnect(opts_, true, &NatsClient::OnConnected, this);
    s = natsConnection_Connect(&nc_, opts_);
  }
  if (s == NATS_OK) {
    connected_ = true;
    close_logged_ = false;
  }
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    // No connection object: behave as a closed connection so that Maintain() retries.
    if (nc_) natsConnection_Destroy(nc_);
    nc_ = nullptr;
    closed_ = true;
  }
  return s;
}

std::string NatsClient::Why(natsStatus s) const { return StatusText(s) + tls_failure_; }

bool NatsClient::Maintain() {
  if (!closed_ || std::chrono::steady_clock::now() - last_attempt_ < std::chrono::seconds(1)) return false;
  if (nc_) {
    natsConnection_Destroy(nc_);  // closed already; its callbacks are done
    nc_ = nullptr;
  }
  natsStatus s = Connect();
  if (s == NATS_OK) spdlog::info("NATS connected to {}", servers_);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED && !close_logged_) {
    spdlog::warn("NATS connection to {} failed: {}; retrying every second", servers_, Why(s));
    close_logged_ = true;
  }
  ++generation_;
  return true;
}

NatsClient::~NatsClient() {
  closing_ = true;
  if (nc_ && !closed_) {
    // Close only queues the disconnected and closed callbacks for cnats' callback thread, in that
    // order, and they get `this`: freeing the client before they ran is a use-after-free (ASan
    // saw one in OnDisconnected at shutdown). Wait for the closed callback, the last one. The
    // library itself stays open: a reload's next client is already using it.
    natsConnection_Close(nc_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (!close_done_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  if (nc_) natsConnection_Destroy(nc_);
  natsOptions_Destroy(opts_);
}

void NatsClient::OnConnected(natsConnection*, void* self) {
  auto* c = static_cast<NatsClient*>(self);
  c->connected_ = true;
  spdlog::info("NATS connected to {}", c->servers_);
}


void NatsClient::OnDisconnected(natsConnection*, void* self) {
  auto* c = static_cast<NatsClient*>(self);
  // cnats also calls this for failed attempts while never connected; log the loss only once.
  if (c->connected_.exchange(false) && !c->closing_) {
    spdlog::warn("NATS connection to {} lost; reconnecting", c->servers_);
  }
}

void NatsClient::OnReconnected(natsConnection*, void* self) {
  auto* c = static_cast<NatsClient*>(self);
  c->connected_ = true;
  c->reconnects_++;
  spdlog::info("NATS reconnected to {}", c->servers_);
}

void NatsClient::OnClosed(natsConnection* nc, void* self) {
  auto* c = static_cast<NatsClient*>(self);
  c->connected_ = false;
  if (c->closing_) {
    c->close_done_ = true;  // the destructor waits for this: nothing may touch *c after it
    return;
  }
  c->closed_ = true;
  // cnats closes for good on errors such as an authorization violation; say why, once.
  if (!c->close_logged_) {
    const char* why = nullptr;
    natsStatus s = natsConnection_GetLastError(nc, &why);
    spdlog::warn("NATS connection to {} closed: {}; opening a new one every second", c->servers_,
                 why && *why ? std::string(why) : std::string(natsStatus_GetText(s)));
    c->close_logged_ = true;
  }
}

void NatsClient::OnAsyncError(natsConnection* nc, natsSubscription*, natsStatus err, void* self) {
  auto* c = static_cast<NatsClient*>(self);
  // With the server's words where it sent some ("Permissions Violation for Publish to ...").
  std::string text = natsStatus_GetText(err);
  const char* detail = nullptr;
  if (err == NATS_NOT_PERMITTED && natsConnection_GetLastError(nc, &detail) != NATS_OK && detail && *detail) {
    text += ": " + std::string(detail);
  }
  // The same error again (a refused publish repeats at every poll) is not news: logged once
  // until another one comes.
  std::lock_guard<std::mutex> lock(c->async_mu_);
  if (text == c->last_async_error_) return;
  c->last_async_error_ = text;
  spdlog::warn("NATS asynchronous error on the connection to {}: {}", c->servers_, text);
}

}  // namespace farrier
