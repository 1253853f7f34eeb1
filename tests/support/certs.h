// Throwaway certificates for TLS tests, made with the openssl command line (real X.509 files,
// real verification by the code under test). Every function throws std::runtime_error with
// openssl's stderr when openssl fails.
#pragma once

#include <filesystem>
#include <string>

namespace farrier::test {

// A self-signed CA: <dir>/<name>.pem and <dir>/<name>.key.
void MakeCertificateAuthority(const std::filesystem::path& dir, const std::string& name);

struct CertificateRequest {
  std::string name;       // writes <dir>/<name>.pem and <dir>/<name>.key
  std::string ca = "ca";  // signed by <dir>/<ca>.pem / .key
  std::string common_name = "localhost";
  std::string subject_alt_names{};  // e.g. "DNS:nats.test,IP:127.0.0.1"; empty: none
  bool client = false;              // extendedKeyUsage=clientAuth instead of serverAuth
  bool expired = false;             // notAfter a day before notBefore, i.e. already expired
};
void IssueCertificate(const std::filesystem::path& dir, const CertificateRequest& request);

// The subject of the certificate a TLS server on 127.0.0.1:`port` presents to a new connection
// (openssl s_client, verified against `ca_file`), e.g. "CN = nats.test"; "" when the handshake
// or the verification fails.
std::string ServerCertificateSubject(int port, const std::filesystem::path& ca_file);

// The usual set: CA "ca", server certificate "server" for nats.test and 127.0.0.1 (and
// localhost), client certificate "client" (CN farrier), all valid for two days.
void MakeTestPki(const std::filesystem::path& dir);

}  // namespace farrier::test
