// A loopback port nobody listens on, for tests that want connections refused.
//
// Servers the tests start never get a port chosen for them: they bind one the kernel picks
// (port 0, or -1 in a nats-server config) and say which (NatsServer and MonitorTls read
// nats-server's log, Farrier and PrometheusServer their start-up lines), so no test picks a
// "free" port and hopes nobody takes it before its server binds it.
// Never hard-code well-known ports (4222/8222): other test runs and developers use them.
// Thread-safety: one object per thread; port() and url() may be read from any thread.
#pragma once

#include <string>

namespace farrier::test {

// Holds a socket bound to 127.0.0.1:<kernel's pick> without listening on it: the kernel refuses
// connections to the port, and no other process can bind it, for as long as the object lives
// (or until Release()). Non-copyable, non-movable.
class RefusedLoopbackPort {
 public:
  RefusedLoopbackPort();  // throws std::runtime_error on socket errors
  ~RefusedLoopbackPort();
  RefusedLoopbackPort(const RefusedLoopbackPort&) = delete;
  RefusedLoopbackPort& operator=(const RefusedLoopbackPort&) = delete;

  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>"
  // Closes the socket so that a server can bind the port, and returns it. From then on another
  // process may bind it first (a server told to use it then fails to start, and says so); keep
  // the time until the server binds it short.
  int Release();

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace farrier::test
