// The service-time sanity check of capacity/scaling.h: a $SRV.STATS figure that the probes show
// cannot be right is set aside.
#include "capacity/scaling.h"

#include <gtest/gtest.h>

namespace farrier {
namespace {

const std::vector<double> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025};

TEST(FastestAtLeast, LowerBoundOfTheLowestBucketThatCounted) {
  EXPECT_EQ(FastestAtLeast(kBounds, {0, 0, 0, 0, 0, 0}), 0);  // nothing observed
  EXPECT_EQ(FastestAtLeast(kBounds, {3, 0, 0, 1, 0, 0}), 0);  // something at or under 1 ms
  EXPECT_EQ(FastestAtLeast(kBounds, {0, 0, 0, 0, 7, 2}), 0.01);  // all in (10 ms, 25 ms] or above
  EXPECT_EQ(FastestAtLeast(kBounds, {0, 0, 0, 0, 0, 4}), 0.025);  // all past the last bound
  EXPECT_EQ(FastestAtLeast({}, {5}), 0);
}

TEST(MicroServiceTime, ImplausibleOnlyWhenFarBelowASlowFastestProbe) {
  // nats.go micro with a handler that hands work to goroutines: 6 us against probes of 20 ms.
  EXPECT_TRUE(MicroServiceTimeImplausible(6e-6, 0.01));
  // A real 20 ms service: the fastest probe is 20 ms and a bit.
  EXPECT_FALSE(MicroServiceTimeImplausible(0.02, 0.01));
  // A fast service behind a network round trip: 50 us of work, probes of 1 ms are the network.
  EXPECT_FALSE(MicroServiceTimeImplausible(5e-5, 0.001));
  // Exactly a tenth is still believed; less is not.
  EXPECT_FALSE(MicroServiceTimeImplausible(0.001, 0.01));
  EXPECT_TRUE(MicroServiceTimeImplausible(0.00099, 0.01));
  EXPECT_FALSE(MicroServiceTimeImplausible(1e-6, 0));  // no probe answered
}

}  // namespace
}  // namespace farrier
