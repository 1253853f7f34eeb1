// LD_PRELOAD shim for bench/probes.sh: turns on cnats' "send asap" option in every connection
// a program opens, without changing the program. farrier's probing connection sets it itself
// (services/nats_client.cc); the samples (farrier-loadgen, farrier-sample-worker) do not, so
// their publishes wait for cnats' flusher thread, which sleeps up to 1 ms to batch writes
// (conn.c, _flusher: natsCondition_TimedWait(..., 1)). probes.sh runs the load generator once
// as shipped and once with this shim, so that its client-side latency can be compared with
// farrier's like for like.
//
// Build: g++ -O2 -shared -fPIC -o sendasap.so bench/sendasap.cc -ldl
// Use:   LD_PRELOAD=/path/sendasap.so farrier-loadgen ...   (prints one line to stderr)
#include <dlfcn.h>
#include <nats/nats.h>

#include <cstdio>

extern "C" natsStatus natsOptions_Create(natsOptions** opts) {
  using Fn = natsStatus (*)(natsOptions**);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "natsOptions_Create"));
  static bool said = false;
  if (real == nullptr) return NATS_ERR;
  natsStatus s = real(opts);
  if (s == NATS_OK) {
    s = natsOptions_SetSendAsap(*opts, true);
    if (!said) {
      said = true;
      std::fprintf(stderr, "sendasap: natsOptions_SetSendAsap(true) -> %s\n", natsStatus_GetText(s));
    }
  }
  return s;
}
