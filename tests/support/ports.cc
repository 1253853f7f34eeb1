#include "support/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace farrier::test {

// No SO_REUSEADDR: with it, another socket that sets it too could bind the port while we hold it.
RefusedLoopbackPort::RefusedLoopbackPort() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd_);
    throw std::runtime_error(std::string("bind/getsockname 127.0.0.1:0: ") + std::strerror(err));
  }
  port_ = ntohs(addr.sin_port);
}

RefusedLoopbackPort::~RefusedLoopbackPort() { Release(); }

std::string RefusedLoopbackPort::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

int RefusedLoopbackPort::Release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return port_;
}

}  // namespace farrier::test
