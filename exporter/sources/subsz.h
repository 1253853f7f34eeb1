// /subsz: statistics of the subscription tables (the sublists of every account, summed by the
// server). Without ?subs=1 the server prints only these statistics, no server_id.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/families.h"
#include "core/result.h"

namespace farrier {

struct Subsz {
  uint64_t subscriptions = 0;  // num_subscriptions
  uint64_t cache_entries = 0;  // num_cache
  uint64_t inserts = 0;
  uint64_t removes = 0;
  uint64_t matches = 0;
  double cache_hit_ratio = 0;  // cache_hit_rate, already a 0..1 ratio
  uint64_t max_fanout = 0;
  double avg_fanout = 0;
};

Result<Subsz> ParseSubsz(std::string_view body);
void RenderSubsz(const Subsz& subsz, Families& out);

}  // namespace farrier
