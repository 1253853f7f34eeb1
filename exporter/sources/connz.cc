#include "sources/connz.h"

#include <algorithm>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

Result<ConnzPage> ParseConnzPage(std::string_view body) {
  return ParseWith<ConnzPage>("connz", body, [](const Json& j) {
    ConnzPage page;
    page.total = U64(j, "total", "$", /*required=*/true);
    page.offset = U64(j, "offset", "$");
    page.limit = U64(j, "limit", "$");
    const Json& conns = Array(j, "connections", "$");
    if (conns.is_null()) return page;
    page.connections.reserve(conns.size());
    std::string path;
    for (size_t i = 0; i < conns.size(); ++i) {
      path = "$.connections[" + std::to_string(i) + "]";
      const Json& c = conns[i];
      Connection conn;
      conn.cid = U64(c, "cid", path, true);
      conn.name = Str(c, "name", path);
      conn.lang = Str(c, "lang", path);
      conn.pending_bytes = U64(c, "pending_bytes", path);
      conn.subscriptions = U64(c, "subscriptions", path);
      conn.in_msgs = U64(c, "in_msgs", path);
      conn.out_msgs = U64(c, "out_msgs", path);
      conn.in_bytes = U64(c, "in_bytes", path);
      conn.out_bytes = U64(c, "out_bytes", path);
      std::string rtt = Str(c, "rtt", path);
      conn.rtt_seconds = rtt.empty() ? -1 : GoDurationSeconds(rtt);
      page.connections.push_back(std::move(conn));
    }
    return page;
  });
}

void ConnzAccumulator::Add(const ConnzPage& page) {
  ++connz_.pages;
  for (const Connection& c : page.connections) {
    if (!seen_.insert(c.cid).second) continue;
    ++connz_.connections;
    connz_.subscriptions += c.subscriptions;
    connz_.pending_bytes += c.pending_bytes;
    connz_.pending_bytes_max = std::max(connz_.pending_bytes_max, c.pending_bytes);
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
  return std::move(connz_);
}

void RenderConnz(const Connz& c, Families& out) {
  out.Gauge("nats_connz_connections",
            "Client connections, counted over every page of /connz (/connz connections[], paged by limit/offset).")
      .Add(c.connections);
  out.Gauge("nats_connz_subscriptions",
            "Sum of subscriptions over all client connections (/connz connections[].subscriptions).")
      .Add(c.subscriptions);
  out.Gauge("nats_connz_pending_bytes",
            "Sum of bytes queued to clients (/connz connections[].pending_bytes).")
      .Add(c.pending_bytes);
  out.Gauge("nats_connz_pending_bytes_max",
            "Largest per-client queue in bytes (/connz connections[].pending_bytes, max).")
      .Add(c.pending_bytes_max);
  out.Gauge("nats_exporter_connz_pages", "Pages of /connz read in the last poll.").Add(c.pages);
  if (c.detailed.empty() && c.detailed_dropped == 0) return;

  out.Gauge("nats_exporter_connz_detail_dropped",
            "Connections left out of per-connection series by --connz.detail-limit.")
      .Add(c.detailed_dropped);
  auto pending = out.Gauge("nats_connection_pending_bytes",
                           "Bytes queued to this client (/connz connections[].pending_bytes).");
  auto subs = out.Gauge("nats_connection_subscriptions",
                        "Subscriptions of this client (/connz connections[].subscriptions).");
  auto in_msgs = out.Counter("nats_connection_messages_received_total",
                             "Messages received from this client (/connz connections[].in_msgs).");
  auto out_msgs = out.Counter("nats_connection_messages_sent_total",
                              "Messages sent to this client (/connz connections[].out_msgs).");
  auto in_bytes = out.Counter("nats_connection_bytes_received_total",
                              "Bytes received from this client (/connz connections[].in_bytes).");
  auto out_bytes = out.Counter("nats_connection_bytes_sent_total",
                               "Bytes sent to this client (/connz connections[].out_bytes).");
  auto rtt = out.Gauge("nats_connection_rtt_seconds",
                       "Round-trip time to this client (/connz connections[].rtt).");
  for (const Connection& conn : c.detailed) {
    Labels labels{{"cid", std::to_string(conn.cid)}, {"name", conn.name}};
    pending.Add(conn.pending_bytes, labels);
    subs.Add(conn.subscriptions, labels);
    in_msgs.Add(conn.in_msgs, labels);
    out_msgs.Add(conn.out_msgs, labels);
    in_bytes.Add(conn.in_bytes, labels);
    out_bytes.Add(conn.out_bytes, labels);
    if (conn.rtt_seconds >= 0) rtt.Add(conn.rtt_seconds, labels);
  }
}

}  // namespace farrier
