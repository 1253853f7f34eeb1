// Polling helper for asserting on eventually-consistent state of real processes.
// Header-only; no shared state, so it is as thread-safe as the predicate passed in.
#pragma once

#include <chrono>
#include <thread>

namespace farrier::test {

// Calls pred() every `step` until it returns true (-> true) or `timeout` elapses (-> false).
// pred is always evaluated at least once, and once more after the deadline is reached, so a
// condition that becomes true during the final sleep is not reported as a timeout.
template <class F>
bool WaitUntil(F pred, std::chrono::milliseconds timeout,
               std::chrono::milliseconds step = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

}  // namespace farrier::test
