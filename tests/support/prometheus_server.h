// A real Prometheus (Debian's `prometheus`, 2.42) on a kernel-picked loopback port with a temp TSDB, for
// end-to-end tests of scraping, recording rules and alerts.
//
// Ownership: owns its temp dir (config, rules copies, TSDB, logs) and its process; the
// destructor kills it by PID. Thread-safety: Query() may be called from any thread; the rest
// from one thread. Binary: $FARRIER_PROMETHEUS if set, else "prometheus" on $PATH.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace farrier::test {

struct PrometheusOptions {
  std::vector<std::string> targets;  // host:port of the farriers to scrape
  std::chrono::milliseconds scrape_interval{1000};
  std::chrono::milliseconds evaluation_interval{1000};
  std::vector<std::filesystem::path> rule_files;  // loaded as given
  // YAML list items (each starting "- ") for the job's metric_relabel_configs; empty: none.
  std::string metric_relabel_configs{};
  std::chrono::milliseconds start_timeout{30000};
};

// One sample of an instant vector: its labels and value.
struct QuerySample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

class PrometheusServer {
 public:
  // Starts and waits until /-/ready answers 200; throws with the log tail otherwise.
  explicit PrometheusServer(PrometheusOptions options);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  std::string url() const;  // http://127.0.0.1:<port>
  // GET /api/v1/query?query=...; nullopt (and *error) when the query failed or the result is
  // not a vector. An empty vector is a valid answer.
  std::optional<std::vector<QuerySample>> Query(const std::string& promql, std::string* error = nullptr) const;
  // The `alerts` of GET /api/v1/alerts: name -> state ("pending" or "firing"), one entry per
  // alert name (the most advanced state wins).
  std::map<std::string, std::string> Alerts() const;
  std::string LogTail(size_t lines = 40) const;

 private:
  PrometheusOptions options_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace farrier::test
