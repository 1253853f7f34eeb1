#include "core/link_traffic.h"

#include <algorithm>
#include <map>

#include "core/json_fields.h"

namespace farrier {

void ParseLinkTraffic(const nlohmann::json& o, const std::string& path, std::string_view pending_key,
                      LinkTraffic* out) {
  using namespace json_fields;
  if (!pending_key.empty()) out->pending_bytes = U64(o, pending_key, path);
  out->subscriptions = U64(o, "subscriptions", path);
  out->in_msgs = U64(o, "in_msgs", path);
  out->out_msgs = U64(o, "out_msgs", path);
  out->in_bytes = U64(o, "in_bytes", path);
  out->out_bytes = U64(o, "out_bytes", path);
  out->rtt_seconds = RttSeconds(Str(o, "rtt", path));
}

void RenderLinks(const std::vector<std::pair<Labels, const LinkTraffic*>>& links, const LinkFamilySpec& spec,
                 Families& out) {
  if (links.empty()) return;
  struct Sum {
    uint64_t connections = 0;
    LinkTraffic t;
  };
  std::map<Labels, Sum> groups;  // sorted: a stable exposition order
  for (const auto& [labels, link] : links) {
    Sum& s = groups[labels];
    ++s.connections;
    s.t.pending_bytes += link->pending_bytes;
    s.t.subscriptions += link->subscriptions;
    s.t.in_msgs += link->in_msgs;
    s.t.out_msgs += link->out_msgs;
    s.t.in_bytes += link->in_bytes;
    s.t.out_bytes += link->out_bytes;
    s.t.rtt_seconds = std::max(s.t.rtt_seconds, link->rtt_seconds);
  }
  auto field = [&](std::string_view name) { return " (" + spec.source + "." + std::string(name) + ")."; };
  const std::string& p = spec.prefix;
  auto subs = out.Gauge(p + "_subscriptions", "Subscriptions over " + spec.noun + field("subscriptions"));
  auto in_msgs = out.Counter(p + "_messages_received_total", "Messages received over " + spec.noun + field("in_msgs"));
  auto out_msgs = out.Counter(p + "_messages_sent_total", "Messages sent over " + spec.noun + field("out_msgs"));
  auto in_bytes = out.Counter(p + "_bytes_received_total", "Bytes received over " + spec.noun + field("in_bytes"));
  auto out_bytes = out.Counter(p + "_bytes_sent_total", "Bytes sent over " + spec.noun + field("out_bytes"));
  auto rtt = out.Gauge(p + "_rtt_seconds",
                       "Largest round-trip time of " + spec.noun + ", absent until measured" + field("rtt"));
  for (const auto& [labels, s] : groups) {
    subs.Add(s.t.subscriptions, labels);
    in_msgs.Add(s.t.in_msgs, labels);
    out_msgs.Add(s.t.out_msgs, labels);
    in_bytes.Add(s.t.in_bytes, labels);
    out_bytes.Add(s.t.out_bytes, labels);
    if (s.t.rtt_seconds >= 0) rtt.Add(s.t.rtt_seconds, labels);
  }
  if (spec.count_connections) {
    auto connections = out.Gauge(p + "_connections", "Number of " + spec.noun + " (" + spec.source + ").");
    for (const auto& [labels, s] : groups) connections.Add(s.connections, labels);
  }
  if (!spec.pending_key.empty()) {
    auto pending = out.Gauge(p + "_pending_bytes", "Bytes queued to send over " + spec.noun + field(spec.pending_key));
    for (const auto& [labels, s] : groups) pending.Add(s.t.pending_bytes, labels);
  }
}

}  // namespace farrier
