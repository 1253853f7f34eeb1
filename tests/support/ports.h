// Ephemeral loopback ports for servers started by tests.
//
// RACE: the port is found by binding 127.0.0.1:0, reading the assigned port and closing the
// socket, so another process may grab it before our server binds it. The window is short and
// the kernel hands out ports randomly from the ephemeral range, so collisions are rare;
// NatsServer retries with fresh ports when it sees "address already in use" (single-node only).
// Never hard-code well-known ports (4222/8222): other test runs and developers use them.
// Thread-safety: stateless, safe from any thread.
#pragma once

#include <cstddef>
#include <vector>

namespace farrier::test {

// One currently-free TCP port on 127.0.0.1. Throws std::runtime_error on socket errors.
int FreeLoopbackPort();

// n distinct free ports. All sockets are held open until every port is chosen, so the kernel
// cannot hand the same port out twice within one call (it can across separate calls).
std::vector<int> FreeLoopbackPorts(std::size_t n);

}  // namespace farrier::test
