// natskit idle-conns: thousands of idle NATS client connections from one thread.
//
// Each connection speaks just enough of the NATS client protocol over a raw non-blocking TCP
// socket: read INFO, send CONNECT + K SUBs + PING, wait for PONG. Afterwards the only traffic
// is the server's keep-alive PING (answered with PONG) and any MSG delivered to the idle
// subscriptions (skipped). Everything is multiplexed with epoll; SIGINT/SIGTERM arrive through
// a signalfd on the same epoll set.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "natskit.h"

namespace natskit {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxAttempts = 3;
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr uint64_t kSignalTag = UINT64_MAX;
// A control line longer than this without CRLF means we are not talking to a NATS server.
constexpr size_t kMaxControlLine = 1 << 20;

enum class State { Idle, Connecting, AwaitInfo, AwaitPong, Ready, Closed };

struct Conn {
  int fd = -1;
  State state = State::Idle;
  int attempts = 0;
  Clock::time_point started;
  std::string in;
  std::string out;
  size_t out_off = 0;
  size_t skip = 0;  // payload bytes (incl. trailing CRLF) of a MSG/HMSG still to discard
};

struct Options {
  std::string url;
  long long count = 0;
  long long subs = 0;
  std::string name_prefix;
  std::string subject_prefix;
  long long batch = 0;
  long long timeout_s = 0;
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

class IdleConns {
 public:
  explicit IdleConns(Options o) : o_(std::move(o)), conns_(static_cast<size_t>(o_.count)) {}

  int run();

 private:
  void raise_fd_limit();
  void resolve();
  void setup_epoll();
  bool start(size_t i);
  // Handles a failure of connection i: retries (transient errors) or records a fatal error.
  void fail(size_t i, const std::string& why, bool retryable);
  void close_conn(size_t i);
  void on_event(size_t i, uint32_t events);
  bool flush_out(size_t i);
  void want_write(size_t i, bool on);
  void process_input(size_t i);
  void handle_line(size_t i, std::string_view line);
  void queue_handshake(size_t i);
  bool drain_signal();
  // One epoll_wait (timeout in ms, -1: block) and dispatch of what it returned.
  void wait_and_dispatch(std::vector<epoll_event>& events, int timeout_ms);

  Options o_;
  std::vector<Conn> conns_;
  addrinfo* addr_ = nullptr;
  int ep_ = -1;
  int sigfd_ = -1;
  bool stop_ = false;
  std::string fatal_;
  std::deque<size_t> queue_;  // connections waiting to be (re)started
  long long in_flight_ = 0;
  long long ready_ = 0;
  long long lost_ = 0;    // connections the server closed after "ready"
  bool holding_ = false;  // phase 2: all connections were ready once
  char rbuf_[64 * 1024];
};

void IdleConns::raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    throw Failure(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  // fds 0-2, epoll, signalfd and some slack for resolver/libc.
  const rlim_t needed = static_cast<rlim_t>(o_.count) + 32;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < needed) {
    throw Failure("RLIMIT_NOFILE is " + std::to_string(rl.rlim_cur) + " (hard " + std::to_string(rl.rlim_max) +
                  ") but " + std::to_string(o_.count) + " connections need about " + std::to_string(needed) +
                  " descriptors; raise the hard limit (ulimit -Hn)");
  }
}

void IdleConns::resolve() {
  HostPort hp = parse_nats_url(o_.url);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &addr_);
  if (rc != 0 || addr_ == nullptr) {
    throw Failure("cannot resolve " + hp.host + ":" + hp.port + ": " + gai_strerror(rc));
  }
}

void IdleConns::setup_epoll() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) throw Failure(std::string("epoll_create1: ") + std::strerror(errno));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    throw Failure(std::string("sigprocmask: ") + std::strerror(errno));
  }
  sigfd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd_ < 0) throw Failure(std::string("signalfd: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kSignalTag;
  if (epoll_ctl(ep_, EPOLL_CTL_ADD, sigfd_, &ev) != 0) {
    throw Failure(std::string("epoll_ctl(signalfd): ") + std::strerror(errno));
  }
}

void IdleConns::wait_and_dispatch(std::vector<epoll_event>& events, int timeout_ms) {
  int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), timeout_ms);
  if (n < 0 && errno != EINTR) throw Failure(std::string("epoll_wait: ") + std::strerror(errno));
  for (int k = 0; k < n; ++k) {
    if (events[k].data.u64 == kSignalTag) {
      drain_signal();
      continue;
    }
    on_event(static_cast<size_t>(events[k].data.u64), events[k].events);
  }
}

bool IdleConns::drain_signal() {
  signalfd_siginfo si{};
  bool got = false;
  while (::read(sigfd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) got = true;
  if (got) stop_ = true;
  return got;
}

bool IdleConns::start(size_t i) {
  Conn& c = conns_[i];
  const int attempts = c.attempts + 1;
  c = Conn{};
  c.attempts = attempts;
  c.started = Clock::now();
  int fd = ::socket(addr_->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    // EMFILE/ENFILE/ENOBUFS are not going to fix themselves within our retry budget.
    fatal_ = "connection " + std::to_string(i) + ": socket(): " + std::strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.fd = fd;
  c.state = State::Connecting;
  ++in_flight_;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = i;
  if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    fatal_ = "connection " + std::to_string(i) + ": epoll_ctl: " + std::strerror(errno);
    return false;
  }
  if (::connect(fd, addr_->ai_addr, addr_->ai_addrlen) != 0 && errno != EINPROGRESS) {
    fail(i, std::string("connect: ") + std::strerror(errno), errno != ECONNREFUSED);
  }
  return true;
}

void IdleConns::close_conn(size_t i) {
  Conn& c = conns_[i];
  if (c.fd >= 0) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
  }
  if (c.state == State::Connecting || c.state == State::AwaitInfo || c.state == State::AwaitPong) {
    --in_flight_;
  } else if (c.state == State::Ready) {
    --ready_;
  }
  c.state = State::Closed;
  c.in.clear();
  c.in.shrink_to_fit();
  c.out.clear();
  c.out.shrink_to_fit();
}

void IdleConns::fail(size_t i, const std::string& why, bool retryable) {
  const bool was_ready = conns_[i].state == State::Ready;
  close_conn(i);
  if (was_ready && holding_) {
    // After "ready" we only report: the caller asked for idle connections, not supervision.
    ++lost_;
    std::cerr << "natskit idle-conns: connection " << i << " (" << o_.name_prefix << "-" << i << ") lost: " << why
              << '\n';
    return;
  }
  if (retryable && conns_[i].attempts < kMaxAttempts) {
    queue_.push_back(i);
    return;
  }
  if (fatal_.empty()) {
    fatal_ = "connection " + std::to_string(i) + " failed after " + std::to_string(conns_[i].attempts) +
             " attempt(s): " + why;
  }
}

void IdleConns::want_write(size_t i, bool on) {
  epoll_event ev{};
  ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  ev.data.u64 = i;
  epoll_ctl(ep_, EPOLL_CTL_MOD, conns_[i].fd, &ev);
}

bool IdleConns::flush_out(size_t i) {
  Conn& c = conns_[i];
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      want_write(i, true);
      return true;
    }
    fail(i, std::string("send: ") + std::strerror(errno), true);
    return false;
  }
  c.out.clear();
  c.out_off = 0;
  want_write(i, false);
  return true;
}

void IdleConns::queue_handshake(size_t i) {
  Conn& c = conns_[i];
  std::string name = o_.name_prefix + "-" + std::to_string(i);
  c.out += "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"" + json_escape(name) +
           "\",\"lang\":\"natskit\",\"version\":\"0\"}\r\n";
  for (long long k = 0; k < o_.subs; ++k) {
    c.out += "SUB " + o_.subject_prefix + "." + std::to_string(i) + "." + std::to_string(k) + " " +
             std::to_string(k + 1) + "\r\n";
  }
  c.out += "PING\r\n";
  c.state = State::AwaitPong;
}

void IdleConns::handle_line(size_t i, std::string_view line) {
  Conn& c = conns_[i];
  auto starts = [&](std::string_view p) {
    if (line.size() < p.size()) return false;
    for (size_t k = 0; k < p.size(); ++k) {
      if (std::toupper(static_cast<unsigned char>(line[k])) != p[k]) return false;
    }
    return true;
  };
  if (starts("PING")) {
    c.out += "PONG\r\n";
    return;
  }
  if (starts("PONG")) {
    if (c.state == State::AwaitPong) {
      c.state = State::Ready;
      --in_flight_;
      ++ready_;
      c.in.shrink_to_fit();
    }
    return;
  }
  if (starts("INFO")) {
    if (c.state == State::AwaitInfo) {
      // Only plain, unauthenticated servers are supported; say so instead of hanging.
      if (line.find("\"tls_required\":true") != std::string_view::npos) {
        fail(i, "server requires TLS, which idle-conns does not support", false);
        return;
      }
      if (line.find("\"auth_required\":true") != std::string_view::npos) {
        fail(i, "server requires authentication, which idle-conns does not support", false);
        return;
      }
      queue_handshake(i);
    }
    return;  // async INFO updates (cluster topology, lame duck mode) need no answer
  }
  if (starts("MSG ") || starts("HMSG ")) {
    // MSG <subject> <sid> [reply] <#bytes> / HMSG ... <#hdr bytes> <#total bytes>
    auto sp = line.find_last_of(' ');
    std::string size(line.substr(sp + 1));
    c.skip = std::strtoull(size.c_str(), nullptr, 10) + 2;
    return;
  }
  if (starts("+OK")) return;
  if (starts("-ERR")) {
    std::string msg(line);
    // Handshake errors (e.g. 'maximum connections exceeded') are not worth retrying.
    fail(i, "server said " + msg, false);
    return;
  }
  fail(i, "unexpected protocol line: " + std::string(line.substr(0, 200)), false);
}

void IdleConns::process_input(size_t i) {
  size_t pos = 0;
  while (conns_[i].state != State::Closed) {
    Conn& c = conns_[i];
    if (c.skip > 0) {
      size_t n = std::min(c.skip, c.in.size() - pos);
      c.skip -= n;
      pos += n;
      if (c.skip > 0) break;
      continue;
    }
    auto eol = c.in.find("\r\n", pos);
    if (eol == std::string::npos) {
      if (c.in.size() - pos > kMaxControlLine) {
        fail(i, "protocol line longer than 1 MiB; is this a NATS server?", false);
        return;
      }
      break;
    }
    std::string_view line(c.in.data() + pos, eol - pos);
    pos = eol + 2;
    handle_line(i, line);
  }
  if (conns_[i].state == State::Closed) return;
  Conn& c = conns_[i];
  c.in.erase(0, pos);
  if (!c.out.empty()) flush_out(i);
}

void IdleConns::on_event(size_t i, uint32_t events) {
  Conn& c = conns_[i];
  if (c.state == State::Closed || c.fd < 0) return;
  if (c.state == State::Connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      fail(i, std::string("connect: ") + std::strerror(err), err != ECONNREFUSED);
      return;
    }
    if ((events & (EPOLLOUT | EPOLLIN)) == 0) {
      fail(i, "connect: socket error", true);
      return;
    }
    c.state = State::AwaitInfo;
    want_write(i, false);
  }
  if (events & EPOLLOUT) {
    if (!flush_out(i)) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    for (;;) {
      ssize_t n = ::recv(conns_[i].fd, rbuf_, sizeof rbuf_, 0);
      if (n > 0) {
        conns_[i].in.append(rbuf_, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof rbuf_) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      process_input(i);  // a final -ERR often precedes the close; report that rather than EOF
      if (conns_[i].state == State::Closed) return;
      fail(i, n == 0 ? "connection closed by server" : std::string("recv: ") + std::strerror(errno), true);
      return;
    }
    process_input(i);
  }
}

int IdleConns::run() {
  raise_fd_limit();
  resolve();
  setup_epoll();
  for (size_t i = 0; i < conns_.size(); ++i) queue_.push_back(i);

  const auto deadline = Clock::now() + std::chrono::seconds(o_.timeout_s);
  std::vector<epoll_event> events(1024);
  // Phase 1: establish all connections, at most `batch` handshakes in flight at a time so the
  // server's accept backlog is never flooded.
  while (ready_ < o_.count && fatal_.empty() && !stop_) {
    while (in_flight_ < o_.batch && !queue_.empty() && fatal_.empty()) {
      size_t i = queue_.front();
      queue_.pop_front();
      if (!start(i)) break;
    }
    if (!fatal_.empty()) break;
    wait_and_dispatch(events, 100);
    const auto now = Clock::now();
    for (size_t i = 0; i < conns_.size(); ++i) {
      const State s = conns_[i].state;
      if ((s == State::Connecting || s == State::AwaitInfo || s == State::AwaitPong) &&
          now - conns_[i].started > kHandshakeTimeout) {
        fail(i,
             s == State::Connecting  ? "timed out connecting"
             : s == State::AwaitInfo ? "timed out waiting for INFO"
                                     : "timed out waiting for PONG after CONNECT/SUB",
             true);
      }
    }
    if (now > deadline && ready_ < o_.count && fatal_.empty()) {
      fatal_ = "timed out after " + std::to_string(o_.timeout_s) + "s";
    }
  }

  auto close_all = [&] {
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].fd >= 0) ::close(conns_[i].fd);
      conns_[i].fd = -1;
    }
  };
  if (stop_ && ready_ < o_.count) {
    close_all();
    std::cerr << "natskit idle-conns: interrupted with " << ready_ << " of " << o_.count << " connections ready\n";
    return 1;
  }
  if (!fatal_.empty()) {
    close_all();
    throw Failure("could not open " + std::to_string(o_.count) + " connections to " + o_.url + " (" +
                  std::to_string(ready_) + " ready): " + fatal_);
  }

  holding_ = true;
  std::cout << "ready " << ready_ << std::endl;  // endl flushes: callers wait for this line

  // Phase 2: stay idle. Only server PINGs (and MSGs on the idle subjects) arrive.
  while (!stop_) {
    wait_and_dispatch(events, -1);
  }
  close_all();
  if (lost_ > 0) {
    std::cerr << "natskit idle-conns: " << lost_ << " connection(s) were closed by the server "
              << "while idle\n";
  }
  return 0;
}

}  // namespace

int cmd_idle_conns(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit idle-conns --url nats://127.0.0.1:PORT --count N [--subs K]\n"
                 "                          [--name-prefix P] [--subject-prefix S] [--batch B]\n"
                 "                          [--timeout SEC]\n\n"
                 "Opens N idle client connections with raw TCP sockets (single thread, epoll).\n"
                 "Each sends CONNECT {\"name\":\"<P>-<i>\",\"lang\":\"natskit\",...}, K subscriptions\n"
                 "'SUB <S>.<i>.<k> <k+1>' and PING, and counts as ready on the PONG. When all N are\n"
                 "ready, prints 'ready N' on stdout and holds them (answering server PINGs) until\n"
                 "SIGTERM/SIGINT, then closes them and exits 0. Exits 1 with a message if N cannot\n"
                 "be reached.\n\n"
                 "  --count N           connections (required, 1..1000000)\n"
                 "  --subs K            subscriptions per connection (default 0)\n"
                 "  --name-prefix P     connection name prefix (default idle)\n"
                 "  --subject-prefix S  subscription subject prefix (default idle)\n"
                 "  --batch B           max handshakes in flight (default 256)\n"
                 "  --timeout SEC       overall deadline for phase 1 (default 120)\n";
    return 0;
  }
  Options o;
  o.url = args.str("url", "nats://127.0.0.1:4222");
  o.count = args.num("count", std::nullopt, 1, 1000000);
  o.subs = args.num("subs", 0, 0, 100000);
  o.name_prefix = args.str("name-prefix", "idle");
  o.subject_prefix = args.str("subject-prefix", "idle");
  o.batch = args.num("batch", 256, 1, 100000);
  o.timeout_s = args.num("timeout", 120, 1, 86400);
  if (o.subject_prefix.empty() || o.subject_prefix.find_first_of(" \t\r\n") != std::string::npos) {
    throw UsageError("idle-conns: --subject-prefix must be a non-empty token without whitespace");
  }
  IdleConns ic(std::move(o));
  return ic.run();
}

}  // namespace natskit
