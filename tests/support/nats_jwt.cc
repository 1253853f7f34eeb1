#include "support/nats_jwt.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace farrier::test {
namespace {

using Bytes = std::vector<uint8_t>;
using Json = nlohmann::json;

// Prefix bytes of github.com/nats-io/nkeys: the first base32 character names the key type.
constexpr uint8_t kSeedPrefix = 18 << 3;  // 'S'
uint8_t PrefixOf(char type) {
  switch (type) {
    case 'O': return 14 << 3;
    case 'A': return 0;
    case 'U': return 20 << 3;
  }
  throw std::runtime_error(std::string("unsupported nkey type ") + type);
}

uint16_t Crc16Xmodem(const Bytes& data) {
  uint16_t crc = 0;
  for (uint8_t byte : data) {
    crc ^= static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return crc;
}

// RFC 4648 base32 without padding.
std::string Base32(const Bytes& data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t pending = 0;
  int bits = 0;
  for (uint8_t byte : data) {
    pending = (pending << 8) | byte;
    bits += 8;
    for (; bits >= 5; bits -= 5) out += kAlphabet[(pending >> (bits - 5)) & 31];
  }
  if (bits > 0) out += kAlphabet[(pending << (5 - bits)) & 31];
  return out;
}

// base64url without padding (RFC 7515's encoding of JWT parts).
std::string Base64Url(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t pending = 0;
  int bits = 0;
  for (unsigned char byte : data) {
    pending = (pending << 8) | byte;
    bits += 8;
    for (; bits >= 6; bits -= 6) out += kAlphabet[(pending >> (bits - 6)) & 63];
  }
  if (bits > 0) out += kAlphabet[(pending << (6 - bits)) & 63];
  return out;
}

// Key bytes with their prefix and checksum, base32: the text form of every nkey.
std::string EncodeNkey(Bytes prefix, const uint8_t* key, size_t n) {
  prefix.insert(prefix.end(), key, key + n);
  uint16_t crc = Crc16Xmodem(prefix);
  prefix.push_back(static_cast<uint8_t>(crc & 0xff));  // little endian
  prefix.push_back(static_cast<uint8_t>(crc >> 8));
  return Base32(prefix);
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

PkeyPtr PrivateKey(const Nkey& key) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const uint8_t*>(key.raw_seed.data()), key.raw_seed.size()),
               &EVP_PKEY_free);
  if (!pkey) throw std::runtime_error("libcrypto: cannot load an ed25519 private key");
  return pkey;
}

std::string Sign(const Nkey& key, std::string_view message) {
  PkeyPtr pkey = PrivateKey(key);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  uint8_t signature[64];
  size_t length = sizeof(signature);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &length, reinterpret_cast<const uint8_t*>(message.data()), message.size()) !=
          1) {
    throw std::runtime_error("libcrypto: ed25519 signing failed");
  }
  return std::string(reinterpret_cast<const char*>(signature), length);
}

Bytes Sha512_256(std::string_view data) {
  Bytes digest(32);
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha512_256(), nullptr) != 1 || length != 32) {
    throw std::runtime_error("libcrypto: SHA-512/256 failed");
  }
  return digest;
}

// A v2 JWT of `subject` (a public key) issued by `issuer`, with `nats` as its type-specific part.
std::string EncodeJwt(const Nkey& issuer, const std::string& subject, const std::string& name, const Json& nats) {
  Json claims{
      {"iat",
       std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()},
      {"iss", issuer.public_key},
      {"name", name},
      {"sub", subject}};
  // nlohmann::json sorts keys, which here is also the Go struct's field order.
  claims["jti"] = Base32(Sha512_256(claims.dump()));
  claims["nats"] = nats;
  std::string signed_part = Base64Url(R"({"typ":"JWT","alg":"ed25519-nkey"})") + "." + Base64Url(claims.dump());
  return signed_part + "." + Base64Url(Sign(issuer, signed_part));
}

}  // namespace

Nkey MakeNkey(char type) {
  const uint8_t prefix = PrefixOf(type);
  Nkey key;
  key.type = type;
  key.raw_seed.resize(32);
  if (RAND_bytes(reinterpret_cast<uint8_t*>(key.raw_seed.data()), 32) != 1) {
    throw std::runtime_error("libcrypto: no random bytes");
  }
  PkeyPtr pkey = PrivateKey(key);
  uint8_t pub[32];
  size_t length = sizeof(pub);
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub, &length) != 1 || length != 32) {
    throw std::runtime_error("libcrypto: cannot derive an ed25519 public key");
  }
  key.public_key = EncodeNkey({prefix}, pub, 32);
  // A seed's two prefix bytes: 5 bits 'S', the 5 bits of the key type, 6 zero bits.
  key.seed = EncodeNkey({static_cast<uint8_t>(kSeedPrefix | (prefix >> 5)), static_cast<uint8_t>((prefix & 31) << 3)},
                        reinterpret_cast<const uint8_t*>(key.raw_seed.data()), 32);
  return key;
}

NatsOperator MakeNatsOperator() {
  NatsOperator op;
  op.operator_key = MakeNkey('O');
  op.account = MakeNkey('A');
  op.operator_jwt = EncodeJwt(op.operator_key, op.operator_key.public_key, "farrier-test-operator",
                              {{"type", "operator"}, {"version", 2}});
  // Limits as nsc writes them for a new account (-1: unlimited). Absent limits would be 0,
  // which for `conn` means no connections at all.
  op.account_jwt = EncodeJwt(op.operator_key, op.account.public_key, "farrier-test-account",
                             {{"limits",
                               {{"subs", -1},
                                {"data", -1},
                                {"payload", -1},
                                {"imports", -1},
                                {"exports", -1},
                                {"wildcards", true},
                                {"conn", -1},
                                {"leaf", -1}}},
                              {"type", "account"},
                              {"version", 2}});
  op.server_config = "operator: " + op.operator_jwt + "\nresolver: MEMORY\nresolver_preload: {\n  " +
                     op.account.public_key + ": " + op.account_jwt + "\n}\n";
  return op;
}

UserCreds WriteUserCreds(const std::filesystem::path& path, const Nkey& account, const std::string& name) {
  UserCreds creds;
  creds.user = MakeNkey('U');
  creds.jwt = EncodeJwt(account, creds.user.public_key, name,
                        {{"pub", Json::object()},
                         {"sub", Json::object()},
                         {"subs", -1},
                         {"data", -1},
                         {"payload", -1},
                         {"type", "user"},
                         {"version", 2}});
  std::ofstream out(path);
  out << "-----BEGIN NATS USER JWT-----\n"
      << creds.jwt << "\n------END NATS USER JWT------\n\n"
      << "************************* IMPORTANT *************************\n"
      << "NKEY Seed printed below can be used to sign and prove identity.\n"
      << "NKEYs are sensitive and should be treated as secrets.\n\n"
      << "-----BEGIN USER NKEY SEED-----\n"
      << creds.user.seed << "\n------END USER NKEY SEED------\n\n"
      << "*************************************************************\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
  return creds;
}

}  // namespace farrier::test
