// natskit: a small test/bench helper that drives a real nats-server.
// Shared declarations for the subcommand implementations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace natskit {

// Raised for bad command lines; main() prints it together with a hint to use --help.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Raised for runtime failures (server unreachable, JetStream errors...); main() prints it and
// exits 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Minimal "--key value" / "--key=value" parser. Every option takes a value except the ones
// listed as flags; unknown options are rejected so typos do not silently fall back to defaults.
class Args {
 public:
  Args(std::string command, const std::vector<std::string>& argv, std::vector<std::string> options,
       std::vector<std::string> flags = {});

  bool help() const { return help_; }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  bool flag(const std::string& key) const { return has(key); }
  std::string str(const std::string& key, std::optional<std::string> def = std::nullopt) const;
  long long num(const std::string& key, std::optional<long long> def = std::nullopt, long long min = 0,
                long long max = INT64_MAX) const;

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  bool help_ = false;
};

// Parsed nats://host:port (also accepts host:port and a bare host, default port 4222).
struct HostPort {
  std::string host;
  std::string port;
};
HostPort parse_nats_url(const std::string& url);

int cmd_idle_conns(const Args& args);
int cmd_js_setup(const Args& args);
int cmd_pub(const Args& args);
int cmd_qsub(const Args& args);
int cmd_sub(const Args& args);
int cmd_request(const Args& args);
int cmd_gather(const Args& args);
int cmd_free_port(const Args& args);
int cmd_js_reply(const Args& args);
int cmd_relay(const Args& args);
int cmd_js_snapshot(const Args& args);
int cmd_js_restore(const Args& args);

// Blocks SIGINT/SIGTERM in the calling thread (and every thread created afterwards, which is
// how cnats' internal threads inherit the mask), so they can be consumed with sigwait/signalfd.
void block_termination_signals();
// True when SIGINT/SIGTERM is pending (only meaningful after block_termination_signals()).
bool termination_pending();
// Waits for SIGINT/SIGTERM; returns the signal number.
int wait_for_termination();

}  // namespace natskit
