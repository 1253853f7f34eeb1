// The web config file (--web.config.file): every error names the file, the JSON path and what was
// expected; bcrypt verification with hashes made here by libxcrypt; the certificate pair loader
// and its reload on file changes.
#include <crypt.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "web/web_config.h"

namespace farrier {
namespace {

namespace fs = std::filesystem;

// A bcrypt hash made the way htpasswd -B does: crypt_rn with a salt from crypt_gensalt_rn.
std::string Bcrypt(const std::string& password, const char* prefix = "$2y$", int cost = 4) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn(prefix, cost, nullptr, 0, salt, sizeof(salt)), nullptr);
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), salt, &data, sizeof(data));
  EXPECT_NE(hash, nullptr);
  return hash ? hash : "";
}

std::string ErrorOf(const std::string& json) {
  Result<WebConfig> r = ParseWebConfig(json, "web.json");
  return r ? std::string("(no error)") : r.error();
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("farrier-web-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// A self-signed P-256 certificate with subject CN=`cn`, written as <dir>/<name>.pem and .key.
void WriteSelfSigned(const fs::path& dir, const std::string& name, const std::string& cn) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, subject);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* f = std::fopen((dir / (name + ".pem")).c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen((dir / (name + ".key")).c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

std::string SubjectOf(const CertificatePair& pair) {
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(pair.certificate()), NID_commonName, cn, sizeof(cn));
  return cn;
}

TEST(WebConfig, FullFileParses) {
  std::string hash = Bcrypt("s3cret");
  Result<WebConfig> r = ParseWebConfig(
      R"({"tls_server_config": {"cert_file": "tls/server.pem", "key_file": "/etc/farrier/server.key",
                                "client_ca_file": "ca.pem", "client_auth_type": "RequireAndVerifyClientCert",
                                "min_version": "TLS13"},
          "basic_auth_users": {"alice": ")" +
          hash + R"("}})",
      "/etc/farrier/web.json");
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->tls);
  // Relative to the file's directory, as exporter-toolkit resolves them.
  EXPECT_EQ(r->tls_config.cert_file, "/etc/farrier/tls/server.pem");
  EXPECT_EQ(r->tls_config.key_file, "/etc/farrier/server.key");
  EXPECT_EQ(r->tls_config.client_ca_file, "/etc/farrier/ca.pem");
  EXPECT_EQ(r->tls_config.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_TRUE(r->tls_config.min_tls13);
  ASSERT_EQ(r->basic_auth_users.size(), 1u);
  EXPECT_EQ(r->basic_auth_users.at("alice"), hash);
}

TEST(WebConfig, EmptyObjectMeansPlainHttpWithoutAuth) {
  Result<WebConfig> r = ParseWebConfig("{}", "web.json");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->tls);
  EXPECT_TRUE(r->basic_auth_users.empty());
}

TEST(WebConfig, DefaultsAreTls12WithoutClientCertificates) {
  Result<WebConfig> r = ParseWebConfig(R"({"tls_server_config": {"cert_file": "a", "key_file": "b"}})", "/x/w.json");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->tls_config.min_tls13);
  EXPECT_EQ(r->tls_config.client_auth, ClientAuth::kNoClientCert);
  EXPECT_EQ(r->tls_config.client_ca_file, "");
}

TEST(WebConfig, EveryErrorNamesFilePathAndExpectation) {
  struct Case {
    std::string json, expected;
  };
  const std::vector<Case> cases = {
      {"{", "web.json: not valid JSON"},
      {"[]", "web.json: expected a JSON object at the top level, got array"},
      {R"({"http_server_config": {}})",
       "web.json: $.http_server_config: unknown field (expected tls_server_config or basic_auth_users)"},
      {R"({"tls_server_config": "server.pem"})",
       "web.json: $.tls_server_config: expected an object, got string \"server.pem\""},
      {R"({"tls_server_config": {"key_file": "k"}})",
       "web.json: $.tls_server_config.cert_file: required (a PEM certificate file)"},
      {R"({"tls_server_config": {"cert_file": "c"}})",
       "web.json: $.tls_server_config.key_file: required (a PEM private key file)"},
      {R"({"tls_server_config": {"cert_file": 7, "key_file": "k"}})",
       "web.json: $.tls_server_config.cert_file: expected a non-empty string, got number 7"},
      {R"({"tls_server_config": {"cert_file": "", "key_file": "k"}})",
       "web.json: $.tls_server_config.cert_file: expected a non-empty string, got string \"\""},
      {R"({"tls_server_config": {"cert_file": "c", "key_file": "k", "cipher_suites": []}})",
       "web.json: $.tls_server_config.cipher_suites: unknown field (expected cert_file, key_file, client_ca_file, "
       "client_auth_type or min_version; exporter-toolkit's other TLS settings are not supported)"},
      {R"({"tls_server_config": {"cert_file": "c", "key_file": "k", "client_auth_type": "RequireAnyClientCert"}})",
       "web.json: $.tls_server_config.client_auth_type: expected NoClientCert, RequireAndVerifyClientCert or "
       "VerifyClientCertIfGiven, got \"RequireAnyClientCert\""},
      {R"({"tls_server_config": {"cert_file": "c", "key_file": "k", "client_ca_file": "ca"}})",
       "web.json: $.tls_server_config.client_auth_type: client_ca_file is set but client_auth_type is NoClientCert; "
       "expected RequireAndVerifyClientCert or VerifyClientCertIfGiven"},
      {R"({"tls_server_config": {"cert_file": "c", "key_file": "k", "client_auth_type": "VerifyClientCertIfGiven"}})",
       "web.json: $.tls_server_config.client_ca_file: required with client_auth_type VerifyClientCertIfGiven (the CA "
       "that issued the client certificates)"},
      {R"({"tls_server_config": {"cert_file": "c", "key_file": "k", "min_version": "TLS11"}})",
       "web.json: $.tls_server_config.min_version: expected TLS12 or TLS13 (older versions are not offered), got "
       "\"TLS11\""},
      {R"({"basic_auth_users": ["alice"]})",
       "web.json: $.basic_auth_users: expected an object of user names to bcrypt hashes, got array"},
      {R"({"basic_auth_users": {"alice": 42}})",
       "web.json: $.basic_auth_users.alice: expected a bcrypt hash string, got number"},
      {R"({"basic_auth_users": {"al:ice": "x"}})",
       "web.json: $.basic_auth_users: expected user names that are not empty and have no ':' (basic auth splits "
       "\"user:password\" at the first colon), got \"al:ice\""},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorOf(c.json), c.expected) << c.json;
}

TEST(WebConfig, OnlyBcryptHashesAreAcceptedAndPasswordsAreNeverQuoted) {
  const std::string prefix =
      "web.json: $.basic_auth_users.alice: expected a bcrypt hash ($2y$..., e.g. from `htpasswd -nbBC 10 alice "
      "PASSWORD`), got ";
  struct Case {
    std::string value, got;
  };
  const std::vector<Case> cases = {
      {"hunter2", "something that is not a hash (passwords must not be stored in plain text)"},
      {"$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "an MD5-crypt hash ($1$), which is too fast to resist guessing"},
      {"$apr1$saltsalt$9D6D3Ewn4vT36r8I7uJ8e/",
       "an Apache MD5 hash ($apr1$), which is too fast to resist guessing; use htpasswd -B"},
      {"$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
       "a SHA-crypt hash ($5$/$6$); only bcrypt is accepted, as in exporter-toolkit"},
      {"$5$saltsalt$Gcm6FsVtF/Qa77ZKD.iwsJlCVPY0XSMgLJL0Hnww/c1",
       "a SHA-crypt hash ($5$/$6$); only bcrypt is accepted, as in exporter-toolkit"},
      {"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "an unsalted SHA-1 hash ({SHA}), which is too fast to resist guessing"},
      {"$y$j9T$salt$hash", "a hash of a kind other than bcrypt; only bcrypt is accepted, as in exporter-toolkit"},
      {"$2y$10$tooShort",
       "a malformed bcrypt hash (expected 60 characters: $2y$, two cost digits, $, 53 of salt and hash)"},
      {"$2y$03$" + std::string(53, 'a'), "a bcrypt hash with cost 3 (expected 04 to 31)"},
  };
  for (const Case& c : cases) {
    std::string err = ErrorOf(R"({"basic_auth_users": {"alice": ")" + c.value + R"("}})");
    EXPECT_EQ(err, prefix + c.got) << c.value;
    EXPECT_EQ(err.find(c.value), std::string::npos) << "the value must not be echoed: " << err;
  }
  for (const char* kind : {"$2a$", "$2b$", "$2y$"}) {
    std::string hash = Bcrypt("pw", kind);
    EXPECT_EQ(CheckBcryptHash(hash), "") << hash;
    EXPECT_EQ(ErrorOf(R"({"basic_auth_users": {"alice": ")" + hash + R"("}})"), "(no error)");
  }
}

TEST(WebConfig, BcryptVerification) {
  for (const char* kind : {"$2a$", "$2b$", "$2y$"}) {
    std::string hash = Bcrypt("correct horse", kind);
    EXPECT_TRUE(BcryptMatches("correct horse", hash)) << hash;
    EXPECT_FALSE(BcryptMatches("correct horsE", hash)) << hash;
    EXPECT_FALSE(BcryptMatches("", hash)) << hash;
  }
}

TEST(WebConfig, BasicAuthHeader) {
  BasicAuth auth({{"alice", Bcrypt("s3cret")}, {"bob", Bcrypt("pa:ss")}});
  // base64("alice:s3cret"), base64("alice:wrong"), base64("bob:pa:ss"), base64("carol:s3cret")
  EXPECT_TRUE(auth.Check("Basic YWxpY2U6czNjcmV0"));
  EXPECT_TRUE(auth.Check("basic YWxpY2U6czNjcmV0"));  // the scheme is case-insensitive
  EXPECT_FALSE(auth.Check("Basic YWxpY2U6d3Jvbmc="));
  EXPECT_TRUE(auth.Check("Basic Ym9iOnBhOnNz"));  // the password may contain ':'
  EXPECT_FALSE(auth.Check("Basic Y2Fyb2w6czNjcmV0"));
  EXPECT_FALSE(auth.Check(""));
  EXPECT_FALSE(auth.Check("Bearer YWxpY2U6czNjcmV0"));
  EXPECT_FALSE(auth.Check("Basic not base64!"));
  EXPECT_FALSE(auth.Check("Basic YWxpY2U="));  // "alice", no colon
}

TEST(WebConfig, VerifiedPasswordsAreCachedButWrongOnesAlwaysRunBcrypt) {
  BasicAuth auth({{"alice", Bcrypt("s3cret")}});
  EXPECT_TRUE(auth.Verify("alice", "s3cret"));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  EXPECT_TRUE(auth.Verify("alice", "s3cret"));
  EXPECT_TRUE(auth.Verify("alice", "s3cret"));
  EXPECT_EQ(auth.bcrypt_runs(), 1u) << "a remembered password must not go through bcrypt again";
  EXPECT_FALSE(auth.Verify("alice", "s3creT"));
  EXPECT_FALSE(auth.Verify("alice", "s3creT"));
  EXPECT_EQ(auth.bcrypt_runs(), 3u) << "every wrong password goes through bcrypt";
  // Unknown users cost a bcrypt run too, so timing does not tell which names exist.
  EXPECT_FALSE(auth.Verify("mallory", "s3cret"));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
  EXPECT_TRUE(auth.Verify("alice", "s3cret"));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
}

TEST(WebConfig, LoadChecksCertificatesAndClientCa) {
  TempDir dir;
  WriteSelfSigned(dir.path(), "a", "first");
  WriteSelfSigned(dir.path(), "b", "second");
  std::string good = dir.Write("good.json", R"({"tls_server_config": {"cert_file": "a.pem", "key_file": "a.key",
      "client_ca_file": "b.pem", "client_auth_type": "VerifyClientCertIfGiven"}})");
  Result<WebConfig> r = LoadWebConfig(good);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->tls_config.cert_file, (dir.path() / "a.pem").string());

  std::string mismatch = dir.Write("mismatch.json",
                                   R"({"tls_server_config": {"cert_file": "a.pem", "key_file": "b.key"}})");
  r = LoadWebConfig(mismatch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), mismatch + ": $.tls_server_config: key_file " + (dir.path() / "b.key").string() +
                           " does not belong to the certificate in cert_file " + (dir.path() / "a.pem").string());

  std::string missing = dir.Write("missing.json",
                                  R"({"tls_server_config": {"cert_file": "nope.pem", "key_file": "a.key"}})");
  r = LoadWebConfig(missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), missing + ": $.tls_server_config: cert_file " + (dir.path() / "nope.pem").string() +
                           ": No such file or directory");

  std::string key_as_cert = dir.Write("swapped.json",
                                      R"({"tls_server_config": {"cert_file": "a.key", "key_file": "a.key"}})");
  r = LoadWebConfig(key_as_cert);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("cert_file " + (dir.path() / "a.key").string() + ": no PEM certificate"), std::string::npos)
      << r.error();
  EXPECT_EQ(r.error().find("PRIVATE KEY-----\n"), std::string::npos) << "key material in a message: " << r.error();

  std::string bad_ca = dir.Write("bad-ca.json", R"({"tls_server_config": {"cert_file": "a.pem", "key_file": "a.key",
      "client_ca_file": "a.key", "client_auth_type": "RequireAndVerifyClientCert"}})");
  r = LoadWebConfig(bad_ca);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), bad_ca + ": $.tls_server_config.client_ca_file: " + (dir.path() / "a.key").string() +
                           ": no PEM certificate (-----BEGIN CERTIFICATE-----) in it");

  r = LoadWebConfig((dir.path() / "absent.json").string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), (dir.path() / "absent.json").string() + ": cannot read the file: No such file or directory");
}

TEST(WebConfig, ReloaderPicksUpNewFilesAndKeepsTheOldPairWhenTheNewOneIsBad) {
  TempDir dir;
  WriteSelfSigned(dir.path(), "server", "first");
  CertificateReloader reloader((dir.path() / "server.pem").string(), (dir.path() / "server.key").string());
  ASSERT_EQ(reloader.Init(), "");
  std::vector<std::pair<std::string, bool>> logged;
  auto log = [&](const std::string& m, bool error) { logged.emplace_back(m, error); };
  EXPECT_EQ(SubjectOf(*reloader.Current(log)), "first");
  EXPECT_TRUE(logged.empty());

  // A new pair written in place of the old one (by rename, as cert-manager and kubelet do).
  WriteSelfSigned(dir.path(), "next", "second");
  fs::rename(dir.path() / "next.pem", dir.path() / "server.pem");
  fs::rename(dir.path() / "next.key", dir.path() / "server.key");
  EXPECT_EQ(SubjectOf(*reloader.Current(log)), "second");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_FALSE(logged[0].second) << logged[0].first;

  // Only the certificate replaced: the key no longer matches. The old pair stays, logged once.
  WriteSelfSigned(dir.path(), "other", "third");
  fs::rename(dir.path() / "other.pem", dir.path() / "server.pem");
  EXPECT_EQ(SubjectOf(*reloader.Current(log)), "second");
  EXPECT_EQ(SubjectOf(*reloader.Current(log)), "second");
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_TRUE(logged[1].second);
  EXPECT_NE(logged[1].first.find("does not belong to the certificate"), std::string::npos) << logged[1].first;
  EXPECT_NE(logged[1].first.find("still serving the previous certificate"), std::string::npos) << logged[1].first;

  // The matching key arrives: the new pair is used.
  fs::rename(dir.path() / "other.key", dir.path() / "server.key");
  EXPECT_EQ(SubjectOf(*reloader.Current(log)), "third");
  EXPECT_EQ(logged.size(), 3u);
}

TEST(WebConfig, LoadConfigNamesTheOptionAndTheField) {
  TempDir dir;
  std::string file = dir.Write("web.json", R"({"basic_auth_users": {"alice": "plaintext"}})");
  Result<LoadedConfig> r = LoadConfig({"--web.config.file", file}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("--web.config.file: " + file + ": $.basic_auth_users.alice: expected a bcrypt hash", 0), 0u)
      << r.error();
  EXPECT_EQ(r.error().find("plaintext"), std::string::npos) << r.error();

  r = LoadConfig({"--web.config.file", (dir.path() / "absent.json").string()}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "--web.config.file: " + (dir.path() / "absent.json").string() +
                           ": cannot read the file: No such file or directory");

  std::string ok = dir.Write("ok.json", R"({"basic_auth_users": {"alice": ")" + Bcrypt("x") + R"("}})");
  r = LoadConfig({"--web.config.file=" + ok, "--web.max-requests=3", "--web.enable-lifecycle"}, {});
  ASSERT_TRUE(r) << r.error();
  ASSERT_NE(r->config.listener.web, nullptr);
  EXPECT_EQ(r->config.listener.web->basic_auth_users.size(), 1u);
  EXPECT_EQ(r->config.listener.max_requests, 3u);
  EXPECT_TRUE(r->config.listener.enable_lifecycle);

  r = LoadConfig({}, {});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.listener.web, nullptr);
  EXPECT_EQ(r->config.listener.max_requests, 40u);
  EXPECT_FALSE(r->config.listener.enable_lifecycle);
}

}  // namespace
}  // namespace farrier
