#include "services/nats_signer.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>

#include "core/files.h"
#include "services/nkey.h"

namespace farrier {
namespace {

// Wipes a secret held in a std::string before it is freed.
struct Wiped {
  std::string text;
  ~Wiped() { OPENSSL_cleanse(text.data(), text.size()); }
};

// What cnats passes back as a callback's error text: freed by cnats with free().
char* Copy(const std::string& text) { return strdup(text.c_str()); }

constexpr char kUnsendable[] =
    "the signature of the server's nonce starts with a zero byte, which libnats 3.4.1 cannot send "
    "(nats.c#705); connecting again for a new nonce";

Result<std::string> SeedIn(const std::string& text, bool creds) {
  if (creds) {
    Result<CredsParts> parts = ParseCreds(text);
    if (!parts) return Error{parts.error()};
    return std::move(parts).value().seed;
  }
  std::string_view seed = text;
  while (!seed.empty() && std::isspace(static_cast<unsigned char>(seed.back()))) seed.remove_suffix(1);
  while (!seed.empty() && std::isspace(static_cast<unsigned char>(seed.front()))) seed.remove_prefix(1);
  if (Result<std::string> pub = NkeyPublicFromSeed(seed); !pub) return Error{pub.error()};
  return std::string(seed);
}

}  // namespace

Result<std::unique_ptr<NonceSigner>> NonceSigner::FromSeedFile(const std::string& path, const std::string& option) {
  std::unique_ptr<NonceSigner> signer(new NonceSigner(option, path, false));
  Result<std::string> seed = signer->ReadSeed();
  if (!seed) return Error{seed.error()};
  Wiped wiped{std::move(seed).value()};
  Result<std::string> pub = NkeyPublicFromSeed(wiped.text);
  if (!pub) return Error{signer->option_ + " " + path + ": " + pub.error()};
  signer->public_key_ = *pub;
  return signer;
}

Result<std::unique_ptr<NonceSigner>> NonceSigner::FromCredsFile(const std::string& path, const std::string& option) {
  std::unique_ptr<NonceSigner> signer(new NonceSigner(option, path, true));
  Result<std::string> seed = signer->ReadSeed();
  if (!seed) return Error{seed.error()};
  Wiped wiped{std::move(seed).value()};
  return signer;
}

Result<std::string> NonceSigner::ReadSeed() const {
  Wiped text;
  std::string why;
  if (!ReadRegularFile(path_, &text.text, &why)) return Error{option_ + " " + path_ + ": " + why};
  Result<std::string> seed = SeedIn(text.text, creds_);
  if (!seed) return Error{option_ + " " + path_ + ": " + seed.error()};
  return seed;
}

natsStatus NonceSigner::Install(natsOptions* opts) {
  if (creds_)
    return natsOptions_SetUserCredentialsCallbacks(opts, &NonceSigner::UserJwt, this, &NonceSigner::Sign, this);
  return natsOptions_SetNKey(opts, public_key_.c_str(), &NonceSigner::Sign, this);
}

natsStatus NonceSigner::UserJwt(char** jwt, char** error, void* self) {
  const auto* signer = static_cast<const NonceSigner*>(self);
  Wiped text;
  std::string why;
  if (!ReadRegularFile(signer->path_, &text.text, &why)) {
    *error = Copy(signer->option_ + " " + signer->path_ + ": " + why);
    return NATS_ERR;
  }
  Result<CredsParts> parts = ParseCreds(text.text);
  if (!parts) {
    *error = Copy(signer->option_ + " " + signer->path_ + ": " + parts.error());
    return NATS_ERR;
  }
  *jwt = Copy(parts->jwt);
  Wiped seed{std::move(parts).value().seed};
  return *jwt ? NATS_OK : NATS_NO_MEMORY;
}

natsStatus NonceSigner::Sign(char** error, unsigned char** signature, int* length, const char* nonce, void* self) {
  auto* signer = static_cast<NonceSigner*>(self);
  if (nonce == nullptr) {
    // Servers always send a nonce when they require nkeys; sign nothing rather than crash.
    *error = Copy("the server sent no nonce to sign");
    return NATS_ERR;
  }
  Result<std::string> seed = signer->ReadSeed();
  if (!seed) {
    *error = Copy(seed.error());
    return NATS_ERR;
  }
  Wiped wiped{std::move(seed).value()};
  unsigned char* sig = nullptr;
  int len = 0;
  natsStatus s = nats_Sign(wiped.text.c_str(), nonce, &sig, &len);
  if (s != NATS_OK) {
    *error = Copy(signer->option_ + " " + signer->path_ + ": cannot sign with the seed: " + natsStatus_GetText(s));
    return s;
  }
  if (len > 0 && sig[0] == 0) {
    std::free(sig);
    signer->unsendable_.fetch_add(1);
    *error = Copy(kUnsendable);
    return NATS_ERR;
  }
  *signature = sig;
  *length = len;
  return NATS_OK;
}

natsStatus ConnectSigned(natsConnection** nc, natsOptions* opts, const NonceSigner* signer) {
  natsStatus s = NATS_OK;
  for (int attempt = 1; attempt <= 8; ++attempt) {
    const uint64_t before = signer ? signer->unsendable() : 0;
    s = natsConnection_Connect(nc, opts);
    if (s == NATS_OK || !signer || signer->unsendable() == before) return s;
    if (*nc) {
      natsConnection_Destroy(*nc);
      *nc = nullptr;
    }
    spdlog::debug("NATS connect attempt {}: {}", attempt, kUnsendable);
  }
  return s;
}

}  // namespace farrier
