// natskit relay: a TCP relay that stands for the network between two real servers, so a test
// can break that link on purpose (tests/integration/origin_link_test.cc puts it between a leaf
// node and its hub). Killing the relay closes both sides of every connection it carries, as a
// failed link or a restarted proxy does, and the port then refuses connections; a new relay on
// the same --listen port mends the link.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "natskit.h"

namespace natskit {
namespace {

// One relayed connection: both sockets closed once both directions are done.
struct Pair {
  int client = -1;
  int upstream = -1;
  ~Pair() {
    ::close(client);
    ::close(upstream);
  }
};

// Copies from `from` to `to` until either side ends, then shuts both down so that the other
// direction ends too (a half-open relay would hide the cut from one of the servers).
void Pump(std::shared_ptr<Pair> pair, int from, int to) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(from, buf, sizeof buf, 0);
    if (n <= 0) break;
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = ::send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) break;
      off += w;
    }
    if (off < n) break;
  }
  ::shutdown(pair->client, SHUT_RDWR);
  ::shutdown(pair->upstream, SHUT_RDWR);
}

int Connect(const HostPort& to) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(to.port)));
  if (::inet_pton(AF_INET, to.host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int cmd_relay(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit relay --to HOST:PORT [--listen PORT]\n\n"
                 "Listens on 127.0.0.1:PORT (default 0: the kernel picks) and relays every connection\n"
                 "to HOST:PORT (an IPv4 address), both ways. Prints \"ready <port>\" once listening and\n"
                 "runs until killed; a connection it cannot open upstream is closed at once.\n";
    return 0;
  }
  const HostPort to = parse_nats_url(args.str("to"));
  const long long port = args.num("listen", 0, 0, 65535);
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) throw Failure(std::string("socket: ") + std::strerror(errno));
  // A relay started again on the port of a killed one: its old connections may be in TIME_WAIT.
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 16) != 0) {
    throw Failure("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::cout << "ready " << ntohs(addr.sin_port) << std::endl;
  for (;;) {
    int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      throw Failure(std::string("accept: ") + std::strerror(errno));
    }
    auto pair = std::make_shared<Pair>();
    pair->client = c;
    pair->upstream = Connect(to);
    if (pair->upstream < 0) continue;  // ~Pair closes the client: upstream down looks like a cut
    std::thread(Pump, pair, pair->client, pair->upstream).detach();
    std::thread(Pump, pair, pair->upstream, pair->client).detach();
  }
}

}  // namespace natskit
