#include "support/prometheus_server.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "support/http.h"
#include "support/wait.h"

namespace farrier::test {
namespace {

std::string Seconds(std::chrono::milliseconds d) {
  std::ostringstream out;
  out << d.count() << "ms";
  return out.str();
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

PrometheusServer::PrometheusServer(PrometheusOptions options)
    : options_(std::move(options)), dir_("farrier-prometheus") {
  std::ofstream config(dir_.path() / "prometheus.yml");
  config << "global:\n  scrape_interval: " << Seconds(options_.scrape_interval)
         << "\n  evaluation_interval: " << Seconds(options_.evaluation_interval) << "\n";
  if (!options_.rule_files.empty()) {
    config << "rule_files:\n";
    for (const auto& f : options_.rule_files) config << "  - " << f.string() << "\n";
  }
  config << "scrape_configs:\n  - job_name: farrier\n    static_configs:\n      - targets: [";
  for (size_t i = 0; i < options_.targets.size(); ++i) config << (i ? ", " : "") << "'" << options_.targets[i] << "'";
  config << "]\n";
  if (!options_.metric_relabel_configs.empty()) {
    config << "    metric_relabel_configs:\n";
    std::istringstream lines(options_.metric_relabel_configs);
    for (std::string line; std::getline(lines, line);) config << "      " << line << "\n";
  }
  config.close();
  const char* binary = std::getenv("FARRIER_PROMETHEUS");
  // Port 0: the kernel picks as Prometheus binds, and its info line `msg="Listening on"
  // ... address=127.0.0.1:<port>` (exporter-toolkit, 2.42 and 3.x) says which.
  ChildProcessOptions o;
  o.argv = {binary ? binary : "prometheus", "--config.file=" + (dir_.path() / "prometheus.yml").string(),
            "--storage.tsdb.path=" + (dir_.path() / "data").string(), "--web.listen-address=127.0.0.1:0",
            "--log.level=info"};
  o.log_dir = dir_.path();
  o.log_name = "prometheus";
  process_ = std::make_unique<ChildProcess>(o);
  auto listening_port = [&] {
    static const std::regex kListening(R"re("Listening on".*address=127\.0\.0\.1:([0-9]+))re");
    std::smatch m;
    const std::string log = process_->ReadStderr();
    return std::regex_search(log, m, kListening) ? std::stoi(m[1]) : 0;
  };
  bool ready = WaitUntil(
      [&] {
        if (!process_->Running()) return true;
        if (port_ == 0) port_ = listening_port();
        return port_ != 0 && HttpGet(url() + "/-/ready", std::chrono::seconds(1)).status == 200;
      },
      options_.start_timeout, std::chrono::milliseconds(50));
  if (!ready || !process_->Running()) throw std::runtime_error("prometheus did not start:\n" + process_->ReadStderr());
}

PrometheusServer::~PrometheusServer() {
  if (process_) process_->Stop(std::chrono::seconds(5), SIGTERM);
}

std::string PrometheusServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::optional<std::vector<QuerySample>> PrometheusServer::Query(const std::string& promql, std::string* error) const {
  HttpResponse r = HttpGet(url() + "/api/v1/query?query=" + UrlEncode(promql), std::chrono::seconds(10));
  auto fail = [&](const std::string& why) -> std::optional<std::vector<QuerySample>> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (r.status != 200) return fail("HTTP " + std::to_string(r.status) + " " + r.error + ": " + r.body);
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return fail("bad answer: " + r.body);
  const auto& data = j["data"];
  std::vector<QuerySample> out;
  if (data.value("resultType", "") == "scalar") {
    out.push_back({{}, std::stod(data["result"][1].get<std::string>())});
    return out;
  }
  if (data.value("resultType", "") != "vector") return fail("not a vector: " + r.body);
  for (const auto& s : data["result"]) {
    QuerySample sample;
    for (const auto& [k, v] : s["metric"].items()) sample.labels[k] = v.get<std::string>();
    sample.value = std::stod(s["value"][1].get<std::string>());
    out.push_back(std::move(sample));
  }
  return out;
}

std::map<std::string, std::string> PrometheusServer::Alerts() const {
  std::map<std::string, std::string> out;
  HttpResponse r = HttpGet(url() + "/api/v1/alerts", std::chrono::seconds(10));
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return out;
  for (const auto& a : j["data"]["alerts"]) {
    std::string name = a["labels"].value("alertname", "");
    std::string state = a.value("state", "");
    if (out[name] != "firing") out[name] = state;
  }
  return out;
}

std::string PrometheusServer::LogTail(size_t lines) const {
  std::string log = process_ ? process_->ReadStderr() : "";
  size_t pos = log.size();
  for (size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) pos = log.rfind('\n', pos - 1);
  return pos == std::string::npos ? log : log.substr(pos);
}

}  // namespace farrier::test
