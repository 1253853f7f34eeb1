#include "sources/subsz.h"

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

Result<Subsz> ParseSubsz(std::string_view body) {
  return ParseWith<Subsz>("subsz", body, [](const Json& j) {
    Subsz s;
    // None of these is omitempty in 2.9 (SublistStats); the count and the three counters are the
    // anchors, so a body of another endpoint is rejected instead of read as zeros.
    s.subscriptions = U64(j, "num_subscriptions", "$", /*required=*/true);
    s.cache_entries = U64(j, "num_cache", "$");
    s.inserts = U64(j, "num_inserts", "$", true);
    s.removes = U64(j, "num_removes", "$", true);
    s.matches = U64(j, "num_matches", "$", true);
    s.cache_hit_ratio = F64(j, "cache_hit_rate", "$");
    s.max_fanout = U64(j, "max_fanout", "$");
    s.avg_fanout = F64(j, "avg_fanout", "$");
    return s;
  });
}

void RenderSubsz(const Subsz& s, Families& out) {
  out.Gauge("nats_subsz_subscriptions",
            "Subscriptions in all accounts' subscription tables (/subsz num_subscriptions).")
      .Add(s.subscriptions);
  out.Gauge("nats_subsz_cache_entries", "Subjects in the subscription match caches (/subsz num_cache).")
      .Add(s.cache_entries);
  out.Counter("nats_subsz_inserts_total", "Subscriptions inserted since start (/subsz num_inserts).").Add(s.inserts);
  out.Counter("nats_subsz_removes_total", "Subscriptions removed since start (/subsz num_removes).").Add(s.removes);
  out.Counter("nats_subsz_matches_total",
              "Subject lookups in the subscription tables since start (/subsz num_matches).")
      .Add(s.matches);
  out.Gauge("nats_subsz_cache_hit_ratio",
            "Share of lookups answered from the match cache, 0..1 (/subsz cache_hit_rate).")
      .Add(s.cache_hit_ratio);
  out.Gauge("nats_subsz_max_fanout", "Largest number of subscriptions one cached subject matches (/subsz max_fanout).")
      .Add(s.max_fanout);
  out.Gauge("nats_subsz_avg_fanout", "Average number of subscriptions a cached subject matches (/subsz avg_fanout).")
      .Add(s.avg_fanout);
}

}  // namespace farrier
