// Minimal blocking HTTP requests for tests (wraps httplib::Client; httplib types stay private).
// Thread-safety: stateless; every call uses its own connection, safe from any thread.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace farrier::test {

// Header names are case-insensitive (RFC 9110), so lookups in HttpResponse::headers are too.
struct HeaderNameLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
    });
  }
};

struct HttpResponse {
  int status = 0;              // 0 when no HTTP response was received (see `error`)
  std::string body{};          // decompressed if the server used gzip/deflate/br
  std::string content_type{};  // value of the Content-Type header, "" if absent
  std::string error{};         // transport error ("Connection", "Read", ...); "" on success
  std::multimap<std::string, std::string, HeaderNameLess> headers{};  // e.g. Content-Encoding
  bool ok() const { return error.empty() && status == 200; }
};

struct HttpGetOptions {
  // Applies separately to connect, read and write.
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
  std::vector<std::pair<std::string, std::string>> headers{};
  bool decompress = true;          // false: body is returned exactly as sent (e.g. gzip bytes)
  std::string ca_cert_path{};      // https only: trust this CA file
  bool verify_tls = true;          // https only
  std::string client_cert_path{};  // https only: present this certificate (with client_key_path)
  std::string client_key_path{};
  std::string basic_auth_user{};  // sent as Authorization: Basic when not empty
  std::string basic_auth_password{};
};

// url: "http://host:port/path?query" (or https://). Never throws; failures land in `error`.
HttpResponse HttpGet(const std::string& url, const HttpGetOptions& options);
HttpResponse HttpGet(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(5));
// Any of GET, POST (empty body), PUT, DELETE.
HttpResponse HttpRequest(const std::string& method, const std::string& url, const HttpGetOptions& options);

}  // namespace farrier::test
