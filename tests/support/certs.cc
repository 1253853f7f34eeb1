#include "support/certs.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/process.h"

namespace farrier::test {
namespace {

void RunOpenssl(const std::filesystem::path& dir, const std::string& script) {
  ChildProcess openssl(std::vector<std::string>{"bash", "-c", "set -e\ncd '" + dir.string() + "'\n" + script});
  std::optional<int> status = openssl.WaitExit(std::chrono::seconds(60));
  if (status != 0) {
    throw std::runtime_error("openssl failed (" +
                             (status ? "exit " + std::to_string(*status) : "still running after 60 s") +
                             "): " + openssl.ReadStderr());
  }
}

}  // namespace

void MakeCertificateAuthority(const std::filesystem::path& dir, const std::string& name) {
  RunOpenssl(dir, "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name + "-test-ca -keyout " + name +
                      ".key -out " + name + ".pem 2>/dev/null\n");
}

void IssueCertificate(const std::filesystem::path& dir, const CertificateRequest& r) {
  std::string ext = r.client ? "extendedKeyUsage=clientAuth" : "extendedKeyUsage=serverAuth";
  if (!r.subject_alt_names.empty()) ext += "\nsubjectAltName=" + r.subject_alt_names;
  // -days -1 puts notAfter before the signing time: the certificate is expired from the start.
  const std::string days = r.expired ? "-1" : "2";
  RunOpenssl(dir, "openssl req -newkey rsa:2048 -nodes -subj /CN=" + r.common_name + " -keyout " + r.name +
                      ".key -out " + r.name + ".csr 2>/dev/null\n" + "printf '" + ext + "\\n' > " + r.name + ".ext\n" +
                      "openssl x509 -req -in " + r.name + ".csr -CA " + r.ca + ".pem -CAkey " + r.ca +
                      ".key -CAcreateserial -days " + days + " -extfile " + r.name + ".ext -out " + r.name +
                      ".pem 2>/dev/null\n");
}

std::string ServerCertificateSubject(int port, const std::filesystem::path& ca_file) {
  ChildProcess openssl(std::vector<std::string>{
      "bash", "-c",
      "openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile '" + ca_file.string() +
          "' -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -subject -nameopt oneline"});
  if (openssl.WaitExit(std::chrono::seconds(30)) != 0) return "";
  std::string out = openssl.ReadStdout();
  // "subject=CN = rotated\n" -> "CN = rotated"
  if (out.rfind("subject=", 0) == 0) out = out.substr(8);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

void MakeTestPki(const std::filesystem::path& dir) {
  MakeCertificateAuthority(dir, "ca");
  IssueCertificate(dir, {.name = "server",
                         .common_name = "nats.test",
                         .subject_alt_names = "DNS:nats.test,DNS:localhost,IP:127.0.0.1"});
  IssueCertificate(dir, {.name = "client", .common_name = "farrier", .client = true});
}

}  // namespace farrier::test
