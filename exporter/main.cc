#include <openssl/crypto.h>

#include "app/run.h"

extern char** environ;

int main(int argc, char** argv) {
  // OpenSSL frees its global state (locks included) in an atexit handler by default, while
  // cnats' threads may still be using it: exit would race them (TSan saw the lock freed under a
  // cnats thread taking it). Ending cnats first with nats_CloseAndWait is no cure: its cleanup
  // and OpenSSL's handler then free the same state twice (ASan: SEGV in OPENSSL_cleanup). So the
  // handler is never registered; this must be OpenSSL's first initialisation. The process is
  // ending anyway, and the memory stays reachable (no leak report).
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  return farrier::Run(argc, argv, environ);
}
