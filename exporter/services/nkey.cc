#include "services/nkey.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace farrier {
namespace {

// nkeys encoding (github.com/nats-io/nkeys): base32 (RFC 4648 alphabet, no padding) of
// prefix bytes + 32 key bytes + CRC-16/XMODEM of everything before it, little endian.
constexpr uint8_t kPrefixSeed = 18 << 3;  // 'S'
constexpr uint8_t kPrefixUser = 20 << 3;  // 'U'
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint16_t Crc16(const uint8_t* data, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint16_t>(data[i]) << 8;
    for (int b = 0; b < 8; ++b)
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

bool Base32Decode(std::string_view text, std::vector<uint8_t>* out) {
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = std::char_traits<char>::find(kAlphabet, 32, c);
    if (!at) return false;
    buffer = (buffer << 5) | static_cast<uint32_t>(at - kAlphabet);
    bits += 5;
    if (bits >= 8) {
      out->push_back(static_cast<uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  return true;
}

std::string Base32Encode(const std::vector<uint8_t>& data) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

}  // namespace

Result<std::string> NkeyPublicFromSeed(std::string_view seed) {
  std::vector<uint8_t> raw;
  if (!Base32Decode(seed, &raw) || raw.size() != 2 + 32 + 2) {
    return Error{"not an nkey seed (expected 58 characters of base32 starting with SU)"};
  }
  uint16_t crc = static_cast<uint16_t>(raw[34] | (raw[35] << 8));
  if (Crc16(raw.data(), 34) != crc) return Error{"not an nkey seed (checksum mismatch)"};
  // Seed prefix: 5 bits 'S', then the 5 bits of the key type, then 6 zero bits.
  uint8_t type = static_cast<uint8_t>(((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3));
  if ((raw[0] & 0xf8) != kPrefixSeed || type != kPrefixUser) {
    return Error{"not a user nkey seed (expected one starting with SU)"};
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data() + 2, 32), &EVP_PKEY_free);
  std::array<uint8_t, 32> pub{};
  size_t len = pub.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != 32) {
    return Error{"cannot derive the public key from the nkey seed"};
  }
  std::vector<uint8_t> encoded{kPrefixUser};
  encoded.insert(encoded.end(), pub.begin(), pub.end());
  uint16_t pub_crc = Crc16(encoded.data(), encoded.size());
  encoded.push_back(static_cast<uint8_t>(pub_crc & 0xff));
  encoded.push_back(static_cast<uint8_t>(pub_crc >> 8));
  return Base32Encode(encoded);
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A block marker line: dashes, a title, dashes ("-----BEGIN NATS USER JWT-----",
// "------END NATS USER JWT------").
bool IsMarker(std::string_view line) {
  return line.size() > 6 && line.substr(0, 3) == "---" && line.substr(line.size() - 3) == "---";
}

// The first non-empty line after the marker whose title contains `begin`, or "".
std::string_view BlockAfter(std::string_view text, std::string_view begin) {
  bool inside = false;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = Trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (IsMarker(line)) {
      if (inside) return {};
      inside = line.find(begin) != std::string_view::npos;
    } else if (inside && !line.empty()) {
      return line;
    }
  }
  return {};
}

}  // namespace

Result<CredsParts> ParseCreds(std::string_view text) {
  CredsParts parts;
  parts.jwt = std::string(BlockAfter(text, "BEGIN NATS USER JWT"));
  if (parts.jwt.empty()) {
    return Error{"no user JWT (expected a \"-----BEGIN NATS USER JWT-----\" block, as nsc writes creds files)"};
  }
  std::string_view seed = BlockAfter(text, "BEGIN USER NKEY SEED");
  if (seed.empty()) {
    return Error{"no user seed (expected a \"-----BEGIN USER NKEY SEED-----\" block after the JWT)"};
  }
  if (Result<std::string> pub = NkeyPublicFromSeed(seed); !pub) return Error{"the seed block holds " + pub.error()};
  parts.seed = std::string(seed);
  return parts;
}

}  // namespace farrier
