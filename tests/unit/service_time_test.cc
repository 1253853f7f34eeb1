// The service-time estimate of capacity/service_time.h: S from $SRV.STATS or from the probes, and
// the sanity check that sets aside a $SRV.STATS figure the probes show cannot be right.
#include "capacity/service_time.h"

#include <gtest/gtest.h>

namespace farrier::capacity {
namespace {

const std::vector<double> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025};

TEST(FastestAtLeast, LowerBoundOfTheLowestBucketThatCounted) {
  EXPECT_EQ(FastestAtLeast(kBounds, {0, 0, 0, 0, 0, 0}), 0);      // nothing observed
  EXPECT_EQ(FastestAtLeast(kBounds, {3, 0, 0, 1, 0, 0}), 0);      // something at or under 1 ms
  EXPECT_EQ(FastestAtLeast(kBounds, {0, 0, 0, 0, 7, 2}), 0.01);   // all in (10 ms, 25 ms] or above
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

// Probes answered over a window, all of them in one bucket of kBounds.
ProbeLatencyDelta Probes(uint64_t answered, double mean_seconds, size_t bucket) {
  ProbeLatencyDelta d;
  d.answered = answered;
  d.seconds = mean_seconds * static_cast<double>(answered);
  d.bounds = kBounds;
  d.counts.assign(kBounds.size() + 1, 0);
  d.counts[bucket] = answered;
  return d;
}

TEST(EstimateServiceTime, MicroWhenTheWorkersOfferIt) {
  // 100 requests took 2 s of processing: 20 ms, while probes in (10 ms, 25 ms] take 22 ms.
  ServiceTimeEstimate s = EstimateServiceTime({100, 2.0}, Probes(10, 0.022, 4));
  EXPECT_DOUBLE_EQ(s.seconds, 0.02);
  EXPECT_EQ(s.source, "micro");
  EXPECT_EQ(s.micro_ignored_seconds, 0);
  s = EstimateServiceTime({100, 2.0}, {});
  EXPECT_DOUBLE_EQ(s.seconds, 0.02) << "no probes to compare with";
  EXPECT_EQ(s.source, "micro");
}

TEST(EstimateServiceTime, ProbesWithoutMicro) {
  ServiceTimeEstimate s = EstimateServiceTime({}, Probes(10, 0.022, 4));
  EXPECT_DOUBLE_EQ(s.seconds, 0.022);
  EXPECT_EQ(s.source, "probe");
}

TEST(EstimateServiceTime, ImplausibleMicroIsSetAsideForTheProbes) {
  // nats.go micro timing a handler that hands requests to goroutines: 6 us a request, while no
  // probe was answered in under 10 ms.
  ServiceTimeEstimate s = EstimateServiceTime({1000, 0.006}, Probes(20, 0.021, 4));
  EXPECT_DOUBLE_EQ(s.seconds, 0.021);
  EXPECT_EQ(s.source, "probe");
  EXPECT_DOUBLE_EQ(s.micro_ignored_seconds, 6e-6);
  // The same micro figure next to probes of under a millisecond (a fast service): believed.
  s = EstimateServiceTime({1000, 0.006}, Probes(20, 0.0008, 0));
  EXPECT_DOUBLE_EQ(s.seconds, 6e-6);
  EXPECT_EQ(s.source, "micro");
}

TEST(EstimateServiceTime, UnknownWithNeither) {
  ServiceTimeEstimate s = EstimateServiceTime({}, {});
  EXPECT_EQ(s.seconds, 0);
  EXPECT_EQ(s.source, "");
}

}  // namespace
}  // namespace farrier::capacity
