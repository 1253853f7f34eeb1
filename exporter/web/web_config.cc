#include "web/web_config.h"

#include <crypt.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "core/json_fields.h"

namespace farrier {
namespace {

using Json = nlohmann::json;

using json_fields::Got;

std::string OpensslReason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "not understood by OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// Never prompts on a terminal for an encrypted key's passphrase: the load fails instead.
int NoPassphrase(char*, int, int, void*) { return 0; }

// Certificates in a PEM file, in order; empty with `why` set when there are none.
std::vector<X509*> ReadCertificates(const std::string& path, std::string* why, const FileReader& read) {
  std::string pem;
  if (!read(path, &pem, why)) return {};
  std::vector<X509*> certs;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* x = PEM_read_bio_X509(bio, nullptr, NoPassphrase, nullptr)) certs.push_back(x);
  BIO_free(bio);
  ERR_clear_error();  // the loop ends with a "no start line" error
  if (certs.empty()) *why = "no PEM certificate (-----BEGIN CERTIFICATE-----) in it";
  return certs;
}

std::string Resolve(const std::string& path, const std::string& config_file) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(config_file).parent_path() / p).lexically_normal().string();
}

std::string ParseTls(const Json& tls, const std::string& file, WebTlsConfig* out) {
  const std::string where = file + ": $.tls_server_config";
  if (!tls.is_object()) return where + ": expected an object, got " + Got(tls);
  auto text = [&](const char* key, std::string* value) -> std::string {
    auto it = tls.find(key);
    if (it == tls.end()) return {};
    if (!it->is_string() || it->get<std::string>().empty()) {
      return where + "." + key + ": expected a non-empty string, got " + Got(*it);
    }
    *value = it->get<std::string>();
    return {};
  };
  std::string client_auth = "NoClientCert", min_version = "TLS12";
  for (const auto& [key, value] : tls.items()) {
    std::string err;
    if (key == "cert_file") err = text("cert_file", &out->cert_file);
    else if (key == "key_file") err = text("key_file", &out->key_file);
    else if (key == "client_ca_file") err = text("client_ca_file", &out->client_ca_file);
    else if (key == "client_auth_type") err = text("client_auth_type", &client_auth);
    else if (key == "min_version") err = text("min_version", &min_version);
    else {
      return where + "." + key +
             ": unknown field (expected cert_file, key_file, client_ca_file, client_auth_type or "
             "min_version; exporter-toolkit's other TLS settings are not supported)";
    }
    if (!err.empty()) return err;
  }
  if (out->cert_file.empty()) return where + ".cert_file: required (a PEM certificate file)";
  if (out->key_file.empty()) return where + ".key_file: required (a PEM private key file)";
  if (client_auth == "NoClientCert") {
    out->client_auth = ClientAuth::kNoClientCert;
  } else if (client_auth == "RequireAndVerifyClientCert") {
    out->client_auth = ClientAuth::kRequireAndVerifyClientCert;
  } else if (client_auth == "VerifyClientCertIfGiven") {
    out->client_auth = ClientAuth::kVerifyClientCertIfGiven;
  } else {
    return where +
           ".client_auth_type: expected NoClientCert, RequireAndVerifyClientCert or "
           "VerifyClientCertIfGiven, got \"" +
           client_auth + "\"";
  }
  // exporter-toolkit refuses a CA without a policy too: the CA would silently check nothing.
  if (!out->client_ca_file.empty() && out->client_auth == ClientAuth::kNoClientCert) {
    return where +
           ".client_auth_type: client_ca_file is set but client_auth_type is NoClientCert; "
           "expected RequireAndVerifyClientCert or VerifyClientCertIfGiven";
  }
  if (out->client_ca_file.empty() && out->client_auth != ClientAuth::kNoClientCert) {
    return where + ".client_ca_file: required with client_auth_type " + client_auth +
           " (the CA that issued the client certificates)";
  }
  if (min_version == "TLS13") {
    out->min_tls13 = true;
  } else if (min_version != "TLS12") {
    return where + ".min_version: expected TLS12 or TLS13 (older versions are not offered), got \"" + min_version +
           "\"";
  }
  out->cert_file = Resolve(out->cert_file, file);
  out->key_file = Resolve(out->key_file, file);
  if (!out->client_ca_file.empty()) out->client_ca_file = Resolve(out->client_ca_file, file);
  return {};
}

std::string ParseUsers(const Json& users, const std::string& file, std::map<std::string, std::string>* out) {
  const std::string where = file + ": $.basic_auth_users";
  if (!users.is_object()) return where + ": expected an object of user names to bcrypt hashes, got " + Got(users);
  for (const auto& [user, hash] : users.items()) {
    if (user.empty() || user.find(':') != std::string::npos) {
      return where +
             ": expected user names that are not empty and have no ':' (basic auth splits "
             "\"user:password\" at the first colon), got \"" +
             user + "\"";
    }
    // The value is not quoted in any message: it may be a password pasted where the hash belongs.
    if (!hash.is_string()) return where + "." + user + ": expected a bcrypt hash string, got " + hash.type_name();
    if (std::string what = CheckBcryptHash(hash.get<std::string>()); !what.empty()) {
      return where + "." + user + ": expected a bcrypt hash ($2y$..., e.g. from `htpasswd -nbBC 10 " + user +
             " PASSWORD`), got " + what;
    }
    (*out)[user] = hash.get<std::string>();
  }
  return {};
}

}  // namespace

std::string CheckBcryptHash(std::string_view h) {
  auto starts = [&](std::string_view p) { return h.substr(0, p.size()) == p; };
  if (starts("$2a$") || starts("$2b$") || starts("$2y$")) {
    // $2y$10$ + 22 characters of salt + 31 of hash, in bcrypt's base64 alphabet.
    bool digits = h.size() > 6 && std::isdigit(static_cast<unsigned char>(h[4])) &&
                  std::isdigit(static_cast<unsigned char>(h[5]));
    int cost = digits ? (h[4] - '0') * 10 + (h[5] - '0') : -1;
    bool shape = h.size() == 60 && digits && h[6] == '$' &&
                 h.find_first_not_of("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 7) ==
                     std::string_view::npos;
    if (!shape)
      return "a malformed bcrypt hash (expected 60 characters: $2y$, two cost digits, $, 53 of salt and hash)";
    if (cost < 4 || cost > 31) return "a bcrypt hash with cost " + std::to_string(cost) + " (expected 04 to 31)";
    return {};
  }
  if (starts("$1$")) return "an MD5-crypt hash ($1$), which is too fast to resist guessing";
  if (starts("$apr1$")) return "an Apache MD5 hash ($apr1$), which is too fast to resist guessing; use htpasswd -B";
  if (starts("$5$") || starts("$6$"))
    return "a SHA-crypt hash ($5$/$6$); only bcrypt is accepted, as in exporter-toolkit";
  if (starts("{SHA}")) return "an unsalted SHA-1 hash ({SHA}), which is too fast to resist guessing";
  if (starts("$")) return "a hash of a kind other than bcrypt; only bcrypt is accepted, as in exporter-toolkit";
  return "something that is not a hash (passwords must not be stored in plain text)";
}

Result<WebConfig> ParseWebConfig(std::string_view text, const std::string& file) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Error{file + ": not valid JSON"};
  if (!doc.is_object()) return Error{file + ": expected a JSON object at the top level, got " + Got(doc)};
  WebConfig config;
  config.file = file;
  for (const auto& [key, value] : doc.items()) {
    std::string err;
    if (key == "tls_server_config") {
      config.tls = true;
      err = ParseTls(value, file, &config.tls_config);
    } else if (key == "basic_auth_users") {
      err = ParseUsers(value, file, &config.basic_auth_users);
    } else {
      err = file + ": $." + key + ": unknown field (expected tls_server_config or basic_auth_users)";
    }
    if (!err.empty()) return Error{err};
  }
  return config;
}

Result<WebConfig> LoadWebConfig(const std::string& path, const FileReader& read) {
  std::string text, why;
  if (!read(path, &text, &why)) return Error{path + ": cannot read the file: " + why};
  Result<WebConfig> parsed = ParseWebConfig(text, path);
  if (!parsed || !parsed->tls) return parsed;
  const WebTlsConfig& tls = parsed->tls_config;
  auto pair = CertificatePair::Load(tls.cert_file, tls.key_file, read);
  if (!pair) return Error{path + ": $.tls_server_config: " + pair.error()};
  if (!tls.client_ca_file.empty()) {
    std::vector<X509*> cas = ReadCertificates(tls.client_ca_file, &why, read);
    for (X509* x : cas) X509_free(x);
    if (cas.empty()) return Error{path + ": $.tls_server_config.client_ca_file: " + tls.client_ca_file + ": " + why};
  }
  return parsed;
}

CertificatePair::~CertificatePair() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
  sk_X509_pop_free(chain_, X509_free);
}

Result<std::shared_ptr<const CertificatePair>> CertificatePair::Load(const std::string& cert_file,
                                                                     const std::string& key_file,
                                                                     const FileReader& read) {
  std::shared_ptr<CertificatePair> pair(new CertificatePair);
  pair->chain_ = sk_X509_new_null();
  std::string why;
  std::vector<X509*> certs = ReadCertificates(cert_file, &why, read);
  if (certs.empty()) return Error{"cert_file " + cert_file + ": " + why};
  pair->cert_ = certs[0];
  for (size_t i = 1; i < certs.size(); ++i) sk_X509_push(pair->chain_, certs[i]);

  std::string pem;
  if (!read(key_file, &pem, &why)) return Error{"key_file " + key_file + ": " + why};
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  pair->key_ = PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr);
  BIO_free(bio);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!pair->key_) {
    return Error{"key_file " + key_file + ": no usable PEM private key in it (" + OpensslReason() +
                 "; encrypted keys are not supported)"};
  }
  if (X509_check_private_key(pair->cert_, pair->key_) != 1) {
    ERR_clear_error();
    return Error{"key_file " + key_file + " does not belong to the certificate in cert_file " + cert_file};
  }
  return std::shared_ptr<const CertificatePair>(std::move(pair));
}

FileStamp StampFile(const std::string& path) {
  FileStamp s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    s.error = errno;
    return s;
  }
  s.device = st.st_dev;
  s.inode = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return s;
}

CertificateReloader::CertificateReloader(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

std::string CertificateReloader::Init() {
  std::lock_guard lock(mu_);
  cert_stamp_ = StampFile(cert_file_);
  key_stamp_ = StampFile(key_file_);
  auto loaded = CertificatePair::Load(cert_file_, key_file_);
  if (!loaded) return loaded.error();
  pair_ = *loaded;
  return {};
}

std::shared_ptr<const CertificatePair> CertificateReloader::Current(
    const std::function<void(const std::string&, bool)>& log) {
  // Two stat() calls per handshake: cheap next to the handshake, and no timer thread to own.
  FileStamp cert = StampFile(cert_file_), key = StampFile(key_file_);
  std::lock_guard lock(mu_);
  if (cert == cert_stamp_ && key == key_stamp_) return pair_;
  cert_stamp_ = cert;
  key_stamp_ = key;
  auto loaded = CertificatePair::Load(cert_file_, key_file_);
  if (!loaded) {
    // Logged once per change of the files; a rotation that writes the certificate before the
    // key passes through here and then succeeds once the key is written.
    log("TLS certificate files changed but cannot be used, still serving the previous certificate: " + loaded.error(),
        true);
    return pair_;
  }
  pair_ = *loaded;
  log("TLS certificate reloaded from " + cert_file_ + " and " + key_file_, false);
  return pair_;
}

bool BcryptMatches(const std::string& password, const std::string& hash) {
  // struct crypt_data is ~32 KiB: on the heap rather than a listener thread's stack.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(*data));
  bool match = out && out[0] != '*' && std::strlen(out) == hash.size() &&
               CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(data.get(), sizeof(*data));
  return match;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {
  if (RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) != 1) {
    // Without a random key the cache would be a plain hash of the password: do without it.
    cache_disabled_ = true;
  }
}

BasicAuth::Digest BasicAuth::CacheKey(const std::string& user, const std::string& hash,
                                      const std::string& password) const {
  // Length-prefixed fields, so ("ab", "c") and ("a", "bc") differ.
  std::string message;
  for (const std::string* field : {&user, &hash, &password}) {
    message += std::to_string(field->size()) + ":" + *field;
  }
  Digest d{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), d.data(), &len);
  OPENSSL_cleanse(message.data(), message.size());
  return d;
}

bool BasicAuth::Verify(const std::string& user, const std::string& password) const {
  auto it = users_.find(user);
  if (it == users_.end()) {
    // As long as for a known user, so that timing does not tell which user names exist.
    if (!users_.empty()) {
      ++bcrypt_runs_;
      BcryptMatches(password, users_.begin()->second);
    }
    return false;
  }
  Digest key = CacheKey(user, it->second, password);
  if (!cache_disabled_) {
    std::lock_guard lock(mu_);
    auto v = verified_.find(user);
    if (v != verified_.end() && CRYPTO_memcmp(v->second.data(), key.data(), key.size()) == 0) return true;
  }
  ++bcrypt_runs_;
  if (!BcryptMatches(password, it->second)) return false;
  if (!cache_disabled_) {
    std::lock_guard lock(mu_);
    verified_[user] = key;
  }
  return true;
}

bool BasicAuth::Check(std::string_view authorization) const {
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  std::string_view encoded = authorization.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  // Standard base64 with padding (RFC 7617).
  if (encoded.empty() || encoded.size() % 4 != 0 || encoded.size() > 4096) return false;
  std::string decoded(encoded.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(encoded.data()), static_cast<int>(encoded.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the bytes that padding stands for; drop them.
  size_t padding = encoded.ends_with("==") ? 2 : encoded.ends_with("=") ? 1 : 0;
  decoded.resize(static_cast<size_t>(n) - padding);
  auto colon = decoded.find(':');
  bool ok = colon != std::string::npos && Verify(decoded.substr(0, colon), decoded.substr(colon + 1));
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return ok;
}

}  // namespace farrier
