#include "services/nats_library.h"

#include <nats/nats.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

namespace farrier {

bool CloseNatsLibrary(std::chrono::milliseconds timeout) {
  natsStatus s = nats_CloseAndWait(static_cast<int64_t>(timeout.count()));
  if (s == NATS_NOT_INITIALIZED) return true;  // no NATS feature was configured
  if (s != NATS_OK) return false;
  // With its threads gone, libnats 3.4.1's exit handler frees libssl's list of compression
  // methods (sk_SSL_COMP_free), and OpenSSL's own exit handler frees it again: a double free
  // (ASan: SEGV in OPENSSL_cleanup). Newer nats.c no longer does this. OpenSSL's handler cannot
  // be left out: libcpp-httplib's constructor initialises OpenSSL, with the handler, before main.
  // So the list is taken out of libssl and freed here, as OpenSSL frees it; both handlers then
  // find none. The first call runs libssl's one-time load of the list, which would otherwise
  // run in cnats' handler and leave a new list behind for OpenSSL's.
  SSL_COMP_get_compression_methods();
  STACK_OF(SSL_COMP)* methods = SSL_COMP_set0_compression_methods(nullptr);
  sk_SSL_COMP_pop_free(methods, [](SSL_COMP* method) { OPENSSL_free(method); });
  return true;
}

}  // namespace farrier
