#include "support/nats_server.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/http.h"
#include "support/wait.h"

namespace farrier::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

}  // namespace

std::string NatsServerBinary() {
  const char* env = std::getenv("FARRIER_NATS_SERVER");
  if (env == nullptr || *env == '\0') return "nats-server";
  if (::access(env, X_OK) != 0) {
    throw std::runtime_error(std::string("FARRIER_NATS_SERVER=") + env +
                             " is not an executable file: run scripts/nats-servers.sh, which provides the "
                             "nats-server of every version in tests/nats-versions.txt");
  }
  return env;
}

namespace {

// nats-server config strings use JSON-like quoting.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string LoopbackAddr(int port) { return "127.0.0.1:" + std::to_string(port); }

milliseconds Remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

nlohmann::json GetJson(const std::string& url) {
  HttpResponse r = HttpGet(url, std::chrono::seconds(2));
  if (!r.ok()) return nullptr;
  return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

// Process state letter from /proc/<pid>/stat ('T' = stopped), or 0 if unreadable.
char ProcState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = stat.rfind(')');  // comm may contain spaces; the state follows the last ')'
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

}  // namespace

NatsServer::NatsServer(NatsServerOptions options) : options_(std::move(options)), dir_("farrier-nats") {
  static std::atomic<int> seq{0};
  if (options_.name.empty()) options_.name = "nats-" + std::to_string(::getpid()) + "-" + std::to_string(++seq);
  // Ports left 0 are bound by the server on ports the kernel picks (-1 in its config) and its
  // log says which; the config is then rewritten with them, so Restart() reuses them. No port is
  // chosen here that another process could take first.
  if (options_.client_port == 0) options_.client_port = -1;
  if (options_.monitor_port == 0) options_.monitor_port = -1;
  if (options_.cluster_port == 0 && !options_.cluster_name.empty()) options_.cluster_port = -1;
  WriteConfig();
  Spawn();
  ReadBoundPorts(options_.start_timeout);
  WriteConfig();
  if (options_.wait_healthy) WaitHealthy(options_.start_timeout);
}

int LoggedPort(const std::string& log, std::string_view what) {
  const std::string needle = std::string(what) + " 127.0.0.1:";
  const std::size_t at = log.find(needle);
  if (at == std::string::npos) return 0;
  std::size_t end = at + needle.size();
  int port = 0;
  while (end < log.size() && log[end] >= '0' && log[end] <= '9' && port < 65536) port = port * 10 + (log[end++] - '0');
  return end < log.size() && port > 0 && port < 65536 ? port : 0;  // a whole number, not a line cut short
}

void NatsServer::ReadBoundPorts(milliseconds timeout) {
  struct Bound {
    int& port;
    const char* line;
  };
  const Bound bound[] = {{options_.client_port, "Listening for client connections on"},
                         {options_.monitor_port, "Starting http monitor on"},
                         {options_.cluster_port, "Listening for route connections on"}};
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::string log = Log();
    bool all = true;
    for (const Bound& b : bound) {
      if (b.port != -1) continue;
      if (int port = LoggedPort(log, b.line); port != 0) b.port = port;
      all = all && b.port != -1;
    }
    if (all) return;
    if (!Running() || Clock::now() >= deadline) {
      std::string why = Running() ? "did not say which ports it bound within " + std::to_string(timeout.count()) + "ms"
                                  : "exited with code " + std::to_string(process_->exit_code().value_or(-1));
      throw std::runtime_error("nats-server '" + options_.name + "' (" + process_->Describe() + "): " + why +
                               "\n--- config ---\n" + ReadFileOrEmpty(config_path()) + "--- log tail ---\n" +
                               LogTail());
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
}

NatsServer::~NatsServer() = default;  // ~ChildProcess SIGKILLs + reaps by PID, then dir_ goes

std::string NatsServer::client_url() const { return "nats://" + LoopbackAddr(options_.client_port); }
std::string NatsServer::monitor_url() const { return "http://" + LoopbackAddr(options_.monitor_port); }
std::string NatsServer::route_url() const {
  return options_.cluster_name.empty() ? "" : "nats-route://" + LoopbackAddr(options_.cluster_port);
}
std::filesystem::path NatsServer::config_path() const { return dir_.path() / "nats-server.conf"; }
std::filesystem::path NatsServer::store_dir() const {
  return options_.jetstream ? dir_.path() / "jetstream" : std::filesystem::path();
}
pid_t NatsServer::pid() const { return process_ ? process_->pid() : -1; }
bool NatsServer::Running() { return process_ && process_->Running(); }

void NatsServer::WriteConfig() const {
  std::ostringstream c;
  c << "# Generated by farrier test support (tests/support/nats_server.cc).\n"
    << "server_name: " << Quote(options_.name) << "\n"
    << "listen: " << Quote(LoopbackAddr(options_.client_port)) << "\n"
    << "http: " << Quote(LoopbackAddr(options_.monitor_port)) << "\n";
  if (options_.jetstream) {
    c << "jetstream {\n  store_dir: " << Quote(store_dir().string()) << "\n"
      << "  max_memory_store: " << options_.js_max_memory << "\n"
      << "  max_file_store: " << options_.js_max_file << "\n";
    if (!options_.js_domain.empty()) c << "  domain: " << Quote(options_.js_domain) << "\n";
    c << "}\n";
  }
  if (!options_.cluster_name.empty()) {
    c << "cluster {\n  name: " << Quote(options_.cluster_name) << "\n"
      << "  listen: " << Quote(LoopbackAddr(options_.cluster_port)) << "\n  routes: [\n";
    for (const auto& r : options_.routes) c << "    " << Quote(r) << "\n";
    c << "  ]\n}\n";
  }
  c << options_.extra_config << "\n";
  std::ofstream out(config_path(), std::ios::trunc);
  out << c.str();
  if (!out.flush()) throw std::runtime_error("cannot write " + config_path().string());
}

void NatsServer::SetRoutes(std::vector<std::string> routes) {
  options_.routes = std::move(routes);
  WriteConfig();
}

void NatsServer::Spawn() {
  process_.reset();
  ChildProcessOptions co;
  co.argv = {NatsServerBinary(), "-c", config_path().string()};
  co.log_dir = dir_.path();
  co.log_name = "nats-server." + std::to_string(++generation_);  // keep earlier generations' logs
  process_ = std::make_unique<ChildProcess>(std::move(co));
}

void NatsServer::WaitHealthy(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error("nats-server '" + options_.name + "' (" + (process_ ? process_->Describe() : "?") +
                             ", client " + std::to_string(options_.client_port) + ", monitor " +
                             std::to_string(options_.monitor_port) + "): " + why + "\n--- config ---\n" +
                             ReadFileOrEmpty(config_path()) + "--- log tail ---\n" + LogTail());
  };
  for (;;) {
    if (!Running()) fail("exited with code " + std::to_string(process_ ? process_->exit_code().value_or(-1) : -1));
    HttpResponse r = HttpGet(monitor_url() + "/healthz", std::chrono::seconds(1));
    if (r.status == 200) return;
    if (Clock::now() >= deadline) {
      fail("/healthz not 200 after " + std::to_string(timeout.count()) +
           "ms; last: " + (r.error.empty() ? std::to_string(r.status) + " " + r.body : r.error));
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

int NatsServer::Stop(milliseconds grace) { return process_ ? process_->Stop(grace, SIGINT) : -1; }
int NatsServer::Kill() { return process_ ? process_->Stop(std::chrono::seconds(5), SIGKILL) : -1; }

void NatsServer::Pause() {
  if (process_ && process_->Signal(SIGSTOP))
    WaitUntil([&] { return ProcState(pid()) == 'T'; }, milliseconds(2000), milliseconds(5));
}
void NatsServer::Resume() {
  if (process_ && process_->Signal(SIGCONT))
    WaitUntil([&] { return ProcState(pid()) != 'T'; }, milliseconds(2000), milliseconds(5));
}

void NatsServer::Restart(bool wait_healthy) {
  if (Running()) Stop();
  Spawn();
  if (wait_healthy) WaitHealthy(options_.start_timeout);
}

std::string NatsServer::Log() const { return process_ ? process_->ReadStdout() + process_->ReadStderr() : ""; }

std::string NatsServer::LogTail(std::size_t lines) const {
  const std::string log = Log();
  if (log.empty()) return log;
  std::size_t pos = log.size();
  for (std::size_t n = 0; pos > 0 && n <= lines; ++n) {
    pos = log.rfind('\n', pos - 1);
    if (pos == std::string::npos) return log;
  }
  return log.substr(pos + 1);
}

NatsVersion ServerVersion(const NatsServer& server) {
  nlohmann::json varz = GetJson(server.monitor_url() + "/varz");
  const std::string v = varz.is_object() ? varz.value("version", "") : "";
  NatsVersion out;
  if (std::sscanf(v.c_str(), "%d.%d.%d", &out.major, &out.minor, &out.patch) != 3) {
    throw std::runtime_error("nats-server '" + server.name() + "': no version in /varz (\"" + v + "\")");
  }
  return out;
}

int ExpectedRouteConnections(const NatsServer& node, int peers) {
  nlohmann::json varz = GetJson(node.monitor_url() + "/varz");
  if (!varz.is_object() || !varz.contains("cluster")) {
    throw std::runtime_error("nats-server '" + node.name() + "': no cluster block in /varz");
  }
  const nlohmann::json& cluster = varz["cluster"];
  if (!cluster.contains("pool_size")) return peers;  // 2.9: no route pooling
  return peers * (cluster["pool_size"].get<int>() + 1);
}

std::vector<std::unique_ptr<NatsServer>> StartCluster(int n, bool jetstream, NatsServerOptions base,
                                                      milliseconds timeout) {
  if (n < 1) throw std::invalid_argument("StartCluster: n must be >= 1");
  const auto deadline = Clock::now() + timeout;
  if (base.cluster_name.empty()) base.cluster_name = "farrier-test";
  const std::string prefix = base.name.empty() ? base.cluster_name : base.name;

  // Spawn everything first: JetStream nodes only turn healthy once a meta leader exists. Every
  // node binds kernel-picked ports and routes to the nodes started before it, so each pair is
  // routed once (from the later node) and the mesh is complete without waiting for gossip.
  std::vector<std::unique_ptr<NatsServer>> servers;
  for (int i = 0; i < n; ++i) {
    NatsServerOptions o = base;
    o.name = prefix + "-" + std::to_string(i + 1);
    o.jetstream = jetstream;
    o.client_port = o.monitor_port = o.cluster_port = 0;
    o.routes.clear();
    for (const auto& s : servers) o.routes.push_back(s->route_url());
    // A clustered JetStream server refuses to start without a route ("JetStream cluster requires
    // configured routes"); the first node gets one to port 0, which nothing can listen on, so it
    // is refused for as long as the node runs (retried each second, logged as an error at first).
    if (jetstream && o.routes.empty()) o.routes.push_back("nats-route://" + LoopbackAddr(0));
    o.wait_healthy = false;
    servers.push_back(std::make_unique<NatsServer>(std::move(o)));
  }
  // Each config file now routes to every other node (the running processes keep the routes they
  // started with), so a Restart()ed node rejoins all its peers on the same ports.
  for (auto& s : servers) {
    std::vector<std::string> routes;
    for (const auto& peer : servers) {
      if (peer != s) routes.push_back(peer->route_url());
    }
    s->SetRoutes(std::move(routes));
  }
  for (auto& s : servers) s->WaitHealthy(Remaining(deadline));

  for (auto& s : servers) {
    // Count distinct peers rather than num_routes: 2.10+ pools several routes per peer.
    auto peers = [&] {
      std::set<std::string> ids;
      nlohmann::json j = GetJson(s->monitor_url() + "/routez");
      if (j.is_object() && j.contains("routes") && j["routes"].is_array()) {
        for (const auto& r : j["routes"]) ids.insert(r.value("remote_id", ""));
      }
      return ids.size();
    };
    // And /varz remotes: from 2.10 a peer can show in /routez by its $SYS route before its pooled
    // routes count it as a remote.
    auto remotes = [&] {
      nlohmann::json j = GetJson(s->monitor_url() + "/varz");
      return j.is_object() ? j.value("remotes", 0) : 0;
    };
    if (!WaitUntil([&] { return peers() == static_cast<std::size_t>(n - 1) && remotes() == n - 1; },
                   Remaining(deadline))) {
      throw std::runtime_error("StartCluster: " + s->name() + " has " + std::to_string(peers()) + " route peers and " +
                               std::to_string(remotes()) + " remotes, want " + std::to_string(n - 1) +
                               "\n--- log tail ---\n" + s->LogTail());
    }
  }

  if (jetstream) {
    // A meta leader is not enough: until it counts every peer as current, an R3 stream can fail
    // with "no suitable peers for placement". Wait for the leader's own view of the others.
    std::string why = "no JetStream meta leader in /jsz";
    auto ready = [&]() -> bool {
      for (auto& s : servers) {
        nlohmann::json j = GetJson(s->monitor_url() + "/jsz");
        if (!j.is_object() || !j.contains("meta_cluster") || !j["meta_cluster"].is_object()) continue;
        const nlohmann::json& meta = j["meta_cluster"];
        if (meta.value("leader", "") != s->name()) continue;
        int current = 0;
        if (meta.contains("replicas") && meta["replicas"].is_array()) {
          for (const auto& r : meta["replicas"]) current += r.value("current", false) ? 1 : 0;
        }
        why = "meta leader " + s->name() + " counts " + std::to_string(current) + " of " + std::to_string(n - 1) +
              " peers as current";
        return current == n - 1;
      }
      return false;
    };
    if (!WaitUntil(ready, Remaining(deadline))) {
      throw std::runtime_error("StartCluster: " + why + "\n--- log tail (" + servers[0]->name() + ") ---\n" +
                               servers[0]->LogTail());
    }
  }

  return servers;
}

}  // namespace farrier::test
