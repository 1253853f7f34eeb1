// Shared helpers for the integration tests: the real farrier binary as a child process, a
// misbehaving upstream HTTP server for fault injection, natskit helpers and readers for the
// nats-server's own monitoring endpoints.
//
// Everything here drives real processes (farrier, nats-server, natskit, promtool); the only
// in-process server is FaultUpstream, which plays a broken monitoring port on purpose.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/http.h"
#include "support/nats_server.h"
#include "support/process.h"
#include "support/prom_text.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace farrier::itest {

using namespace std::chrono_literals;
using farrier::test::ChildProcess;
using farrier::test::HttpResponse;
using farrier::test::NatsServer;
using farrier::test::PromExposition;
using farrier::test::PromLabels;
using Json = nlohmann::json;
using Env = std::vector<std::pair<std::string, std::string>>;

std::filesystem::path SourceDir();
std::filesystem::path FixtureDir();  // tests/fixtures/nats-2.9.10
std::string ReadFile(const std::filesystem::path& path);

// ---------------------------------------------------------------- farrier

// One /metrics scrape: the raw answer and, when it parsed (strictly), the exposition.
struct Scrape {
  HttpResponse response;
  std::optional<PromExposition> metrics;
  std::string parse_error;

  bool ok() const { return response.status == 200 && metrics.has_value(); }
  // Value of the single matching sample; nullopt when absent (or not parsed).
  std::optional<double> Value(std::string_view name, const PromLabels& labels = {}) const;
  // Like Value but 0 when absent: for counters that are pre-created at 0.
  double Number(std::string_view name, const PromLabels& labels = {}) const;
  bool Has(std::string_view family) const { return metrics && metrics->HasFamily(family); }
  std::set<std::string> Families() const;
  double Polls() const { return Number("nats_exporter_polls_total"); }
  // Sum of nats_exporter_poll_errors_total for `source` (all reasons, or just `reason`).
  double Errors(std::string_view source, std::string_view reason = {}) const;
  bool SourceUp(std::string_view source) const {
    return Value("nats_exporter_source_up", {{"source", std::string(source)}}) == 1.0;
  }
  bool NatsUp() const { return Value("nats_up") == 1.0; }
  // For failure messages: the body, cut to `max` bytes.
  std::string Describe(size_t max = 4000) const;
};

// The real farrier binary (the build's, or the one the environment variable FARRIER_BINARY
// names) on a free loopback port. The constructor waits until /healthz answers and throws (with
// farrier's stderr) if it exits or never listens. The destructor stops it and fails the test if
// its stderr holds a sanitizer report.
//
// Farrier rejects unknown FARRIER_* environment variables, and the test support reads some of
// its own (FARRIER_BINARY, FARRIER_KEEP_TEST_DIRS, FARRIER_NATS_SERVER, FARRIER_NATS_VERSION,
// FARRIER_PROMTOOL), so every FARRIER_* variable of the test process is removed from farrier's
// environment; `env` is added on top.
class Farrier {
 public:
  explicit Farrier(std::vector<std::string> args, Env env = {});
  ~Farrier();
  Farrier(const Farrier&) = delete;
  Farrier& operator=(const Farrier&) = delete;

  int port() const { return port_; }
  std::string Url(std::string_view path) const;
  HttpResponse Get(std::string_view path, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  Scrape Metrics() const;
  // Scrapes every `step` until pred(scrape) holds; returns that scrape, or nullopt on timeout
  // (the last scrape is then in *last, if given).
  std::optional<Scrape> WaitFor(const std::function<bool(const Scrape&)>& pred, std::chrono::milliseconds timeout,
                                Scrape* last = nullptr, std::chrono::milliseconds step = 20ms) const;
  // Waits until nats_exporter_polls_total >= n.
  std::optional<Scrape> WaitForPolls(double n, std::chrono::milliseconds timeout,
                                     std::chrono::milliseconds step = 20ms) const;

  std::string Stderr() const { return process_->ReadStderr(); }
  ChildProcess& process() { return *process_; }

  // Sends SIGTERM and waits (at most 10 s) for the exit: how long it took, and the exit code
  // (nullopt if it did not exit).
  struct Stopped {
    std::chrono::duration<double> took{};
    std::optional<int> code;
  };
  Stopped Terminate();

 private:
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// The port a farrier started with --web.listen-address 127.0.0.1:0 listens on, from its start-up
// log line; 0 until it has logged it.
int ListeningPort(ChildProcess& farrier);

// argv for running the farrier binary with a cleaned environment (see Farrier), for tests
// that expect it to exit.
farrier::test::ChildProcessOptions FarrierCommand(std::vector<std::string> args, Env env = {});

// Runs farrier to completion (for configuration errors, --help, --version).
struct Exited {
  std::optional<int> code;  // nullopt: still running after the timeout (then killed)
  std::string out, err;
};
Exited RunFarrier(std::vector<std::string> args, Env env = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The first sanitizer report (ASan, LSan, UBSan, TSan) in a child's stderr, from its headline
// on; "" when there is none. Farrier's destructor and RunFarrier fail the test on one.
std::string SanitizerReport(const std::string& err);

// ---------------------------------------------------------------- fault injection

// "http://127.0.0.1:<port>" where connections are refused: a RefusedLoopbackPort (see
// support/ports.h) held for the whole test run, so no other process can listen there.
const std::string& NobodyListens();

// An HTTP server on a free loopback port that plays a monitoring endpoint. Each path answers
// with whatever handler is currently set for it (404 otherwise); handlers can be swapped at any
// time from the test thread. Handlers that block (Hang) return once Release() is called or the
// server is destroyed.
class FaultUpstream {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  FaultUpstream();
  ~FaultUpstream();
  FaultUpstream(const FaultUpstream&) = delete;
  FaultUpstream& operator=(const FaultUpstream&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  void Set(const std::string& path, Handler handler);
  // Convenience handlers.
  void Serve(const std::string& path, int status, std::string body, std::string content_type = "application/json");
  void ServeChunked(const std::string& path, std::string body);  // no Content-Length
  void Hang(const std::string& path);                            // never answers (until Release or destruction)
  void Release() { generation_++; }
  int Requests(const std::string& path) const;

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, Handler> handlers_;
  std::map<std::string, int> requests_;
  std::atomic<int> generation_{0};
  std::atomic<bool> stopping_{false};
};

// ---------------------------------------------------------------- natskit / nats-server

// Starts natskit with `args` and waits for `ready` on its stdout. Throws with its stderr.
std::unique_ptr<ChildProcess> StartNatskit(std::vector<std::string> args, std::string_view ready,
                                           std::chrono::milliseconds timeout = 30s);
// Runs natskit to completion and returns its stdout; throws unless it exits 0.
std::string RunNatskit(std::vector<std::string> args, std::chrono::milliseconds timeout = 30s);

// Waits until farrier (run with --jetstream.advisories) is subscribed to the advisories of
// `account`: requests info of a stream that does not exist over `url` (a user of that account)
// until farrier counts the API error it causes. Returns the errors with that code counted so
// far; a test failure if farrier never counts one.
double WaitUntilAdvisoriesSubscribed(Farrier& farrier, const std::string& url, const std::string& account = "$G");

// For the families of an option the rich run of exposition_test.cc leaves off: every family
// served in `s` whose name contains `part` has its row in docs/metrics.md with its type (a test
// failure names it). Returns how many such families `s` has.
int ExpectFamiliesDocumented(const Scrape& s, std::string_view part);

// RFC 3339 as the server prints it ("2026-11-23T05:30:36.911404549Z") to Unix seconds; -1 when
// unparseable.
double Rfc3339(const std::string& t);

// GET monitor_url + path and parse it as JSON; throws on failure.
Json MonitorJson(const NatsServer& server, const std::string& path);

// /jsz?accounts=true&streams=true&consumers=true&config=true, the request farrier makes.
inline constexpr const char* kJszFull = "/jsz?accounts=true&streams=true&consumers=true&config=true";

// The stream `name` of any account in a /jsz body (kJszFull), by reference into `jsz`; null if
// absent.
const Json* FindJszStream(const Json& jsz, const std::string& name);

// The Unix time a mirror or source (`origin`: stream_detail[].mirror or .sources[i] of `jsz`)
// last heard from its origin, as the server saw it when answering: /jsz `now` minus `active`.
double OriginLastHeard(const Json& jsz, const Json& origin);

// The last non-empty line of `text` parsed as JSON (null if it is not JSON): the summary line
// of farrier-loadgen and farrier-sample-worker.
Json LastJsonLine(const std::string& text);

// Families that farrier exports when every source is down: only its own bookkeeping.
const std::set<std::string>& ExporterOnlyFamilies();

}  // namespace farrier::itest
