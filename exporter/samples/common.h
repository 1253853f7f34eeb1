// Shared bits of the sample programs (farrier-sample-worker, farrier-loadgen): flag parsing,
// duration parsing and connecting with cnats. Header-only; no shared state.
#pragma once

#include <nats/nats.h>
#include <openssl/crypto.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

namespace farrier::samples {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "--key value" pairs only; every key must be in `known`.
class Flags {
 public:
  Flags(int argc, char** argv, const std::set<std::string>& known) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") throw UsageError("");
      if (a.rfind("--", 0) != 0) throw UsageError("unexpected argument: " + a);
      std::string key = a.substr(2), value;
      if (auto eq = key.find('='); eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      } else {
        if (i + 1 >= argc) throw UsageError("--" + key + " needs a value");
        value = argv[++i];
      }
      if (!known.count(key)) throw UsageError("unknown flag --" + key);
      values_[key] = value;
    }
  }
  std::string Str(const std::string& key, const std::string& def) const {
    auto it = values_.find(key);
    return it == values_.end() ? def : it->second;
  }
  double Num(const std::string& key, double def) const {
    auto it = values_.find(key);
    if (it == values_.end()) return def;
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0') throw UsageError("--" + key + ": not a number: " + it->second);
    return v;
  }

 private:
  std::map<std::string, std::string> values_;
};

// "20ms", "1.5s", "500us", "2m", "100ns". A bare number is rejected (units are mandatory).
inline std::chrono::nanoseconds ParseDuration(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) throw UsageError("bad duration: " + text);
  std::string unit = end;
  double ns;
  if (unit == "ns") ns = v;
  else if (unit == "us") ns = v * 1e3;
  else if (unit == "ms") ns = v * 1e6;
  else if (unit == "s") ns = v * 1e9;
  else if (unit == "m") ns = v * 60e9;
  else throw UsageError("bad duration (use ns, us, ms, s or m): " + text);
  return std::chrono::nanoseconds(static_cast<long long>(ns));
}

inline void Check(natsStatus s, const char* what) {
  if (s == NATS_OK) return;
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  throw std::runtime_error(std::string(what) + ": " + natsStatus_GetText(s) +
                           (detail && *detail ? std::string(" (") + detail + ")" : std::string()));
}

// Connects without reconnects: a sample that loses its server should fail loudly.
inline natsConnection* Connect(const std::string& url, const std::string& name) {
  Check(nats_Open(-1), "nats_Open");
  natsOptions* opts = nullptr;
  Check(natsOptions_Create(&opts), "natsOptions_Create");
  natsStatus s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  // Write each message at once. Without this libnats leaves it to its flusher, which (in 3.4.1)
  // sends on the next millisecond tick: 0-1 ms added to every request and reply, the same
  // amount for a whole run of evenly spaced requests, which skews latency comparisons.
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, true);
  natsConnection* nc = nullptr;
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  Check(s, ("connect to " + url).c_str());
  return nc;
}

// One-shot event for natsSubscription_SetOnCompleteCB: fired after an unsubscribed async
// subscription's handler has returned for the last time.
struct Latch {
  std::mutex mu;
  std::condition_variable cv;
  bool fired = false;
  static void Fire(void* closure) {
    auto* l = static_cast<Latch*>(closure);
    std::lock_guard lock(l->mu);
    l->fired = true;
    l->cv.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [this] { return fired; });
  }
};

// Closes the connection and waits for cnats' own threads, so the process exits cleanly.
inline void CloseConnection(natsConnection* nc) {
  natsConnection_Close(nc);
  natsConnection_Destroy(nc);
  nats_CloseAndWait(2000);
}

// main() of both programs: exit 0 for --help, 2 for a usage error, 1 for a runtime error.
inline int RunMain(const char* program, const char* usage, int (*run)(int, char**), int argc, char** argv) {
  // OpenSSL's atexit cleanup would free its locks while a cnats thread that nats_CloseAndWait
  // did not end in time may still take them. CI once saw a worker print its final stats on
  // SIGTERM and then not exit for 15 s. This first initialisation decides because these programs
  // do not link libcpp-httplib, whose constructor initialises OpenSSL before main (farrier's
  // main.cc ends cnats' threads instead).
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    if (*e.what()) std::cerr << program << ": " << e.what() << "\n";
    std::cerr << usage;
    return *e.what() ? 2 : 0;
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace farrier::samples
