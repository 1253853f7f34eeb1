// natskit: test/bench helper that drives a real nats-server (see usage() below).
#include "natskit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace natskit {
namespace {

constexpr const char* kUsage = R"(natskit - test/bench helper for a real nats-server

usage: natskit <command> [options]      (natskit <command> --help for details)

commands:
  idle-conns  --url U --count N [--subs K] [--name-prefix P] [--subject-prefix S]
              [--batch B] [--timeout SEC]
      Opens N idle client connections over raw TCP (one thread, epoll), each sending CONNECT,
      K SUBs (<subject-prefix>.<i>.<k>) and a PING, and waits for every PONG. Prints
      "ready N" on stdout, then keeps them open (answering server PINGs) until SIGTERM/SIGINT.
  js-setup    --url U --stream S --subjects 'a.>,b.*' [--storage memory|file] [--replicas R]
              [--publish M] [--publish-subject SUBJ] [--consumer C] [--fetch F] [--ack A]
              [--ack-wait SEC] [--ephemeral E]
      Creates (or reuses) a JetStream stream, publishes M messages, creates durable pull
      consumer C, fetches F messages and acks the first A of them (the rest stay ack-pending).
      With E > 0 it also creates E ephemeral push consumers, prints "ready" and holds them
      until SIGTERM/SIGINT; with E == 0 it prints "ready" and exits.
  pub         --url U --subject S [--count M] [--size BYTES]
      Core-NATS publishes M messages, flushes, prints "published M".
  qsub        --url U --subject S --queue Q [--count N]
      Holds N queue subscriptions (one connection) that reply "ok" to requests. Prints
      "ready N", runs until SIGTERM/SIGINT.
  sub         --url U --subject S [--count N] [--timeout SEC]
      Subscribes to S (wildcards allowed), prints "ready" once the server has the
      subscription, then each message's data as one line (as is; NATS server events are
      single-line JSON). Exits 0 after N messages (default: unlimited) or on SIGTERM/SIGINT,
      1 if --timeout passes first.
  request     --url U --subject S [--data PAYLOAD] [--timeout MS]
      Sends one request and prints the reply's data as one line (e.g. a JetStream API call
      such as $JS.API.CONSUMER.PAUSE.<stream>.<consumer>); exits 1 on no responders/timeout.
  gather      --url U --subject S [--count N] [--wait MS] [--data PAYLOAD]
      Sends one request and prints every reply's data on a line of its own until N replies
      or MS milliseconds (default 1000): e.g. each instance's answer to $SRV.STATS.<name>.
  js-reply    --url U --stream S --consumer C --reply BODY [--count N] [--timeout MS]
      Pulls up to N messages one at a time from pull consumer C and publishes BODY (-NAK,
      +TERM, +ACK) to each one's reply subject; prints "replied K".
  js-snapshot --url U --stream S --file F [--chunk-size BYTES] [--timeout MS]
      Snapshots stream S through $JS.API.STREAM.SNAPSHOT.S into F, acking each chunk, and
      writes the restore request (config, state) to F.json; prints "snapshot BYTES".
  js-restore  --url U --stream S --file F [--chunk-size BYTES] [--timeout MS]
      Restores stream S (which must not exist) from F and F.json through
      $JS.API.STREAM.RESTORE.S; prints the restored stream's info.
  free-port   [--count N]
      Binds N sockets to 127.0.0.1:0 at once and prints the N distinct ports, one per line.
  relay       --to HOST:PORT [--listen PORT]
      Relays every connection to 127.0.0.1:PORT (default: the kernel's pick) to HOST:PORT,
      prints "ready <port>", runs until killed: a link between two servers that a test can cut
      (kill it) and mend (a new relay on the same port).

Every command exits non-zero with a message on stderr on failure. --url defaults to
nats://127.0.0.1:4222; the cnats-based commands (js-setup, pub, qsub, sub, request, gather) accept
nats://user:password@host:port (idle-conns does not).
)";

}  // namespace

Args::Args(std::string command, const std::vector<std::string>& argv, std::vector<std::string> options,
           std::vector<std::string> flags)
    : command_(std::move(command)) {
  auto is_in = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v) {
      if (x == s) return true;
    }
    return false;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      help_ = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) throw UsageError(command_ + ": unexpected argument '" + a + "'");
    std::string key = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    }
    if (is_in(flags, key)) {
      if (value) throw UsageError(command_ + ": option --" + key + " takes no value");
      values_[key] = "1";
      continue;
    }
    if (!is_in(options, key)) throw UsageError(command_ + ": unknown option --" + key);
    if (!value) {
      if (i + 1 >= argv.size()) throw UsageError(command_ + ": option --" + key + " needs a value");
      value = argv[++i];
    }
    values_[key] = *value;
  }
}

std::string Args::str(const std::string& key, std::optional<std::string> def) const {
  if (auto it = values_.find(key); it != values_.end()) return it->second;
  if (def) return *def;
  throw UsageError(command_ + ": missing required option --" + key);
}

long long Args::num(const std::string& key, std::optional<long long> def, long long min, long long max) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    if (def) return *def;
    throw UsageError(command_ + ": missing required option --" + key);
  }
  const std::string& s = it->second;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || errno != 0 || *end != '\0') {
    throw UsageError(command_ + ": --" + key + " expects an integer, got '" + s + "'");
  }
  if (v < min || v > max) {
    throw UsageError(command_ + ": --" + key + " must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                     "], got " + s);
  }
  return v;
}

HostPort parse_nats_url(const std::string& url) {
  std::string rest = url;
  if (auto p = rest.find("://"); p != std::string::npos) {
    std::string scheme = rest.substr(0, p);
    if (scheme != "nats") throw UsageError("unsupported URL scheme '" + scheme + "' (only nats://)");
    rest = rest.substr(p + 3);
  }
  if (rest.find('@') != std::string::npos) {
    throw UsageError("credentials in the URL are not supported: " + url);
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  HostPort hp;
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    if (close == std::string::npos) throw UsageError("bad URL: " + url);
    hp.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    hp.port = (!rest.empty() && rest.front() == ':') ? rest.substr(1) : "4222";
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    hp.host = rest.substr(0, colon);
    hp.port = rest.substr(colon + 1);
  } else {
    hp.host = rest;
    hp.port = "4222";
  }
  if (hp.host.empty() || hp.port.empty()) throw UsageError("bad URL: " + url);
  return hp;
}

void block_termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool termination_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1;
}

int wait_for_termination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

int cmd_free_port(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit free-port [--count N]\n"
                 "Binds N sockets to 127.0.0.1:0 simultaneously (so the ports are distinct), "
                 "prints the ports one per line and releases them.\n";
    return 0;
  }
  const long long count = args.num("count", 1, 1, 1000);
  std::vector<int> fds;
  std::vector<int> ports;
  for (long long i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw Failure(std::string("free-port: socket: ") + std::strerror(errno));
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw Failure(std::string("free-port: bind: ") + std::strerror(errno));
    }
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw Failure(std::string("free-port: getsockname: ") + std::strerror(errno));
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  for (int p : ports) std::cout << p << '\n';
  std::cout.flush();
  return 0;
}

}  // namespace natskit

int main(int argc, char** argv) {
  using namespace natskit;
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::vector<std::string> rest(argv + 2, argv + argc);
  try {
    if (cmd == "idle-conns") {
      return cmd_idle_conns(Args(cmd, rest,
                                 {"url", "count", "subs", "name-prefix", "subject-prefix", "batch", "timeout"}));
    }
    if (cmd == "js-setup") {
      return cmd_js_setup(Args(cmd, rest,
                               {"url", "stream", "subjects", "storage", "replicas", "publish", "publish-subject",
                                "consumer", "fetch", "ack", "ack-wait", "ephemeral", "name"}));
    }
    if (cmd == "pub") {
      return cmd_pub(Args(cmd, rest, {"url", "subject", "count", "size", "name"}));
    }
    if (cmd == "qsub") {
      return cmd_qsub(Args(cmd, rest, {"url", "subject", "queue", "count", "name"}));
    }
    if (cmd == "sub") {
      return cmd_sub(Args(cmd, rest, {"url", "subject", "count", "timeout", "name"}));
    }
    if (cmd == "request") {
      return cmd_request(Args(cmd, rest, {"url", "subject", "data", "timeout", "name"}));
    }
    if (cmd == "gather") {
      return cmd_gather(Args(cmd, rest, {"url", "subject", "count", "wait", "data", "name"}));
    }
    if (cmd == "js-reply") {
      return cmd_js_reply(Args(cmd, rest, {"url", "stream", "consumer", "reply", "count", "timeout"}));
    }
    if (cmd == "relay") {
      return cmd_relay(Args(cmd, rest, {"to", "listen"}));
    }
    if (cmd == "js-snapshot") {
      return cmd_js_snapshot(Args(cmd, rest, {"url", "stream", "file", "chunk-size", "timeout"}));
    }
    if (cmd == "js-restore") {
      return cmd_js_restore(Args(cmd, rest, {"url", "stream", "file", "chunk-size", "timeout"}));
    }
    if (cmd == "free-port") {
      return cmd_free_port(Args(cmd, rest, {"count"}));
    }
    std::cerr << "natskit: unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "natskit " << e.what() << "\n(see natskit " << cmd << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "natskit " << cmd << ": error: " << e.what() << '\n';
    return 1;
  }
}
