#include "support/http.h"

#include <httplib.h>

namespace farrier::test {

HttpResponse HttpGet(const std::string& url, std::chrono::milliseconds timeout) {
  HttpGetOptions options;
  options.timeout = timeout;
  return HttpGet(url, options);
}

HttpResponse HttpGet(const std::string& url, const HttpGetOptions& options) { return HttpRequest("GET", url, options); }

HttpResponse HttpRequest(const std::string& method, const std::string& url, const HttpGetOptions& options) {
  HttpResponse out;
  // Split "scheme://host:port" from "/path?query": httplib::Client takes them separately.
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    out.error = "bad url (no scheme): " + url;
    return out;
  }
  const auto path_start = url.find('/', scheme_end + 3);
  const std::string origin = url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);

  try {
    httplib::Client client = options.client_cert_path.empty()
                                 ? httplib::Client(origin)
                                 : httplib::Client(origin, options.client_cert_path, options.client_key_path);
    if (!client.is_valid()) {
      out.error = "invalid client for " + origin;
      return out;
    }
    client.set_connection_timeout(options.timeout);
    client.set_read_timeout(options.timeout);
    client.set_write_timeout(options.timeout);
    client.set_decompress(options.decompress);
    if (!options.ca_cert_path.empty()) client.set_ca_cert_path(options.ca_cert_path);
    client.enable_server_certificate_verification(options.verify_tls);

    if (!options.basic_auth_user.empty()) client.set_basic_auth(options.basic_auth_user, options.basic_auth_password);

    httplib::Headers headers(options.headers.begin(), options.headers.end());
    httplib::Result res = method == "POST"     ? client.Post(path, headers, "", "text/plain")
                          : method == "PUT"    ? client.Put(path, headers, "", "text/plain")
                          : method == "DELETE" ? client.Delete(path, headers)
                                               : client.Get(path, headers);
    if (!res) {
      out.error = httplib::to_string(res.error());
      return out;
    }
    out.status = res->status;
    out.body = res->body;
    out.content_type = res->get_header_value("Content-Type");
    out.headers.insert(res->headers.begin(), res->headers.end());
  } catch (const std::exception& e) {  // e.g. malformed origin; keep the never-throws promise
    out.error = e.what();
  }
  return out;
}

}  // namespace farrier::test
