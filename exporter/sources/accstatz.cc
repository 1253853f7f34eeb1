#include "sources/accstatz.h"

#include <algorithm>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

namespace {

void ReadData(const Json& stat, const char* key, const std::string& path, uint64_t* msgs, uint64_t* bytes) {
  const Json& data = Object(stat, key, path);
  if (data.is_null()) return;
  std::string dpath = path + "." + key;
  *msgs = U64(data, "msgs", dpath);
  *bytes = U64(data, "bytes", dpath);
}

}  // namespace

Result<Accstatz> ParseAccstatz(std::string_view body) {
  return ParseWith<Accstatz>("accstatz", body, [](const Json& j) {
    Accstatz a;
    a.server_id = Str(j, "server_id", "$", /*required=*/true);
    // Always printed (an empty list, never null) by 2.9: its absence means another endpoint.
    if (!j.contains("account_statz")) {
      throw SchemaError("$.account_statz: expected array, field missing");
    }
    const Json& list = Array(j, "account_statz", "$");
    if (list.is_null()) return a;
    a.accounts.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      std::string path = "$.account_statz[" + std::to_string(i) + "]";
      const Json& o = list[i];
      AccountStat s;
      s.account = Str(o, "acc", path, true);
      s.connections = U64(o, "conns", path);
      s.leafnodes = U64(o, "leafnodes", path);
      s.total_connections = U64(o, "total_conns", path);
      ReadData(o, "sent", path, &s.sent_msgs, &s.sent_bytes);
      ReadData(o, "received", path, &s.received_msgs, &s.received_bytes);
      s.slow_consumers = U64(o, "slow_consumers", path);
      s.subscriptions = OptU64(o, "num_subscriptions", path);
      a.accounts.push_back(std::move(s));
    }
    return a;
  });
}

void RenderAccstatz(const Accstatz& a, Families& out) {
  out.Gauge("nats_accstatz_accounts",
            "Accounts listed; without ?unused only those with clients here (/accstatz "
            "account_statz[]).")
      .Add(a.accounts.size());
  if (a.accounts.empty()) return;

  // Sorted by name so the exposition order does not follow the server's map iteration.
  std::vector<const AccountStat*> sorted;
  for (const AccountStat& s : a.accounts) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(),
            [](const AccountStat* x, const AccountStat* y) { return x->account < y->account; });

  auto conns = out.Gauge("nats_account_connections",
                         "Client connections of the account (/accstatz account_statz[].conns).");
  auto leafs = out.Gauge("nats_account_leafnodes",
                         "Leaf node connections of the account (/accstatz account_statz[].leafnodes).");
  auto sent_msgs = out.Counter("nats_account_messages_sent_total",
                               "Messages the server sent in this account, to any kind of "
                               "connection (/accstatz account_statz[].sent.msgs).");
  auto sent_bytes = out.Counter("nats_account_bytes_sent_total",
                                "Bytes the server sent in this account (/accstatz account_statz[].sent.bytes).");
  auto recv_msgs = out.Counter("nats_account_messages_received_total",
                               "Messages the server received in this account, from any kind of "
                               "connection (/accstatz account_statz[].received.msgs).");
  auto recv_bytes = out.Counter(
      "nats_account_bytes_received_total",
      "Bytes the server received in this account (/accstatz account_statz[].received.bytes).");
  auto slow = out.Counter("nats_account_slow_consumers_total",
                          "Slow consumer events of the account's connections (/accstatz "
                          "account_statz[].slow_consumers).");
  auto subs = out.Gauge("nats_account_subscriptions",
                        "Subscriptions of the account on this server (/accstatz "
                        "account_statz[].num_subscriptions; 2.10+).");
  for (const AccountStat* s : sorted) {
    Labels l{{"account", s->account}};
    if (s->subscriptions) subs.Add(*s->subscriptions, l);
    conns.Add(s->connections, l);
    leafs.Add(s->leafnodes, l);
    sent_msgs.Add(s->sent_msgs, l);
    sent_bytes.Add(s->sent_bytes, l);
    recv_msgs.Add(s->received_msgs, l);
    recv_bytes.Add(s->received_bytes, l);
    slow.Add(s->slow_consumers, l);
  }
}

}  // namespace farrier
