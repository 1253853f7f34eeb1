// libFuzzer target: a $SRV.STATS answer (io.nats.micro.v1.stats_response), fed to MicroCounters
// as two instances of one round, again after the instance reset, and once more after it retired.
#include <chrono>

#include "fuzz_check.h"
#include "services/micro_stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto stats = farrier::ParseMicroStats(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(stats, "micro stats: ")) return 0;
  using std::chrono::hours;
  const auto start = std::chrono::steady_clock::time_point{};
  farrier::MicroCounters counters(hours(1), /*max_endpoints=*/2);
  farrier::MicroStatsResponse other = *stats;
  other.id += "-2";
  counters.Update({*stats, other, *stats}, start);
  farrier::MicroStatsResponse reset = *stats;
  reset.started += "-reset";
  for (auto& e : reset.endpoints) e.num_requests /= 2;
  counters.Update({reset}, start + std::chrono::minutes(30));
  counters.Update({}, start + hours(3));
  counters.Totals();
  return 0;
}
