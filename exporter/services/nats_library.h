// cnats' process-wide library. Its threads (timers, callbacks, garbage collection) outlive every
// connection; a process that exits while they run lets the exit handlers free OpenSSL's state
// under them (TSan saw the handler free a lock a cnats thread was taking).
#pragma once

#include <chrono>

namespace farrier {

// Ends the library once every NATS connection has been destroyed: at the end of main, never
// before a reload's next client. Returns false when cnats' threads did not end within
// `timeout`: the caller must then leave without running exit handlers (std::_Exit). Returns
// true at once when the library was never opened.
bool CloseNatsLibrary(std::chrono::milliseconds timeout);

}  // namespace farrier
