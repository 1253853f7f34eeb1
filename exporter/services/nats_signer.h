// Signing the server's nonce for nkey and creds (JWT) authentication, in farrier instead of
// cnats: libnats 3.4.1 (Debian 12) base64-encodes the signature with a check meant for strings,
// so a signature whose first byte is 0 (1 connect in 256) becomes no signature at all, and the
// server answers "Authorization Violation" to correct credentials (nats.c#705, fixed in 3.8.0).
// An ed25519 signature is fixed by the nonce, so the cure is a new connection, i.e. a new nonce:
// the handler refuses such a signature with a reason, and ConnectSigned connects again at once.
// cnats' own reconnects retry on their own (after the reconnect wait).
//
// The files are read at every signature, as cnats does, so that a rotated secret is picked up
// at the next connect. The seed is wiped from memory after use and never appears in errors.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

namespace farrier {

class NonceSigner {
 public:
  // Errors name the option and the file and say what is wrong, never quoting the file.
  // `option` names the file in errors and logs.
  static Result<std::unique_ptr<NonceSigner>> FromSeedFile(const std::string& path,
                                                           const std::string& option = "nats.nkey-seed-file");
  static Result<std::unique_ptr<NonceSigner>> FromCredsFile(const std::string& path,
                                                            const std::string& option = "nats.creds-file");

  // Makes `opts` authenticate with this signer, which must outlive every connection made
  // with them.
  natsStatus Install(natsOptions* opts);

  // Signatures refused because libnats 3.4.1 would have dropped them.
  uint64_t unsendable() const { return unsendable_.load(); }

 private:
  NonceSigner(std::string option, std::string path, bool creds)
      : option_(std::move(option)), path_(std::move(path)), creds_(creds) {}
  Result<std::string> ReadSeed() const;
  static natsStatus Sign(char** error, unsigned char** signature, int* length, const char* nonce, void* self);
  static natsStatus UserJwt(char** jwt, char** error, void* self);

  std::string option_;  // "nats.creds-file" or "nats.nkey-seed-file", for errors
  std::string path_;
  bool creds_;
  std::string public_key_;  // of the seed file's seed (nkey mode)
  std::atomic<uint64_t> unsendable_{0};
};

// natsConnection_Connect, again (at most 8 times in all) while the attempt failed only because
// `signer` refused an unsendable signature. `signer` may be null (no nkey authentication).
natsStatus ConnectSigned(natsConnection** nc, natsOptions* opts, const NonceSigner* signer);

}  // namespace farrier
