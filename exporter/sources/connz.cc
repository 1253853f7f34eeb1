#include "sources/connz.h"

#include <algorithm>

#include "core/json_fields.h"
#include "core/json_scanner.h"

namespace farrier {

namespace {

// One element of "connections": the fields we use; everything else is skipped unparsed.
bool ScanConnection(JsonScanner& s, const std::string& path, Connection* conn, bool* has_cid) {
  if (!s.EnterObject(path)) return false;
  std::string_view key;
  std::string rtt;
  std::string field;
  while (s.NextMember(&key)) {
    if (s.ConsumeNull()) continue;
    field.assign(path).append(".").append(key);
    bool ok = true;
    if (key == "cid") {
      ok = s.ReadU64(field, &conn->cid);
      *has_cid = true;
    } else if (key == "name") {
      ok = s.ReadString(field, &conn->name);
    } else if (key == "lang") {
      ok = s.ReadString(field, &conn->lang);
    } else if (key == "kind") {
      std::string kind;
      ok = s.ReadString(field, &kind);
      conn->kind = kind == "Client"     ? ConnectionKind::kClient
                   : kind == "Leafnode" ? ConnectionKind::kLeafnode
                                        : ConnectionKind::kOther;
    } else if (key == "pending_bytes") {
      ok = s.ReadU64(field, &conn->pending_bytes);
    } else if (key == "subscriptions") {
      ok = s.ReadU64(field, &conn->subscriptions);
    } else if (key == "in_msgs") {
      ok = s.ReadU64(field, &conn->in_msgs);
    } else if (key == "out_msgs") {
      ok = s.ReadU64(field, &conn->out_msgs);
    } else if (key == "in_bytes") {
      ok = s.ReadU64(field, &conn->in_bytes);
    } else if (key == "out_bytes") {
      ok = s.ReadU64(field, &conn->out_bytes);
    } else if (key == "rtt") {
      ok = s.ReadString(field, &rtt);
    } else {
      ok = s.Skip();
    }
    if (!ok) return false;
  }
  conn->rtt_seconds = json_fields::RttSeconds(rtt);
  return s.ok();
}

}  // namespace

Result<ConnzPage> ParseConnzPage(std::string_view body) {
  JsonScanner s(body);
  ConnzPage page;
  bool has_total = false;
  std::string_view key;
  std::string missing;
  if (s.EnterObject("$")) {
    while (s.NextMember(&key)) {
      if (s.ConsumeNull()) continue;
      if (key == "total") {
        has_total = s.ReadU64("$.total", &page.total);
      } else if (key == "offset") {
        s.ReadU64("$.offset", &page.offset);
      } else if (key == "limit") {
        s.ReadU64("$.limit", &page.limit);
      } else if (key == "connections") {
        if (!s.EnterArray("$.connections")) break;
        while (s.NextElement()) {
          std::string path = "$.connections[" + std::to_string(page.connections.size()) + "]";
          Connection conn;
          bool has_cid = false;
          if (!ScanConnection(s, path, &conn, &has_cid)) break;
          if (!has_cid) {
            missing = path + ".cid: expected unsigned integer, field missing";
            break;
          }
          page.connections.push_back(std::move(conn));
        }
      } else {
        s.Skip();
      }
      if (!missing.empty()) break;
    }
    if (s.ok() && missing.empty()) s.AtEnd();
  }
  if (!s.ok()) return Error{"connz: " + s.error(), s.syntax_error() ? ErrorKind::kInvalidJson : ErrorKind::kSchema};
  if (!missing.empty()) return Error{"connz: " + missing, ErrorKind::kSchema};
  if (!has_total) return Error{"connz: $.total: expected unsigned integer, field missing", ErrorKind::kSchema};
  return page;
}

void ConnzAccumulator::Add(const ConnzPage& page) {
  ++connz_.pages;
  for (const Connection& c : page.connections) {
    if (!seen_.insert(c.cid).second) continue;
    ConnzTotals& totals = c.kind == ConnectionKind::kClient     ? connz_.clients
                          : c.kind == ConnectionKind::kLeafnode ? connz_.leafnodes
                                                                : connz_.other;
    ++totals.connections;
    totals.subscriptions += c.subscriptions;
    totals.pending_bytes += c.pending_bytes;
    totals.pending_bytes_max = std::max(totals.pending_bytes_max, c.pending_bytes);
    connz_.by_cid.push_back({c.cid, c.in_msgs, c.pending_bytes});
    if (connz_.detailed.size() < detail_limit_) {
      connz_.detailed.push_back(c);
    } else if (detail_limit_ > 0) {
      ++connz_.detailed_dropped;
    }
  }
}

Connz ConnzAccumulator::Finish() && {
  std::sort(connz_.detailed.begin(), connz_.detailed.end(),
            [](const Connection& a, const Connection& b) { return a.cid < b.cid; });
  std::sort(connz_.by_cid.begin(), connz_.by_cid.end(),
            [](const Connz::Counters& a, const Connz::Counters& b) { return a.cid < b.cid; });
  return std::move(connz_);
}

const Connz::Counters* Connz::Find(uint64_t cid) const {
  auto it = std::lower_bound(by_cid.begin(), by_cid.end(), cid,
                             [](const Counters& c, uint64_t id) { return c.cid < id; });
  return it != by_cid.end() && it->cid == cid ? &*it : nullptr;
}

void RenderConnz(const Connz& c, bool lists_leafnodes, Families& out) {
  std::vector<std::pair<const char*, const ConnzTotals*>> kinds{{"client", &c.clients}};
  if (lists_leafnodes) kinds.push_back({"leafnode", &c.leafnodes});
  if (c.other.connections > 0) kinds.push_back({"other", &c.other});
  auto connections = out.Gauge(
      "nats_connz_connections",
      "Connections by kind (client; leafnode on 2.11.5+, which lists them), counted over every page "
      "of /connz (/connz connections[].kind, paged by limit/offset).");
  auto subscriptions = out.Gauge(
      "nats_connz_subscriptions",
      "Sum of subscriptions over the connections of this kind (/connz connections[].subscriptions).");
  auto pending = out.Gauge("nats_connz_pending_bytes",
                           "Sum of bytes queued to the connections of this kind (/connz connections[].pending_bytes).");
  auto pending_max = out.Gauge(
      "nats_connz_pending_bytes_max",
      "Largest queue of one connection of this kind, in bytes (/connz connections[].pending_bytes, max).");
  for (const auto& [kind, totals] : kinds) {
    Labels l{{"kind", kind}};
    connections.Add(totals->connections, l);
    subscriptions.Add(totals->subscriptions, l);
    pending.Add(totals->pending_bytes, l);
    pending_max.Add(totals->pending_bytes_max, l);
  }
  out.Gauge("nats_exporter_connz_pages", "Pages of /connz read in the last poll.").Add(c.pages);
  if (c.detailed.empty() && c.detailed_dropped == 0) return;

  out.Gauge("nats_exporter_connz_detail_dropped",
            "Connections left out of per-connection series by --connz.detail-limit.")
      .Add(c.detailed_dropped);
  std::vector<std::pair<Labels, const LinkTraffic*>> links;
  for (const Connection& conn : c.detailed) {
    links.push_back({{{"cid", std::to_string(conn.cid)}, {"name", conn.name}}, &conn});
  }
  RenderLinks(links,
              {"nats_connection", "this client connection", "/connz connections[]", "pending_bytes",
               /*count_connections=*/false},
              out);
}

}  // namespace farrier
