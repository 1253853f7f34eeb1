#include "harness.h"

#include <csignal>

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/ports.h"
#include "support/wait.h"

extern char** environ;

namespace farrier::itest {

using farrier::test::ChildProcessOptions;
using farrier::test::HttpGet;
using farrier::test::WaitUntil;

std::filesystem::path SourceDir() { return FARRIER_SOURCE_DIR; }
std::filesystem::path FixtureDir() { return SourceDir() / "tests" / "fixtures" / "nats-2.9.10"; }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------- Scrape

std::optional<double> Scrape::Value(std::string_view name, const PromLabels& labels) const {
  if (!metrics) return std::nullopt;
  return metrics->Value(name, labels);
}

double Scrape::Number(std::string_view name, const PromLabels& labels) const { return Value(name, labels).value_or(0); }

std::set<std::string> Scrape::Families() const {
  std::set<std::string> out;
  if (!metrics) return out;
  for (const auto& s : metrics->samples()) out.insert(s.family);
  return out;
}

double Scrape::Errors(std::string_view source, std::string_view reason) const {
  if (!metrics) return 0;
  PromLabels labels{{"source", std::string(source)}};
  if (!reason.empty()) labels["reason"] = std::string(reason);
  double sum = 0;
  for (const auto& s : metrics->SamplesOf("nats_exporter_poll_errors_total", labels)) sum += s.value;
  return sum;
}

std::string Scrape::Describe(size_t max) const {
  std::string out = "HTTP " + std::to_string(response.status) +
                    (response.error.empty() ? "" : " (" + response.error + ")");
  if (!parse_error.empty()) out += ", parse error: " + parse_error;
  out += "\n" + response.body.substr(0, max);
  if (response.body.size() > max) out += "...";
  return out;
}

// ---------------------------------------------------------------- Farrier

std::string SanitizerReport(const std::string& err) {
  // ASan, LSan and TSan headlines, and UBSan's "<file>:<line>:<col>: runtime error: <what>".
  for (std::string_view marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
                                  "ERROR: ThreadSanitizer", ": runtime error: "}) {
    auto at = err.find(marker);
    if (at == std::string::npos) continue;
    auto line = err.rfind('\n', at);
    return err.substr(line == std::string::npos ? 0 : line + 1, 8000);
  }
  return {};
}

namespace {

// Farrier built with FARRIER_SANITIZE reports to its stderr and exits with a code the test may
// never look at (most tests only stop it; config tests expect exit code 2 anyway), so a report
// fails the test here, whatever the test itself checked.
void ExpectNoSanitizerReport(const ChildProcess& p, const std::string& err) {
  std::string report = SanitizerReport(err);
  if (!report.empty()) ADD_FAILURE() << "sanitizer report from " << p.Describe() << ":\n" << report;
}

// The binary under test: the build's own farrier, unless FARRIER_BINARY names another one
// (scripts/test.sh runs the thread-heavy tests against a ThreadSanitizer build of farrier alone,
// without building the whole suite a third time).
std::string FarrierBinary() {
  const char* env = std::getenv("FARRIER_BINARY");
  return env != nullptr && *env != '\0' ? env : FARRIER_BINARY;
}

}  // namespace

ChildProcessOptions FarrierCommand(std::vector<std::string> args, Env env) {
  ChildProcessOptions o;
  o.argv = {"/usr/bin/env"};
  // Strip the test process's own FARRIER_* variables (see harness.h) unless the test sets them.
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("FARRIER_", 0) != 0) continue;
    std::string name(kv.substr(0, kv.find('=')));
    bool explicit_var = false;
    for (const auto& [k, v] : env) explicit_var = explicit_var || k == name;
    if (!explicit_var) {
      o.argv.push_back("-u");
      o.argv.push_back(name);
    }
  }
  o.argv.push_back(FarrierBinary());
  for (auto& a : args) o.argv.push_back(std::move(a));
  o.env = std::move(env);
  o.log_name = "farrier";
  return o;
}

Exited RunFarrier(std::vector<std::string> args, Env env, std::chrono::milliseconds timeout) {
  ChildProcess p(FarrierCommand(std::move(args), std::move(env)));
  Exited out;
  out.code = p.WaitExit(timeout);
  if (!out.code) p.Stop(std::chrono::milliseconds(500), SIGKILL);
  out.out = p.ReadStdout();
  out.err = p.ReadStderr();
  ExpectNoSanitizerReport(p, out.err);
  return out;
}

Farrier::Stopped Farrier::Terminate() {
  const auto start = std::chrono::steady_clock::now();
  Stopped stopped;
  if (process_->Signal(SIGTERM)) stopped.code = process_->WaitExit(10s);
  stopped.took = std::chrono::steady_clock::now() - start;
  return stopped;
}

int ListeningPort(ChildProcess& farrier) {
  static const std::regex kListening(R"(listening on 127\.0\.0\.1:([0-9]+))");
  std::smatch m;
  std::string err = farrier.ReadStderr();
  return std::regex_search(err, m, kListening) ? std::stoi(m[1]) : 0;
}

Farrier::Farrier(std::vector<std::string> args, Env env) {
  // Port 0: the kernel picks a free port as farrier binds it, and farrier's start-up line says
  // which. No port is chosen here that another process could take first.
  args.push_back("--web.listen-address");
  args.push_back("127.0.0.1:0");
  process_ = std::make_unique<ChildProcess>(FarrierCommand(std::move(args), std::move(env)));
  bool up = WaitUntil(
      [&] {
        if (!process_->Running()) return true;
        if (port_ == 0) port_ = ListeningPort(*process_);
        return port_ != 0 && HttpGet(Url("/healthz"), 1s).status == 200;
      },
      10s, 10ms);
  if (up && process_->Running()) return;
  throw std::runtime_error("farrier did not start (" + process_->Describe() + ", " +
                           (process_->Running() ? "running" : "exited") + "):\n" + process_->ReadStderr());
}

Farrier::~Farrier() {
  if (!process_) return;
  process_->Stop(std::chrono::seconds(5), SIGTERM);
  ExpectNoSanitizerReport(*process_, process_->ReadStderr());
}

std::string Farrier::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

HttpResponse Farrier::Get(std::string_view path, std::chrono::milliseconds timeout) const {
  return HttpGet(Url(path), timeout);
}

Scrape Farrier::Metrics() const {
  Scrape s;
  s.response = Get("/metrics");
  if (s.response.status == 200) {
    s.metrics = PromExposition::Parse(s.response.body, &s.parse_error);
  }
  return s;
}

std::optional<Scrape> Farrier::WaitFor(const std::function<bool(const Scrape&)>& pred,
                                       std::chrono::milliseconds timeout, Scrape* last,
                                       std::chrono::milliseconds step) const {
  std::optional<Scrape> found;
  Scrape latest;
  WaitUntil(
      [&] {
        latest = Metrics();
        if (latest.ok() && pred(latest)) found = latest;
        return found.has_value();
      },
      timeout, step);
  if (last) *last = latest;
  return found;
}

std::optional<Scrape> Farrier::WaitForPolls(double n, std::chrono::milliseconds timeout,
                                            std::chrono::milliseconds step) const {
  return WaitFor([n](const Scrape& s) { return s.Polls() >= n; }, timeout, nullptr, step);
}

// ---------------------------------------------------------------- FaultUpstream

const std::string& NobodyListens() {
  static const farrier::test::RefusedLoopbackPort port;
  static const std::string url = port.url();
  return url;
}

FaultUpstream::FaultUpstream() : server_(std::make_unique<httplib::Server>()) {
  server_->Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    Handler h;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_[req.path];
      auto it = handlers_.find(req.path);
      if (it != handlers_.end()) h = it->second;
    }
    if (h) {
      h(req, res);
    } else {
      res.status = 404;
      res.set_content("404 page not found\n", "text/plain");
    }
  });
  server_->new_task_queue = [] { return new httplib::ThreadPool(8); };
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("FaultUpstream: cannot bind 127.0.0.1:0");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(1ms);
}

FaultUpstream::~FaultUpstream() {
  stopping_ = true;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void FaultUpstream::Set(const std::string& path, Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handlers_[path] = std::move(handler);
}

void FaultUpstream::Serve(const std::string& path, int status, std::string body, std::string content_type) {
  Set(path, [status, body = std::move(body), content_type](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    res.set_content(body, content_type);
  });
}

void FaultUpstream::ServeChunked(const std::string& path, std::string body) {
  auto shared = std::make_shared<std::string>(std::move(body));
  Set(path, [shared](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_chunked_content_provider("application/json", [shared](size_t offset, httplib::DataSink& sink) {
      if (offset >= shared->size()) {
        sink.done();
        return true;
      }
      size_t n = std::min<size_t>(16 * 1024, shared->size() - offset);
      return sink.write(shared->data() + offset, n);
    });
  });
}

void FaultUpstream::Hang(const std::string& path) {
  int generation = generation_;
  Set(path, [this, generation](const httplib::Request&, httplib::Response& res) {
    // Holds the request open without a byte of answer, like a SIGSTOPped server would.
    auto give_up = std::chrono::steady_clock::now() + 20s;
    while (generation_ == generation && !stopping_ && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(5ms);
    }
    res.status = 503;
    res.set_content("released", "text/plain");
  });
}

int FaultUpstream::Requests(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find(path);
  return it == requests_.end() ? 0 : it->second;
}

// ---------------------------------------------------------------- natskit

std::unique_ptr<ChildProcess> StartNatskit(std::vector<std::string> args, std::string_view ready,
                                           std::chrono::milliseconds timeout) {
  ChildProcessOptions o;
  o.argv = {NATSKIT_BINARY};
  for (auto& a : args) o.argv.push_back(std::move(a));
  o.log_name = "natskit-" + o.argv[1];
  auto p = std::make_unique<ChildProcess>(std::move(o));
  if (!p->WaitForOutput(ready, timeout)) {
    throw std::runtime_error("natskit did not print \"" + std::string(ready) + "\" (" + p->Describe() + "):\n" +
                             p->ReadStdout() + p->ReadStderr());
  }
  return p;
}

std::string RunNatskit(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  ChildProcessOptions o;
  o.argv = {NATSKIT_BINARY};
  for (auto& a : args) o.argv.push_back(std::move(a));
  o.log_name = "natskit-" + o.argv[1];
  ChildProcess p(std::move(o));
  auto code = p.WaitExit(timeout);
  if (code != 0) {
    throw std::runtime_error("natskit " + p.Describe() + " exited " +
                             (code ? std::to_string(*code) : std::string("(timeout)")) + ":\n" + p.ReadStdout() +
                             p.ReadStderr());
  }
  return p.ReadStdout();
}

double WaitUntilAdvisoriesSubscribed(Farrier& farrier, const std::string& url, const std::string& account) {
  const PromLabels error{{"account", account}, {"code", "10059"}};  // stream not found
  for (int i = 0; i < 100; ++i) {
    RunNatskit({"request", "--url", url, "--subject", "$JS.API.STREAM.INFO.FARRIER_WARMUP", "--data", ""});
    auto s = farrier.WaitFor(
        [&](const Scrape& s) { return s.Number("nats_jetstream_advisory_api_errors_total", error) > 0; }, 200ms);
    if (s) return s->Number("nats_jetstream_advisory_api_errors_total", error);
  }
  ADD_FAILURE() << "farrier never counted an API error\n" << farrier.Metrics().Describe() << farrier.Stderr();
  return 0;
}

int ExpectFamiliesDocumented(const Scrape& s, std::string_view part) {
  const std::string doc = ReadFile(SourceDir() / "docs" / "metrics.md");
  int families = 0;
  if (!s.metrics) return 0;
  for (const auto& [name, family] : s.metrics->families()) {
    if (name.find(part) == std::string::npos) continue;
    ++families;
    EXPECT_NE(doc.find("| `" + name + "` | " + family.type + " |"), std::string::npos) << name << " " << family.type;
  }
  return families;
}

const Json* FindJszStream(const Json& jsz, const std::string& name) {
  auto details = jsz.find("account_details");
  if (details == jsz.end() || !details->is_array()) return nullptr;
  for (const auto& acc : *details) {
    auto streams = acc.find("stream_detail");
    if (streams == acc.end() || !streams->is_array()) continue;
    for (const auto& s : *streams) {
      if (s.value("name", "") == name) return &s;
    }
  }
  return nullptr;
}

double OriginLastHeard(const Json& jsz, const Json& origin) {
  return Rfc3339(jsz.at("now").get<std::string>()) - origin.at("active").get<double>() / 1e9;
}

double Rfc3339(const std::string& t) {
  std::tm tm{};
  if (!strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  double frac = 0;
  if (auto dot = t.find('.'); dot != std::string::npos) frac = std::stod("0" + t.substr(dot, t.find('Z') - dot));
  return static_cast<double>(timegm(&tm)) + frac;
}

Json MonitorJson(const NatsServer& server, const std::string& path) {
  HttpResponse r = HttpGet(server.monitor_url() + path, 5s);
  if (r.status != 200) {
    throw std::runtime_error("GET " + server.monitor_url() + path + ": " + std::to_string(r.status) + " " + r.error);
  }
  Json j = Json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("GET " + path + ": not JSON: " + r.body);
  return j;
}

const std::set<std::string>& ExporterOnlyFamilies() {
  static const std::set<std::string> families = {
      "nats_up",
      "nats_exporter_build_info",
      "nats_exporter_source_up",
      "nats_exporter_poll_duration_seconds",
      "nats_exporter_poll_errors_total",
      "nats_exporter_polls_total",
      "nats_exporter_snapshot_age_seconds",
      "nats_exporter_config_last_reload_successful",
      "nats_exporter_config_last_reload_success_timestamp_seconds",
  };
  return families;
}

Json LastJsonLine(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return Json::parse(last, nullptr, /*allow_exceptions=*/false);
}

}  // namespace farrier::itest
