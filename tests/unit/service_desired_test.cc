// The desired workers autoscalers follow (capacity/service_desired.h, docs/capacity.md
// "Smoothing"): held while the figures cannot be trusted, up at once, down only after the down
// window, and a smaller answer counting only as far as it holds at 110 % of the load.
#include "capacity/service_desired.h"

#include <gtest/gtest.h>

#include "scaling_inputs.h"

namespace farrier::capacity {
namespace {

using namespace std::chrono_literals;
using test::At;

// Drop pool, C = 2, S = 10 ms, ε = 5 %, 7 members: Erlang B asks for 7 workers at 250/s but 8
// at 275/s (110 %), and for 6 at 210/s but 7 at 231/s.
PoolInputs Pool(double lambda, int workers = 7) {
  PoolInputs in;
  in.arrival_rate = lambda;
  in.service_seconds = 0.01;
  in.workers = workers;
  in.concurrency = 2;
  in.objectives.max_timeout_ratio = 0.05;
  return in;
}

TEST(ServiceDesiredSmoother, HoldsTheCurrentSizeWithinTheBoundsBeforeAnyAnswer) {
  ServiceDesiredSmoother d(0s, 10s);
  PoolInputs in = Pool(250, 3);
  in.objectives.min_workers = 1;
  in.objectives.max_workers = 10;
  EXPECT_EQ(d.Update(in, 9, /*hold=*/true, At(0)), 3);
  in.workers = 20;
  EXPECT_EQ(d.Update(in, 9, true, At(1)), 10);
  in.workers = 0;
  in.objectives.min_workers = 2;
  EXPECT_EQ(d.Update(in, 9, true, At(2)), 2);
  in.objectives.max_workers = 1;  // below min: min is the bound
  EXPECT_EQ(d.Update(in, 9, true, At(3)), 2);
}

TEST(ServiceDesiredSmoother, HoldsTheSmoothedAnswerOnceThereIsOne) {
  ServiceDesiredSmoother d(0s, 10s);
  EXPECT_EQ(d.Update(Pool(250), 7, false, At(0)), 7);
  EXPECT_EQ(d.Update(Pool(250), 12, true, At(1)), 7);
  EXPECT_EQ(d.Update(Pool(250), 2, true, At(30)), 7);
}

TEST(ServiceDesiredSmoother, UpAtOnceDownAfterTheDownWindow) {
  ServiceDesiredSmoother d(0s, 10s);
  const PoolInputs idle = Pool(0);  // no load: no band
  EXPECT_EQ(d.Update(idle, 2, false, At(0)), 2);
  EXPECT_EQ(d.Update(idle, 6, false, At(1)), 6) << "up at once";
  for (int t = 2; t <= 11; ++t) EXPECT_EQ(d.Update(idle, 2, false, At(t)), 6) << "t = " << t;
  EXPECT_EQ(d.Update(idle, 2, false, At(12)), 2) << "the 6 of t = 1 left the 10 s window";
}

TEST(ServiceDesiredSmoother, ScaleDownBandKeepsASizeTheLoadNeedsAt110Percent) {
  ServiceDesiredSmoother d(0s, 10s);
  ASSERT_EQ(Assess(Pool(250)).model_workers, 7);
  ASSERT_EQ(Assess(Pool(275)).model_workers, 8);
  ASSERT_EQ(Assess(Pool(210)).model_workers, 6);
  ASSERT_EQ(Assess(Pool(231)).model_workers, 7);
  EXPECT_EQ(d.Update(Pool(250), 8, false, At(0)), 8);
  // 7 meets the objective at 250/s, not at 275/s: the pool stays at 8 however long.
  for (int t = 1; t <= 30; ++t) EXPECT_EQ(d.Update(Pool(250), 7, false, At(t)), 8) << "t = " << t;
  // The load falls by 16 %: down after the window, as far as 110 % of the new load allows.
  for (int t = 31; t <= 40; ++t) EXPECT_EQ(d.Update(Pool(210), 6, false, At(t)), 8) << "t = " << t;
  EXPECT_EQ(d.Update(Pool(210), 6, false, At(41)), 7);
  EXPECT_EQ(d.Update(Pool(210), 6, false, At(60)), 7);
  // Rises are not banded.
  EXPECT_EQ(d.Update(Pool(250), 10, false, At(61)), 10);
}

TEST(ServiceDesiredSmoother, ScaleDownBandNeverRaises) {
  ServiceDesiredSmoother d(0s, 10s);
  ASSERT_EQ(Assess(Pool(490)).model_workers, 13);
  ASSERT_EQ(Assess(Pool(539)).model_workers, 15);
  EXPECT_EQ(d.Update(Pool(490), 14, false, At(0)), 14);
  EXPECT_EQ(d.Update(Pool(490), 13, false, At(1)), 14) << "the band keeps 14, it does not ask for 15";
}

}  // namespace
}  // namespace farrier::capacity
