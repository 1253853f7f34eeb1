// The web configuration file (--web.config.file): TLS and basic auth for Farrier's own listener.
// JSON with the key names of Prometheus' exporter-toolkit, so its users recognise them:
//
//   {"tls_server_config": {"cert_file": "...", "key_file": "...", "client_ca_file": "...",
//                          "client_auth_type": "RequireAndVerifyClientCert", "min_version": "TLS12"},
//    "basic_auth_users": {"alice": "$2y$10$..."}}
//
// No sockets here: parsing, the certificate pair loader and the password check, so the unit tests
// reach all of it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "core/files.h"
#include "core/result.h"

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;
struct stack_st_X509;

namespace farrier {

enum class ClientAuth { kNoClientCert, kRequireAndVerifyClientCert, kVerifyClientCertIfGiven };

struct WebTlsConfig {
  // Paths as written in the file, made absolute against the file's directory (as exporter-toolkit
  // does), so a relative name does not depend on farrier's working directory.
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // empty: none
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  bool min_tls13 = false;  // TLS 1.2 otherwise; older versions are not offered at all

  bool operator==(const WebTlsConfig&) const = default;
};

struct WebConfig {
  std::string file;  // the file it came from, for messages
  bool tls = false;
  WebTlsConfig tls_config;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

// Parses the file's text. Errors read "<file>: $.json.path: expected ..., got ..." and never quote
// a basic_auth_users value (it might be a password written where the hash belongs).
Result<WebConfig> ParseWebConfig(std::string_view text, const std::string& file);
// Reads and parses `path`, then loads the certificate pair and the client CA file once, so that a
// bad file stops farrier at start rather than at the first handshake.
Result<WebConfig> LoadWebConfig(const std::string& path, const FileReader& read = RegularFiles());

// "" when `hash` is a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31); otherwise what it is instead
// (plain text, MD5-crypt, SHA-crypt, ...), for the error message.
std::string CheckBcryptHash(std::string_view hash);

// A certificate (with the chain that followed it in the file) and its private key.
class CertificatePair {
 public:
  ~CertificatePair();
  CertificatePair(const CertificatePair&) = delete;
  CertificatePair& operator=(const CertificatePair&) = delete;

  // Reads both PEM files and checks that the key belongs to the certificate.
  static Result<std::shared_ptr<const CertificatePair>> Load(const std::string& cert_file, const std::string& key_file,
                                                             const FileReader& read = RegularFiles());
  X509* certificate() const { return cert_; }
  EVP_PKEY* key() const { return key_; }
  stack_st_X509* chain() const { return chain_; }  // intermediates, may be empty

 private:
  CertificatePair() = default;
  X509* cert_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  stack_st_X509* chain_ = nullptr;
};

// What identifies a file's current content without reading it: a rename (Kubernetes swaps a
// symlink), a rewrite in place or a truncation all change one of these.
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = -1;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  int error = 0;  // errno of stat(), 0 when it worked
  bool operator==(const FileStamp&) const = default;
};
FileStamp StampFile(const std::string& path);

// The certificate pair in use, reloaded when either file changes. Thread-safe: handshakes on
// several listener threads call Current() at once.
class CertificateReloader {
 public:
  CertificateReloader(std::string cert_file, std::string key_file);
  // Fails when the files cannot be loaded at all (start-up).
  std::string Init();
  // The pair for a new handshake. When the files changed since the last look, loads them; if
  // the new pair is bad, keeps the old one and calls `log` once per change with the reason.
  std::shared_ptr<const CertificatePair> Current(
      const std::function<void(const std::string& message, bool error)>& log);

 private:
  const std::string cert_file_, key_file_;
  std::mutex mu_;
  std::shared_ptr<const CertificatePair> pair_;
  FileStamp cert_stamp_, key_stamp_;  // of the files as last looked at (loaded or rejected)
};

// Basic auth against bcrypt hashes. bcrypt at cost 10 takes ~50-100 ms of CPU by design; a
// scrape every 15 s should not pay that each time, so a verified password is remembered as an
// HMAC (per-process random key) of user, stored hash and password, never the password. A wrong
// password never matches the remembered HMAC and always goes through bcrypt. Thread-safe.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool enabled() const { return !users_.empty(); }
  const std::map<std::string, std::string>& users() const { return users_; }  // user -> bcrypt hash
  // `authorization` is the request's Authorization header value ("Basic base64(user:pass)").
  bool Check(std::string_view authorization) const;
  bool Verify(const std::string& user, const std::string& password) const;
  // How many times bcrypt ran (cache misses and wrong passwords), for tests.
  size_t bcrypt_runs() const { return bcrypt_runs_; }

 private:
  using Digest = std::array<uint8_t, 32>;
  Digest CacheKey(const std::string& user, const std::string& hash, const std::string& password) const;

  std::map<std::string, std::string> users_;
  std::array<uint8_t, 32> hmac_key_{};
  bool cache_disabled_ = false;
  mutable std::mutex mu_;
  mutable std::map<std::string, Digest> verified_;  // user -> key of the last good password
  mutable std::atomic<size_t> bcrypt_runs_{0};
};

// crypt_rn with a bcrypt hash as setting; true when `password` hashes to `hash`.
bool BcryptMatches(const std::string& password, const std::string& hash);

}  // namespace farrier
