#include "sources/jsz.h"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <tuple>

#include "core/json_fields.h"
#include "core/json_scanner.h"
#include "sources/jsz_health.h"

namespace farrier {

using namespace json_fields;

namespace {

// Parsing. /jsz grows with the consumers (~1 KB each: 10 MB at 10,000), so it is scanned, not
// built into a document: the arrays that grow (account_details, stream_detail,
// consumer_detail) and each consumer's fields are read by JsonScanner, and only the small
// sub-objects that do not grow with the deployment (a stream's config, state and cluster, the
// meta group, api) are parsed as little documents by the json_fields readers. The scanner
// validates all the text it passes over, skipped values included.

// A scanner failure as the exception ParseJsz turns into an Error.
[[noreturn]] void Fail(const JsonScanner& s) {
  if (s.syntax_error()) throw SyntaxError(s.error());
  throw SchemaError(s.error());
}

void Must(const JsonScanner& s, bool ok) {
  if (!ok || !s.ok()) Fail(s);
}

// The next value (already validated by the scanner) as a small document for the json_fields
// readers, which check its type against `path` as they would in a whole-body parse.
Json SubDocument(JsonScanner& s) {
  std::string_view raw;
  Must(s, s.SkipRaw(&raw));
  try {
    return Json::parse(raw);
  } catch (const Json::parse_error& e) {  // text the scanner passes but nlohmann refuses (bad UTF-8)
    throw SyntaxError(e.what());
  }
}

std::string Member(std::string_view path, std::string_view key) {
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string Element(std::string_view path, std::string_view key, size_t i) {
  return Member(path, key) + "[" + std::to_string(i) + "]";
}

// An optional RFC 3339 time as Unix seconds; absent when empty or unparseable (Go prints a zero
// time.Time as 0001-01-01, before the epoch: also absent).
std::optional<double> TimeOrNone(const std::string& text) {
  double seconds = text.empty() ? -1 : Rfc3339Seconds(text);
  return seconds > 0 ? std::optional<double>(seconds) : std::nullopt;
}

std::optional<double> OptTime(const Json& obj, std::string_view key, const std::string& path) {
  if (obj.is_null()) return std::nullopt;
  return TimeOrNone(Str(obj, key, path));
}

// cluster.replicas of a stream, or meta_cluster.replicas: PeerInfo in the server's sources.
std::vector<JszPeer> PeerList(const Json& cluster, const std::string& cpath) {
  std::vector<JszPeer> peers;
  const Json& replicas = Array(cluster, "replicas", cpath);
  if (replicas.is_null()) return peers;
  for (size_t i = 0; i < replicas.size(); ++i) {
    const std::string rpath = cpath + ".replicas[" + std::to_string(i) + "]";
    const Json& r = replicas[i];
    JszPeer peer;
    peer.name = Str(r, "name", rpath, /*required=*/true);
    peer.current = Bool(r, "current", rpath);
    peer.active_seconds = static_cast<double>(I64(r, "active", rpath)) / 1e9;  // a Go time.Duration
    peer.lag = U64(r, "lag", rpath);
    peer.offline = Bool(r, "offline", rpath);
    peers.push_back(std::move(peer));
  }
  return peers;
}

void ParseMeta(const Json& meta, Jsz& jsz) {
  const std::string path = "$.meta_cluster";
  jsz.meta_leader = Str(meta, "leader", path);
  jsz.meta_cluster_size = U64(meta, "cluster_size", path);
  jsz.meta_pending = OptU64(meta, "pending", path);
  jsz.meta_quorum_needed = OptU64(meta, "quorum_needed", path);
  jsz.meta_peers = PeerList(meta, path);
  const Json& snapshot = Object(meta, "snapshot", path);
  if (!snapshot.is_null()) {
    const std::string spath = path + ".snapshot";
    Jsz::MetaSnapshot snap;
    snap.pending_entries = U64(snapshot, "pending_entries", spath);
    snap.pending_bytes = U64(snapshot, "pending_size", spath);
    std::string last = Str(snapshot, "last_time", spath);
    if (!last.empty()) snap.last_time_seconds = std::max(0.0, Rfc3339Seconds(last));
    snap.last_duration_seconds = static_cast<double>(I64(snapshot, "last_duration", spath)) / 1e9;
    jsz.meta_snapshot = snap;
  }
}

// A stream's mirror or one of its sources. `now` is the body's "now", which the server prints
// before account_details (JSInfo's field order), so it is known by the time streams are read.
JszStreamOrigin ParseOrigin(const Json& o, const std::string& path, std::optional<double> now) {
  if (!o.is_object()) throw SchemaError(path + ": expected object, got " + o.type_name());
  JszStreamOrigin out;
  out.name = Str(o, "name", path, /*required=*/true);
  out.lag = U64(o, "lag", path);
  int64_t active = I64(o, "active", path);  // nanoseconds since; -1: never
  if (now && active >= 0) out.last_active_seconds = *now - static_cast<double>(active) / 1e9;
  return out;
}

// The next value as a small document that must be an object (the type check json_fields::Object
// does): `key` of the object at `path`.
Json SubObject(JsonScanner& s, std::string_view path, std::string_view key) {
  Json value = SubDocument(s);
  if (!value.is_object()) throw SchemaError(Member(path, key) + ": expected object, got " + value.type_name());
  return value;
}

// Calls `member(key)` for every member of the object at `path` that is not null; `member` must
// read or skip the value (Skip when it is not one we use).
template <class Member>
void ForEachMember(JsonScanner& s, const std::string& path, Member&& member) {
  Must(s, s.EnterObject(path));
  std::string_view key;
  while (s.NextMember(&key)) {
    if (!s.ConsumeNull()) member(key);
  }
  Must(s, true);
}

// Calls `element(i)` for every element of the array `key` of the object at `path`.
template <class Element>
void ForEachElement(JsonScanner& s, const std::string& path, std::string_view key, Element&& element) {
  Must(s, s.EnterArray(Member(path, key)));
  for (size_t i = 0; s.NextElement(); ++i) element(i);
  Must(s, true);
}

// Typed reads of member `key` of the object at `path`.
void Read(JsonScanner& s, const std::string& path, std::string_view key, uint64_t* out) {
  Must(s, s.ReadU64(Member(path, key), out));
}
void Read(JsonScanner& s, const std::string& path, std::string_view key, int64_t* out) {
  Must(s, s.ReadI64(Member(path, key), out));
}
void Read(JsonScanner& s, const std::string& path, std::string_view key, bool* out) {
  Must(s, s.ReadBool(Member(path, key), out));
}
void Read(JsonScanner& s, const std::string& path, std::string_view key, std::string* out) {
  Must(s, s.ReadString(Member(path, key), out));
}
void ReadTime(JsonScanner& s, const std::string& path, std::string_view key, std::optional<double>* out) {
  std::string text;
  Read(s, path, key, &text);
  *out = TimeOrNone(text);
}
void Skip(JsonScanner& s) { Must(s, s.Skip()); }

// Reads `key` into its place when it is one of `fields` (the plain counts of an object); false
// when it is none of them.
using CountFields = std::initializer_list<std::pair<std::string_view, uint64_t*>>;
bool ReadCount(JsonScanner& s, const std::string& path, std::string_view key, CountFields fields) {
  for (const auto& [name, out] : fields) {
    if (key == name) {
      Read(s, path, key, out);
      return true;
    }
  }
  return false;
}

// The objects' "name" is required, wherever it comes in the object.
void RequireName(bool seen, const std::string& path) {
  if (!seen) throw SchemaError(path + ".name: expected string, field missing");
}

// delivered / ack_floor of a consumer: SequenceInfo.
void ScanSequence(JsonScanner& s, const std::string& path, uint64_t* consumer_seq, uint64_t* stream_seq,
                  std::optional<double>* last_active) {
  ForEachMember(s, path, [&](std::string_view key) {
    if (key == "consumer_seq") {
      Read(s, path, key, consumer_seq);
    } else if (key == "stream_seq") {
      Read(s, path, key, stream_seq);
    } else if (key == "last_active") {
      ReadTime(s, path, key, last_active);
    } else {
      Skip(s);
    }
  });
}

// One element of consumer_detail: ConsumerInfo. Its config (most of its bytes) is skipped but
// for the two fields used.
JszConsumer ScanConsumer(JsonScanner& s, const std::string& path) {
  JszConsumer out;
  bool has_name = false;
  ForEachMember(s, path, [&](std::string_view key) {
    if (ReadCount(s, path, key,
                  {{"num_pending", &out.num_pending},
                   {"num_ack_pending", &out.num_ack_pending},
                   {"num_redelivered", &out.num_redelivered},
                   {"num_waiting", &out.num_waiting}})) {
      return;
    }
    if (key == "name") {
      Read(s, path, key, &out.name);
      has_name = true;
    } else if (key == "created") {
      Read(s, path, key, &out.created);
    } else if (key == "cluster") {
      const std::string cpath = Member(path, key);
      ForEachMember(s, cpath, [&](std::string_view ckey) {
        if (ckey == "leader") {
          Read(s, cpath, ckey, &out.leader);
        } else if (ckey == "leader_since") {
          ReadTime(s, cpath, ckey, &out.leader_since_seconds);
        } else {
          Skip(s);
        }
      });
    } else if (key == "config") {
      const std::string cpath = Member(path, key);
      ForEachMember(s, cpath, [&](std::string_view ckey) {
        if (ckey == "durable_name") {
          std::string durable;
          Read(s, cpath, ckey, &durable);
          out.durable = !durable.empty();
        } else if (ckey == "max_ack_pending") {
          Read(s, cpath, ckey, &out.max_ack_pending);
        } else {
          Skip(s);
        }
      });
    } else if (key == "delivered") {
      ScanSequence(s, Member(path, key), &out.delivered_consumer_seq, &out.delivered_stream_seq,
                   &out.last_delivery_seconds);
    } else if (key == "ack_floor") {
      ScanSequence(s, Member(path, key), &out.ack_floor_consumer_seq, &out.ack_floor_stream_seq, &out.last_ack_seconds);
    } else if (key == "paused") {
      Read(s, path, key, &out.paused);
    } else if (key == "pause_remaining") {
      int64_t ns = 0;  // a Go time.Duration
      Read(s, path, key, &ns);
      out.pause_remaining_seconds = static_cast<double>(ns) / 1e9;
    } else {
      Skip(s);
    }
  });
  RequireName(has_name, path);
  return out;
}

void StreamConfig(const Json& config, const std::string& cpath, JszStream& out) {
  out.storage = Str(config, "storage", cpath);
  if (config.contains("max_bytes")) out.max_bytes = I64(config, "max_bytes", cpath);
  if (config.contains("max_msgs")) out.max_msgs = I64(config, "max_msgs", cpath);
  out.replicas = std::max<uint64_t>(1, U64(config, "num_replicas", cpath));
}

void StreamState(const Json& state, const std::string& spath, JszStream& out) {
  out.messages = U64(state, "messages", spath);
  out.bytes = U64(state, "bytes", spath);
  out.first_seq = U64(state, "first_seq", spath);
  out.last_seq = U64(state, "last_seq", spath);
  out.consumer_count = U64(state, "consumer_count", spath);
  out.num_subjects = U64(state, "num_subjects", spath);
  out.num_deleted = U64(state, "num_deleted", spath);
}

// One element of stream_detail: StreamDetail. Its consumers go to jsz.consumer_details,
// labelled with the stream once the stream's name is known.
void ScanStream(JsonScanner& s, const std::string& path, Jsz& jsz) {
  JszStream out;
  bool has_name = false;
  const size_t first_consumer = jsz.consumer_details.size();
  ForEachMember(s, path, [&](std::string_view key) {
    if (key == "name") {
      Read(s, path, key, &out.name);
      has_name = true;
    } else if (key == "created") {
      Read(s, path, key, &out.created);
    } else if (key == "cluster") {
      const std::string cpath = Member(path, key);
      const Json cluster = SubObject(s, path, key);
      out.leader = Str(cluster, "leader", cpath);
      out.leader_since_seconds = OptTime(cluster, "leader_since", cpath);
      out.peers = PeerList(cluster, cpath);
    } else if (key == "mirror") {
      out.mirror = ParseOrigin(SubDocument(s), Member(path, key), jsz.now_seconds);
    } else if (key == "sources") {
      ForEachElement(s, path, key, [&](size_t i) {
        out.sources.push_back(ParseOrigin(SubDocument(s), Element(path, key, i), jsz.now_seconds));
      });
    } else if (key == "config") {
      StreamConfig(SubObject(s, path, key), Member(path, key), out);
    } else if (key == "state") {
      StreamState(SubObject(s, path, key), Member(path, key), out);
    } else if (key == "consumer_detail") {
      ForEachElement(s, path, key,
                     [&](size_t i) { jsz.consumer_details.push_back(ScanConsumer(s, Element(path, key, i))); });
    } else {
      Skip(s);
    }
  });
  RequireName(has_name, path);
  for (size_t i = first_consumer; i < jsz.consumer_details.size(); ++i) jsz.consumer_details[i].stream = out.name;
  jsz.stream_details.push_back(std::move(out));
}

// One element of account_details: AccountDetail.
void ScanAccount(JsonScanner& s, const std::string& path, Jsz& jsz) {
  JszAccount acc;
  bool has_name = false;
  const size_t first_stream = jsz.stream_details.size();
  const size_t first_consumer = jsz.consumer_details.size();
  ForEachMember(s, path, [&](std::string_view key) {
    if (ReadCount(s, path, key,
                  {{"memory", &acc.memory_bytes},
                   {"storage", &acc.storage_bytes},
                   {"reserved_memory", &acc.reserved_memory_bytes},
                   {"reserved_storage", &acc.reserved_storage_bytes}})) {
      return;
    }
    if (key == "name") {
      Read(s, path, key, &acc.name);
      has_name = true;
    } else if (key == "api") {
      const std::string apath = Member(path, key);
      const Json api = SubObject(s, path, key);
      acc.api_total = U64(api, "total", apath);
      acc.api_errors = U64(api, "errors", apath);
    } else if (key == "stream_detail") {
      ForEachElement(s, path, key, [&](size_t i) { ScanStream(s, Element(path, key, i), jsz); });
    } else {
      Skip(s);
    }
  });
  RequireName(has_name, path);
  acc.streams = jsz.stream_details.size() - first_stream;
  for (size_t i = first_stream; i < jsz.stream_details.size(); ++i) jsz.stream_details[i].account = acc.name;
  for (size_t i = first_consumer; i < jsz.consumer_details.size(); ++i) jsz.consumer_details[i].account = acc.name;
  jsz.account_details.push_back(std::move(acc));
}

Jsz ScanJsz(std::string_view body) {
  JsonScanner s(body);
  Jsz jsz;
  jsz.enabled = true;
  bool has_server_id = false;
  bool has_memory = false;
  const std::string root = "$";
  ForEachMember(s, root, [&](std::string_view key) {
    if (ReadCount(s, root, key,
                  {{"memory", &jsz.memory_bytes},
                   {"storage", &jsz.storage_bytes},
                   {"reserved_memory", &jsz.reserved_memory_bytes},
                   {"reserved_storage", &jsz.reserved_storage_bytes},
                   {"accounts", &jsz.accounts},
                   {"ha_assets", &jsz.ha_assets},
                   {"streams", &jsz.streams},
                   {"consumers", &jsz.consumers},
                   {"messages", &jsz.messages},
                   {"bytes", &jsz.bytes}})) {
      has_memory |= key == "memory";
      return;
    }
    const std::string path = Member(root, key);
    if (key == "server_id") {
      Read(s, root, key, &jsz.server_id);
      has_server_id = true;
    } else if (key == "disabled") {
      // A server without JetStream answers {"disabled": true, ...}.
      bool disabled = false;
      Read(s, root, key, &disabled);
      jsz.enabled = !disabled;
    } else if (key == "now") {
      ReadTime(s, root, key, &jsz.now_seconds);
    } else if (key == "config") {
      const Json config = SubObject(s, root, key);
      jsz.max_memory_bytes = U64(config, "max_memory", path);
      jsz.max_storage_bytes = U64(config, "max_storage", path);
    } else if (key == "api") {
      const Json api = SubObject(s, root, key);
      jsz.api_total = U64(api, "total", path);
      jsz.api_errors = U64(api, "errors", path);
      jsz.api_level = OptU64(api, "level", path);
    } else if (key == "meta_cluster") {
      ParseMeta(SubObject(s, root, key), jsz);
    } else if (key == "account_details") {
      ForEachElement(s, root, key, [&](size_t i) { ScanAccount(s, Element(root, key, i), jsz); });
    } else {
      Skip(s);
    }
  });
  Must(s, s.AtEnd());
  if (!has_server_id) throw SchemaError("$.server_id: expected string, field missing");
  // "memory" is always printed when enabled: requiring it keeps another endpoint's body
  // (which also has server_id) from passing as an empty JetStream.
  if (jsz.enabled && !has_memory) throw SchemaError("$.memory: expected unsigned integer, field missing");
  return jsz;
}

}  // namespace

Result<Jsz> ParseJsz(std::string_view body) {
  try {
    return ScanJsz(body);
  } catch (const SyntaxError& e) {
    return Error{std::string("jsz: ") + e.what(), ErrorKind::kInvalidJson};
  } catch (const std::exception& e) {
    return Error{std::string("jsz: ") + e.what(), ErrorKind::kSchema};
  }
}

// A server outside a JetStream cluster leads everything it holds (2.9 still names itself as
// cluster.leader of its streams); inside one, compare the leader with our own name.
bool LedHere(const Jsz& jsz, const std::string& leader, std::string_view server_name) {
  return jsz.meta_cluster_size == 0 || leader.empty() || leader == server_name;
}

namespace {

// The meta group (every JetStream server is in it): its leader, size and queue from every
// server, the state of its other members only from the leader.
void RenderMeta(const Jsz& j, std::string_view server_name, Families& out) {
  const bool leader = !server_name.empty() && j.meta_leader == server_name;
  out.Gauge("nats_jetstream_meta_cluster_size", "Servers in the JetStream meta group (/jsz meta_cluster.cluster_size).")
      .Add(j.meta_cluster_size);
  out.Gauge("nats_jetstream_meta_leader", "1 when this server is the JetStream meta leader (/jsz meta_cluster.leader).")
      .Add(leader ? 1 : 0);
  out.Gauge("nats_jetstream_meta_leader_known",
            "1 when this server knows a JetStream meta leader, 0 while there is none "
            "(/jsz meta_cluster.leader).")
      .Add(j.meta_leader.empty() ? 0 : 1);
  if (j.meta_pending) {
    out.Gauge("nats_jetstream_meta_pending",
              "JetStream API requests queued for the meta layer, not yet processed "
              "(/jsz meta_cluster.pending; 2.10.21+).")
        .Add(*j.meta_pending);
  }
  if (j.meta_quorum_needed) {
    out.Gauge("nats_jetstream_meta_quorum_needed",
              "Servers the meta group needs for a quorum now (/jsz meta_cluster.quorum_needed; 2.15+).")
        .Add(*j.meta_quorum_needed);
  }
  if (j.meta_snapshot) {
    const Jsz::MetaSnapshot& snap = *j.meta_snapshot;
    out.Gauge("nats_jetstream_meta_snapshot_pending_entries",
              "Meta log entries since the last meta snapshot (/jsz meta_cluster.snapshot.pending_entries).")
        .Add(snap.pending_entries);
    out.Gauge("nats_jetstream_meta_snapshot_pending_bytes",
              "Size of the meta log entries since the last meta snapshot (/jsz meta_cluster.snapshot.pending_size).")
        .Add(snap.pending_bytes);
    if (snap.last_time_seconds > 0) {
      out.Gauge("nats_jetstream_meta_snapshot_last_time_seconds",
                "Unix time of the last meta snapshot (/jsz meta_cluster.snapshot.last_time).")
          .Add(snap.last_time_seconds);
      out.Gauge("nats_jetstream_meta_snapshot_last_duration_seconds",
                "How long the last meta snapshot took (/jsz meta_cluster.snapshot.last_duration).")
          .Add(snap.last_duration_seconds);
    }
  }
  if (!leader || j.meta_peers.empty()) return;
  auto current = out.Gauge("nats_jetstream_meta_replica_current",
                           "1 when this meta group member is caught up, from the meta leader only "
                           "(/jsz meta_cluster.replicas[].current).");
  auto offline = out.Gauge("nats_jetstream_meta_replica_offline",
                           "1 when the meta leader has not heard from this member recently "
                           "(/jsz meta_cluster.replicas[].offline).");
  auto active = out.Gauge("nats_jetstream_meta_replica_last_active_seconds",
                          "Seconds since the meta leader last heard from this member "
                          "(/jsz meta_cluster.replicas[].active).");
  auto lag = out.Gauge("nats_jetstream_meta_replica_lag",
                       "Meta log entries this member is behind the leader (/jsz meta_cluster.replicas[].lag).");
  for (const JszPeer& peer : j.meta_peers) {
    Labels l{{"replica", peer.name}};
    current.Add(peer.current ? 1 : 0, l);
    offline.Add(peer.offline ? 1 : 0, l);
    active.Add(peer.active_seconds, l);
    lag.Add(peer.lag, l);
  }
}

void RenderServer(const Jsz& j, std::string_view server_name, Families& out) {
  out.Gauge("nats_jetstream_enabled", "1 when JetStream is enabled on this server (/jsz disabled).")
      .Add(j.enabled ? 1 : 0);
  if (!j.enabled) return;
  out.Gauge("nats_jetstream_memory_bytes", "Memory used by JetStream streams (/jsz memory).").Add(j.memory_bytes);
  out.Gauge("nats_jetstream_storage_bytes", "File storage used by JetStream streams (/jsz storage).")
      .Add(j.storage_bytes);
  out.Gauge("nats_jetstream_reserved_memory_bytes", "Memory reserved by stream limits (/jsz reserved_memory).")
      .Add(j.reserved_memory_bytes);
  out.Gauge("nats_jetstream_reserved_storage_bytes", "Storage reserved by stream limits (/jsz reserved_storage).")
      .Add(j.reserved_storage_bytes);
  out.Gauge("nats_jetstream_max_memory_bytes", "JetStream memory limit (/jsz config.max_memory).")
      .Add(j.max_memory_bytes);
  out.Gauge("nats_jetstream_max_storage_bytes", "JetStream storage limit (/jsz config.max_storage).")
      .Add(j.max_storage_bytes);
  out.Gauge("nats_jetstream_accounts", "Accounts with JetStream enabled (/jsz accounts).").Add(j.accounts);
  out.Gauge("nats_jetstream_ha_assets", "Replicated streams and consumers (/jsz ha_assets).").Add(j.ha_assets);
  out.Counter("nats_jetstream_api_requests_total", "JetStream API requests (/jsz api.total).").Add(j.api_total);
  out.Counter("nats_jetstream_api_errors_total", "JetStream API errors (/jsz api.errors).").Add(j.api_errors);
  out.Gauge("nats_jetstream_streams", "Streams this server holds a replica of (/jsz streams).").Add(j.streams);
  out.Gauge("nats_jetstream_consumers", "Consumers this server holds a replica of (/jsz consumers).").Add(j.consumers);
  out.Gauge("nats_jetstream_messages", "Messages stored in this server's replicas (/jsz messages).").Add(j.messages);
  out.Gauge("nats_jetstream_bytes", "Bytes stored in this server's replicas (/jsz bytes).").Add(j.bytes);
  if (j.api_level) {
    out.Gauge("nats_jetstream_api_level", "The JetStream API level this server speaks (/jsz api.level; 2.11+).")
        .Add(*j.api_level);
  }
  if (j.meta_cluster_size > 0) RenderMeta(j, server_name, out);
}

void RenderAccounts(const Jsz& j, Families& out) {
  if (j.account_details.empty()) return;
  auto memory = out.Gauge("nats_jetstream_account_memory_bytes",
                          "Memory used by the account's streams (/jsz account_details[].memory).");
  auto storage = out.Gauge("nats_jetstream_account_storage_bytes",
                           "Storage used by the account's streams (/jsz account_details[].storage).");
  auto api = out.Counter("nats_jetstream_account_api_requests_total",
                         "JetStream API requests of the account (/jsz account_details[].api.total).");
  auto errors = out.Counter("nats_jetstream_account_api_errors_total",
                            "JetStream API errors of the account (/jsz account_details[].api.errors).");
  auto streams = out.Gauge("nats_jetstream_account_streams",
                           "Streams of the account on this server (/jsz account_details[].stream_detail).");
  for (const JszAccount& a : j.account_details) {
    Labels l{{"account", a.name}};
    memory.Add(a.memory_bytes, l);
    storage.Add(a.storage_bytes, l);
    api.Add(a.api_total, l);
    errors.Add(a.api_errors, l);
    streams.Add(a.streams, l);
    RenderAccountLimits(a, out);
  }
}

size_t RenderStreams(const Jsz& j, const JszRenderOptions& o, std::string_view server_name, Families& out) {
  std::vector<const JszStream*> streams;
  for (const JszStream& s : j.stream_details) streams.push_back(&s);
  std::sort(streams.begin(), streams.end(), [](const JszStream* a, const JszStream* b) {
    return std::tie(a->account, a->name) < std::tie(b->account, b->name);
  });
  size_t dropped = streams.size() > o.stream_limit ? streams.size() - o.stream_limit : 0;
  streams.resize(std::min(streams.size(), o.stream_limit));
  if (streams.empty()) return dropped;

  auto leader = out.Gauge(
      "nats_stream_leader",
      "1 when this server leads the stream, 0 on a follower (/jsz stream_detail[].cluster.leader).");
  auto messages = out.Gauge("nats_stream_messages", "Messages in the stream (/jsz stream_detail[].state.messages).");
  auto bytes = out.Gauge("nats_stream_bytes", "Bytes in the stream (/jsz stream_detail[].state.bytes).");
  auto first = out.Gauge("nats_stream_first_seq",
                         "First sequence in the stream (/jsz stream_detail[].state.first_seq).");
  auto last = out.Gauge("nats_stream_last_seq", "Last sequence in the stream (/jsz stream_detail[].state.last_seq).");
  auto consumers = out.Gauge("nats_stream_consumers",
                             "Consumers of the stream (/jsz stream_detail[].state.consumer_count).");
  auto subjects = out.Gauge("nats_stream_subjects",
                            "Distinct subjects in the stream (/jsz stream_detail[].state.num_subjects).");
  auto deleted = out.Gauge("nats_stream_deleted_messages",
                           "Deleted messages inside the stream's range (/jsz stream_detail[].state.num_deleted).");
  auto replicas = out.Gauge("nats_stream_replicas", "Configured replicas (/jsz stream_detail[].config.num_replicas).");
  auto max_bytes = out.Gauge("nats_stream_max_bytes",
                             "Configured byte limit, absent when unlimited (/jsz stream_detail[].config.max_bytes).");
  auto max_msgs = out.Gauge("nats_stream_max_messages",
                            "Configured message limit, absent when unlimited (/jsz stream_detail[].config.max_msgs).");
  auto peer_lag = out.Gauge("nats_stream_replica_lag",
                            "Log entries this replica is behind the leader, from the leader only "
                            "(/jsz stream_detail[].cluster.replicas[].lag).");
  auto peer_current = out.Gauge("nats_stream_replica_current",
                                "1 when this replica is caught up with the leader, from the leader only "
                                "(/jsz stream_detail[].cluster.replicas[].current).");
  auto peer_active = out.Gauge("nats_stream_replica_last_active_seconds",
                               "Seconds since the leader last heard from this replica, from the leader only "
                               "(/jsz stream_detail[].cluster.replicas[].active).");
  for (const JszStream* s : streams) {
    Labels l{{"account", s->account}, {"stream", s->name}};
    bool led = LedHere(j, s->leader, server_name);
    leader.Add(led ? 1 : 0, l);
    if (led) {
      for (const JszPeer& peer : s->peers) {
        Labels pl{{"account", s->account}, {"stream", s->name}, {"replica", peer.name}};
        peer_lag.Add(peer.lag, pl);
        peer_current.Add(peer.current ? 1 : 0, pl);
        peer_active.Add(peer.active_seconds, pl);
      }
    }
    if (o.leader_only && !led) continue;
    messages.Add(s->messages, l);
    bytes.Add(s->bytes, l);
    first.Add(s->first_seq, l);
    last.Add(s->last_seq, l);
    consumers.Add(s->consumer_count, l);
    subjects.Add(s->num_subjects, l);
    deleted.Add(s->num_deleted, l);
    replicas.Add(s->replicas, l);
    if (s->max_bytes >= 0) max_bytes.Add(s->max_bytes, l);
    if (s->max_msgs >= 0) max_msgs.Add(s->max_msgs, l);
    RenderStreamHealth(*s, out);
  }
  return dropped;
}

size_t RenderConsumers(const Jsz& j, const JszRenderOptions& o, std::string_view server_name, bool can_pause,
                       Families& out) {
  using Key = std::tuple<std::string, std::string, std::string>;  // account, stream, consumer
  struct Row {
    const JszConsumer* consumer = nullptr;  // null for a fold of ephemerals
    bool led = false;
    uint64_t pending = 0, ack_pending = 0, redelivered = 0, waiting = 0;
  };
  std::map<Key, Row> rows;  // sorted, so the cap keeps a stable set
  for (const JszConsumer& c : j.consumer_details) {
    bool led = LedHere(j, c.leader, server_name);
    bool fold = o.fold_ephemeral && !c.durable;
    if (fold && o.leader_only && !led) continue;
    Key key{c.account, c.stream, fold ? std::string(kEphemeralConsumerLabel) : c.name};
    Row& row = rows[key];
    row.consumer = fold ? nullptr : &c;
    row.led = row.led || led;
    row.pending += c.num_pending;
    row.ack_pending += c.num_ack_pending;
    row.redelivered += c.num_redelivered;
    row.waiting += c.num_waiting;
  }
  size_t dropped = rows.size() > o.consumer_limit ? rows.size() - o.consumer_limit : 0;
  if (rows.empty()) return dropped;

  auto leader = out.Gauge(
      "nats_consumer_leader",
      "1 when this server leads the consumer, 0 on a follower (/jsz consumer_detail[].cluster.leader).");
  auto pending = out.Gauge("nats_consumer_num_pending",
                           "Stream messages not yet delivered to the consumer (/jsz consumer_detail[].num_pending).");
  auto ack_pending = out.Gauge("nats_consumer_num_ack_pending",
                               "Delivered messages awaiting acknowledgement (/jsz consumer_detail[].num_ack_pending).");
  auto redelivered = out.Gauge(
      "nats_consumer_num_redelivered",
      "Messages redelivered and not yet acknowledged (/jsz consumer_detail[].num_redelivered).");
  auto waiting = out.Gauge("nats_consumer_num_waiting",
                           "Pull requests waiting for messages (/jsz consumer_detail[].num_waiting).");
  auto delivered_cseq = out.Gauge("nats_consumer_delivered_consumer_seq",
                                  "Last delivered consumer sequence (/jsz consumer_detail[].delivered.consumer_seq).");
  auto delivered_sseq = out.Gauge("nats_consumer_delivered_stream_seq",
                                  "Last delivered stream sequence (/jsz consumer_detail[].delivered.stream_seq).");
  auto floor_cseq = out.Gauge(
      "nats_consumer_ack_floor_consumer_seq",
      "Consumer sequence below which all is acknowledged (/jsz consumer_detail[].ack_floor.consumer_seq).");
  auto floor_sseq = out.Gauge(
      "nats_consumer_ack_floor_stream_seq",
      "Stream sequence below which all is acknowledged (/jsz consumer_detail[].ack_floor.stream_seq).");
  auto max_ack = out.Gauge(
      "nats_consumer_max_ack_pending",
      "Configured limit of unacknowledged messages (/jsz consumer_detail[].config.max_ack_pending).");
  auto paused = out.Gauge("nats_consumer_paused",
                          "1 while the consumer is paused: its backlog grows on purpose "
                          "(/jsz consumer_detail[].paused; 2.11+).");
  auto pause_remaining = out.Gauge("nats_consumer_pause_remaining_seconds",
                                   "Seconds until a paused consumer resumes (/jsz consumer_detail[].pause_remaining).");
  size_t emitted = 0;
  for (const auto& [key, row] : rows) {
    if (emitted++ == o.consumer_limit) break;
    Labels l{{"account", std::get<0>(key)}, {"stream", std::get<1>(key)}, {"consumer", std::get<2>(key)}};
    if (row.consumer) leader.Add(row.led ? 1 : 0, l);
    if (o.leader_only && !row.led) continue;
    pending.Add(row.pending, l);
    ack_pending.Add(row.ack_pending, l);
    redelivered.Add(row.redelivered, l);
    waiting.Add(row.waiting, l);
    if (!row.consumer) continue;  // sequences of different consumers do not add up
    delivered_cseq.Add(row.consumer->delivered_consumer_seq, l);
    delivered_sseq.Add(row.consumer->delivered_stream_seq, l);
    floor_cseq.Add(row.consumer->ack_floor_consumer_seq, l);
    floor_sseq.Add(row.consumer->ack_floor_stream_seq, l);
    if (row.consumer->max_ack_pending >= 0) max_ack.Add(row.consumer->max_ack_pending, l);
    if (can_pause) paused.Add(row.consumer->paused ? 1 : 0, l);
    if (row.consumer->paused) pause_remaining.Add(row.consumer->pause_remaining_seconds, l);
    RenderConsumerHealth(*row.consumer, l, out);
  }
  return dropped;
}

}  // namespace

bool ConsumersCanPause(const ServerVersion& v) { return v.AtLeast(2, 11, 0); }

void RenderJsz(const Jsz& jsz, const JszRenderOptions& options, std::string_view server_name,
               const ServerVersion& version, Families& out) {
  RenderServer(jsz, server_name, out);
  RenderPresence(jsz, options.expected, server_name, out);
  if (!jsz.enabled) return;
  RenderAccounts(jsz, out);
  size_t streams_dropped = RenderStreams(jsz, options, server_name, out);
  size_t consumers_dropped = RenderConsumers(jsz, options, server_name, ConsumersCanPause(version), out);
  out.Gauge("nats_exporter_jsz_series_dropped",
            "Streams or consumers left out by --jsz.stream-limit / --jsz.consumer-limit.")
      .Add(streams_dropped, {{"kind", "stream"}})
      .Add(consumers_dropped, {{"kind", "consumer"}});
}

}  // namespace farrier
