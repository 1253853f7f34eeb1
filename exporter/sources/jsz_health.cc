#include "sources/jsz_health.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

namespace farrier {

std::optional<uint64_t> AccountLimit(uint64_t reserved) {
  if (reserved == 0 || reserved == std::numeric_limits<uint64_t>::max()) return std::nullopt;
  return reserved;
}

void RenderAccountLimits(const JszAccount& a, Families& out) {
  Labels l{{"account", a.name}};
  if (auto max = AccountLimit(a.reserved_memory_bytes)) {
    out.Gauge("nats_jetstream_account_max_memory_bytes",
              "The account's JetStream memory limit, absent when unlimited or only tiered "
              "(/jsz account_details[].reserved_memory).")
        .Add(*max, l);
  }
  if (auto max = AccountLimit(a.reserved_storage_bytes)) {
    out.Gauge("nats_jetstream_account_max_storage_bytes",
              "The account's JetStream storage limit, absent when unlimited or only tiered "
              "(/jsz account_details[].reserved_storage).")
        .Add(*max, l);
  }
}

namespace {

void RenderOrigin(const JszStream& s, const JszStreamOrigin& o, std::string_view kind, Families& out) {
  Labels l{{"account", s.account}, {"stream", s.name}, {"origin", o.name}, {"kind", std::string(kind)}};
  out.Gauge("nats_stream_origin_lag",
            "Messages of the origin stream not yet in this mirror or sourcing stream, kind mirror or source "
            "(/jsz stream_detail[].mirror.lag, stream_detail[].sources[].lag).")
      .Add(o.lag, l);
  if (o.last_active_seconds) {
    out.Gauge("nats_stream_origin_last_active_timestamp_seconds",
              "Unix time this mirror or sourcing stream last heard from its origin, absent while never "
              "(/jsz now minus stream_detail[].mirror.active or stream_detail[].sources[].active).")
        .Add(*o.last_active_seconds, l);
  }
}

}  // namespace

void RenderStreamHealth(const JszStream& s, Families& out) {
  if (s.mirror) RenderOrigin(s, *s.mirror, "mirror", out);
  // A stream can source one origin more than once (with different subject filters, or from
  // another domain under the same name): one series per origin, the lags added up and the
  // oldest activity kept, so a stalled one shows.
  std::map<std::string, JszStreamOrigin> by_origin;
  for (const JszStreamOrigin& o : s.sources) {
    auto [it, first] = by_origin.emplace(o.name, o);
    if (first) continue;
    it->second.lag += o.lag;
    if (!o.last_active_seconds || !it->second.last_active_seconds) {
      it->second.last_active_seconds.reset();
    } else {
      it->second.last_active_seconds = std::min(*it->second.last_active_seconds, *o.last_active_seconds);
    }
  }
  for (const auto& [name, o] : by_origin) RenderOrigin(s, o, "source", out);
  if (s.leader_since_seconds) {
    out.Gauge("nats_stream_leader_since_timestamp_seconds",
              "Unix time since which the stream's leader leads (/jsz stream_detail[].cluster.leader_since).")
        .Add(*s.leader_since_seconds, {{"account", s.account}, {"stream", s.name}});
  }
}

void RenderConsumerHealth(const JszConsumer& c, const Labels& l, Families& out) {
  if (c.last_delivery_seconds) {
    out.Gauge("nats_consumer_last_delivery_timestamp_seconds",
              "Unix time of the consumer's last delivery (/jsz consumer_detail[].delivered.last_active).")
        .Add(*c.last_delivery_seconds, l);
  }
  if (c.last_ack_seconds) {
    out.Gauge("nats_consumer_last_ack_timestamp_seconds",
              "Unix time the consumer's ack floor last moved (/jsz consumer_detail[].ack_floor.last_active).")
        .Add(*c.last_ack_seconds, l);
  }
  if (c.leader_since_seconds) {
    out.Gauge("nats_consumer_leader_since_timestamp_seconds",
              "Unix time since which the consumer's leader leads (/jsz consumer_detail[].cluster.leader_since).")
        .Add(*c.leader_since_seconds, l);
  }
}

void RenderPresence(const Jsz& j, const std::vector<ExpectedAsset>& expected, std::string_view server_name,
                    Families& out) {
  auto matches = [](const ExpectedAsset& e, const std::string& account) {
    return e.account.empty() || e.account == account;
  };
  // Stricter than LedHere: in a cluster an asset without a leader is not led anywhere.
  auto leads = [&](const std::string& leader) {
    return j.meta_cluster_size == 0 || (!server_name.empty() && leader == server_name);
  };
  for (const ExpectedAsset& e : expected) {
    bool led = false;
    if (e.consumer.empty()) {
      for (const JszStream& s : j.stream_details) {
        led = led || (matches(e, s.account) && s.name == e.stream && leads(s.leader));
      }
      out.Gauge("nats_stream_present",
                "1 on the server that leads this expected stream, 0 elsewhere; max across servers 0: missing or "
                "leaderless (/jsz stream_detail[].name, cluster.leader; the configuration's expect.streams).")
          .Add(led ? 1 : 0, {{"account", e.account}, {"stream", e.stream}});
      continue;
    }
    for (const JszConsumer& c : j.consumer_details) {
      led = led || (matches(e, c.account) && c.stream == e.stream && c.name == e.consumer && leads(c.leader));
    }
    out.Gauge("nats_consumer_present",
              "1 on the server that leads this expected consumer, 0 elsewhere; max across servers 0: missing or "
              "leaderless (/jsz consumer_detail[].name, cluster.leader; the configuration's expect.consumers and "
              "consumers).")
        .Add(led ? 1 : 0, {{"account", e.account}, {"stream", e.stream}, {"consumer", e.consumer}});
  }
}

}  // namespace farrier
