// /accstatz: per-account connection counts and traffic on this server. Without ?unused=true the
// server lists only accounts that have client connections here (leaf-only accounts included
// only with it), so an account's series disappear when its last client leaves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/families.h"
#include "core/result.h"

namespace farrier {

struct AccountStat {
  std::string account;       // "acc"
  uint64_t connections = 0;  // "conns": client connections
  uint64_t leafnodes = 0;
  uint64_t total_connections = 0;  // "total_conns": conns + leafnodes
  // The account's traffic through this server, any connection kind (a gateway or route carrying
  // the account counts too).
  uint64_t sent_msgs = 0;  // sent.msgs
  uint64_t sent_bytes = 0;
  uint64_t received_msgs = 0;  // received.msgs
  uint64_t received_bytes = 0;
  uint64_t slow_consumers = 0;
  std::optional<uint64_t> subscriptions;  // num_subscriptions (2.10+)
};

struct Accstatz {
  std::string server_id;
  std::vector<AccountStat> accounts;
};

Result<Accstatz> ParseAccstatz(std::string_view body);
void RenderAccstatz(const Accstatz& accstatz, Families& out);

}  // namespace farrier
