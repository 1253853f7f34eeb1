// NATS operator mode for tests: nkeys, JWTs and .creds files minted here, so a real nats-server
// can run with `operator:` + a memory resolver and a real client can log in with a creds file.
//
// Written from the formats, independently of exporter/services/nkey.cc (whose helpers are
// private to it and only derive a user's public key): nkeys are ed25519 keys (OpenSSL libcrypto)
// in base32 with a prefix byte and a CRC-16/XMODEM; JWTs are nats-io/jwt v2 tokens, header
// {"typ":"JWT","alg":"ed25519-nkey"}, signed over "<header>.<claims>" in base64url without
// padding. The jti is the base32 SHA-512/256 of the claims without it, as the Go library makes
// it; nats-server 2.9 does not check it.
//
// Every function throws std::runtime_error when libcrypto fails. Thread-safety: plain data.
#pragma once

#include <filesystem>
#include <string>

namespace farrier::test {

struct Nkey {
  char type = 'U';         // 'O' operator, 'A' account, 'U' user
  std::string public_key;  // e.g. "A..." (56 characters)
  std::string seed;        // e.g. "SA..." (58 characters): the secret
  std::string raw_seed;    // the 32 bytes of the ed25519 private key
};

// A fresh random key pair of `type` ('O', 'A' or 'U').
Nkey MakeNkey(char type);

// A self-signed operator, one account it signs, and the nats-server configuration that trusts
// them (`operator: <jwt>`, `resolver: MEMORY`, `resolver_preload` with the account's JWT).
struct NatsOperator {
  Nkey operator_key;
  Nkey account;
  std::string operator_jwt, account_jwt;
  std::string server_config;  // for NatsServerOptions::extra_config
};
NatsOperator MakeNatsOperator();

// A new user whose JWT `account` signs (the user's account is the signer, as nsc does without
// signing keys), written as a standard .creds file (JWT block, then the seed block).
struct UserCreds {
  Nkey user;
  std::string jwt;
};
UserCreds WriteUserCreds(const std::filesystem::path& path, const Nkey& account, const std::string& name = "farrier");

}  // namespace farrier::test
