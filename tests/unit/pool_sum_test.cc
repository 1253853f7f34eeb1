// Cluster mode's answer for a service spread over servers: the per-server parts added up
// (capacity/pool_sum.h), with the pool's bounds applied to the sum.
#include <gtest/gtest.h>

#include <cmath>

#include "capacity/pool_sum.h"

namespace farrier::capacity {
namespace {

ServiceSignal Part(int workers, double lambda, double s, int desired, const std::string& evidence = "") {
  ServiceSignal p;
  p.members_known = p.replies_known = p.pending_known = true;
  p.workers = workers;
  p.arrival_rate = lambda;
  p.service_seconds = s;
  p.service_time_source = "probe";
  p.window_seconds = 6;
  p.delivered_total = static_cast<uint64_t>(lambda * 100);
  p.assessment.demand_workers = lambda * s / 2;
  p.assessment.predicted_timeout_ratio = workers > 0 ? 0.01 * lambda / workers : (lambda > 0 ? 1 : 0);
  p.assessment.desired_workers = p.assessment.model_workers = desired;
  p.assessment.limited_by = "timeout_ratio";
  p.assessment.evidence = evidence;
  p.desired_workers = desired;
  return p;
}

ServiceConfig Service(int min_workers, int max_workers) {
  ServiceConfig s;
  s.name = "echo";
  s.worker_concurrency = 2;
  s.min_workers = min_workers;
  s.max_workers = max_workers;
  return s;
}

// docs/capacity.md's example: A has 2 members and 100/s, B 1 member and 20/s, C none; S = 20 ms,
// C = 2. Parts 14, 3 and 0: the cluster needs 17.
TEST(PoolSum, TheDocumentedExampleAddsUp) {
  ServiceSignal sum = SumServiceSignals(Service(0, 100),
                                        {Part(2, 100, 0.02, 14), Part(1, 20, 0.02, 3, "timeouts"), Part(0, 0, 0, 0)});
  EXPECT_TRUE(sum.members_known);
  EXPECT_EQ(sum.workers, 3);
  EXPECT_DOUBLE_EQ(sum.arrival_rate, 120);
  EXPECT_EQ(sum.delivered_total, 12000u);
  EXPECT_DOUBLE_EQ(sum.assessment.demand_workers, 1.2);
  EXPECT_DOUBLE_EQ(sum.assessment.utilization, 0.4) << "Σ demand / Σ workers, not an average of ratios";
  EXPECT_DOUBLE_EQ(sum.service_seconds, 0.02);
  EXPECT_EQ(sum.service_time_source, "probe");
  // Weighted by arrivals: (100 x 0.5 + 20 x 0.2) / 120.
  EXPECT_NEAR(sum.assessment.predicted_timeout_ratio, (100 * 0.5 + 20 * 0.2) / 120, 1e-12);
  EXPECT_EQ(sum.assessment.desired_workers, 17);
  EXPECT_EQ(sum.desired_workers, 17);
  EXPECT_EQ(sum.assessment.limited_by, "timeout_ratio");
  EXPECT_EQ(sum.assessment.evidence, "timeouts");
}

// The parts are sized with min_workers 0; the service's bounds hold for the pool.
TEST(PoolSum, TheServicesBoundsApplyToTheSum) {
  ServiceSignal low = SumServiceSignals(Service(5, 100), {Part(1, 1, 0.02, 1), Part(0, 0, 0, 0)});
  EXPECT_EQ(low.desired_workers, 5);
  EXPECT_EQ(low.assessment.limited_by, "min_workers");
  ServiceSignal high = SumServiceSignals(Service(0, 10), {Part(4, 400, 0.02, 8), Part(4, 400, 0.02, 8)});
  EXPECT_EQ(high.desired_workers, 10);
  EXPECT_EQ(high.assessment.limited_by, "max_workers");
}

// A part whose members are unknown (its server did not answer) makes the pool's unknown: a pool
// counted without one of its servers would look too small.
TEST(PoolSum, OneUnknownPartMakesThePoolUnknown) {
  ServiceSignal silent = Part(0, 0, 0, 2);
  silent.members_known = false;
  EXPECT_FALSE(SumServiceSignals(Service(0, 100), {Part(2, 10, 0.02, 2), silent}).members_known);
  EXPECT_FALSE(SumServiceSignals(Service(0, 100), {}).members_known);
}

TEST(PoolSum, LoadWithNoWorkersAnywhereIsInfiniteUtilization) {
  ServiceSignal sum = SumServiceSignals(Service(0, 100), {Part(0, 10, 0.02, 1), Part(0, 5, 0.02, 1)});
  EXPECT_TRUE(std::isinf(sum.assessment.utilization));
  EXPECT_EQ(SumServiceSignals(Service(0, 100), {Part(0, 0, 0, 0)}).assessment.utilization, 0);
}

}  // namespace
}  // namespace farrier::capacity
