// A real nats-server on loopback ephemeral ports, configured through a generated config file.
//
// Ownership: a NatsServer owns its temp dir (config, logs "nats-server.<generation>.stderr",
// JetStream store) and its process; the destructor SIGKILLs it by PID and deletes the dir
// (set FARRIER_KEEP_TEST_DIRS=1 to keep it). Non-copyable and non-movable: hold it by value
// in a test or via unique_ptr (StartCluster).
// Thread-safety: not thread-safe; drive one NatsServer from one thread. Accessors returning
// ports/URLs are immutable after construction and may be read from any thread.
//
// Binary: $FARRIER_NATS_SERVER if set (the constructor throws when that is not an executable
// file: scripts/nats-servers.sh provides the versions of tests/nats-versions.txt), else
// "nats-server" on $PATH (Debian 12: 2.9.10).
// Facts about nats-server 2.9.10 worth knowing in tests:
//  * SIGTERM exits with status 1, SIGINT with 0 (both are clean shutdowns); Stop() uses SIGINT.
//  * /healthz is 503 on a clustered JetStream node until it has contact with a meta leader,
//    so nodes of a JetStream cluster cannot become healthy one at a time (see StartCluster).
//  * While Pause()d the kernel still accepts TCP connections; HTTP requests just time out.
//  * Port 0 in a config means the *default* port (4222), not a random one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace farrier::test {

struct NatsServerOptions {
  std::string name{};      // server_name; empty: "nats-<pid>-<seq>"
  bool jetstream = false;  // store lives in the server's temp dir, survives Restart()
  std::string js_max_memory = "256MB";
  std::string js_max_file = "1GB";    // explicit so /jsz config values are deterministic
  std::string js_domain{};            // non-empty: the JetStream domain (leaf node set-ups)
  std::string cluster_name{};         // non-empty: emit a cluster {} block
  std::vector<std::string> routes{};  // e.g. other.route_url(); only with cluster_name
  // 0: the server binds a port the kernel picks (-1 in its config) and the constructor reads
  // it from the server's log; port() accessors and the config file then hold the bound port.
  int client_port = 0;
  int monitor_port = 0;
  int cluster_port = 0;        // only with cluster_name
  std::string extra_config{};  // appended verbatim, e.g. "debug: true\nmax_payload: 4096"
  bool wait_healthy = true;    // false: the constructor returns right after spawning
  std::chrono::milliseconds start_timeout = std::chrono::seconds(15);
};

class NatsServer {
 public:
  // Spawns the server and (by default) waits for GET /healthz == 200. Throws
  // std::runtime_error with the server's log tail if it exits or times out.
  explicit NatsServer(NatsServerOptions options = {});
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  const std::string& name() const { return options_.name; }
  std::string client_url() const;   // nats://127.0.0.1:<client_port>
  std::string monitor_url() const;  // http://127.0.0.1:<monitor_port> (no trailing slash)
  std::string route_url() const;    // nats-route://127.0.0.1:<cluster_port>; "" if unclustered
  int client_port() const { return options_.client_port; }
  int monitor_port() const { return options_.monitor_port; }
  int cluster_port() const { return options_.cluster_port; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path config_path() const;
  std::filesystem::path store_dir() const;  // JetStream store_dir; "" without JetStream
  const NatsServerOptions& options() const { return options_; }

  pid_t pid() const;  // -1 before the first spawn
  bool Running();
  // Polls /healthz until 200. Throws (with log tail) on timeout or if the process exits.
  void WaitHealthy(std::chrono::milliseconds timeout);
  // Clean shutdown by PID (SIGINT, then SIGKILL after `grace`). Returns the exit code.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  int Kill();     // SIGKILL by PID; returns 137
  void Pause();   // SIGSTOP; returns once /proc shows the process stopped
  void Resume();  // SIGCONT; returns once /proc shows it running again
  // Replaces the cluster routes and rewrites the config file; the running process keeps the
  // routes it started with, the next Restart() uses these.
  void SetRoutes(std::vector<std::string> routes);
  // Stops if running, then starts again with the same config, ports and JetStream store.
  // Throws like the constructor (e.g. if another process took one of the ports meanwhile).
  void Restart(bool wait_healthy = true);

  std::string Log() const;  // stdout + stderr of the current process generation
  std::string LogTail(std::size_t lines = 40) const;
  ChildProcess* process() { return process_.get(); }

 private:
  void WriteConfig() const;
  void Spawn();
  // Reads the ports the server bound where its config says -1 (client, monitor, cluster) from
  // its log. Throws (with log tail) if it exits or says nothing within `timeout`.
  void ReadBoundPorts(std::chrono::milliseconds timeout);

  NatsServerOptions options_;
  TempDir dir_;  // declared before process_: the process dies before its files are removed
  std::unique_ptr<ChildProcess> process_;
  int generation_ = 0;
};

// The port of the first "<what> 127.0.0.1:<port>" in a nats-server log, e.g. what = "Listening
// for route connections on" or "Starting https monitor on" (the same words from 2.9 to 2.15);
// 0 when there is no such line (yet). For servers started with port -1.
int LoggedPort(const std::string& log, std::string_view what);

// The nats-server to run: $FARRIER_NATS_SERVER, which must then name an executable file (the
// version matrix of tests/integration/CMakeLists.txt sets it to binaries that
// scripts/nats-servers.sh provides), else nats-server on PATH. Throws when the variable names
// no executable.
std::string NatsServerBinary();

// A nats-server release number, e.g. {2, 10, 29}; compares like the releases do.
struct NatsVersion {
  int major = 0, minor = 0, patch = 0;
  auto operator<=>(const NatsVersion&) const = default;
};
// The running server's version as its /varz says ("2.10.29"). Throws std::runtime_error when
// /varz does not answer or has no version. For expectations that differ between releases.
NatsVersion ServerVersion(const NatsServer& server);
// The route connections a cluster node holds once connected to `peers` other servers: one per
// peer on 2.9; from 2.10 on, per peer, a pool (/varz cluster.pool_size, 3 by default) plus one
// route pinned to the system account ($SYS). Reads the node's /varz; throws like ServerVersion.
int ExpectedRouteConnections(const NatsServer& node, int peers);

// Starts n servers routed together on kernel-picked loopback ports (node i routes to nodes
// 1..i-1; afterwards every config file lists all peers, for Restart()) and waits until every
// node is healthy, its /routez lists n-1 distinct peers and its /varz counts n-1 remotes, and,
// with JetStream, until the meta leader's /jsz counts the n-1 others as current. `base` supplies shared
// options (extra_config, JetStream limits...); names default to "<cluster>-1".."<cluster>-n"
// (base.name, if set, is used as the prefix) and cluster_name defaults to "farrier-test".
// Throws std::runtime_error describing the unmet condition, with log tails.
std::vector<std::unique_ptr<NatsServer>> StartCluster(int n, bool jetstream, NatsServerOptions base = {},
                                                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace farrier::test
