// The rate window (capacity/sample_window.h, capacity/service_window.h): which samples it keeps
// for --scaling.window, and what a service's window says: λ, the probes' latency deltas, p99,
// timeout ratio, no responders and the $SRV.STATS counts.
#include "capacity/service_window.h"

#include <gtest/gtest.h>

#include <cmath>

#include "scaling_inputs.h"

namespace farrier::capacity {
namespace {

using namespace std::chrono_literals;
using test::At;
using test::ProbeStats;

ServiceSample Delivered(double at, uint64_t delivered) {
  ServiceSample s;
  s.at = At(at);
  s.delivered = delivered;
  return s;
}

TEST(SampleWindow, KeepsTheNewestSampleThatIsAWindowOld) {
  ServiceWindow w(4s);
  for (int t = 0; t <= 4; ++t) w.Add(Delivered(t, 0));
  EXPECT_EQ(w.size(), 5u);
  EXPECT_EQ(w.oldest().at, At(0));
  EXPECT_DOUBLE_EQ(w.seconds(), 4);
  // At t = 5 the sample of t = 1 is exactly a window old: it is kept, t = 0 goes.
  w.Add(Delivered(5, 0));
  EXPECT_EQ(w.oldest().at, At(1));
  EXPECT_DOUBLE_EQ(w.seconds(), 4);

  // Polls that do not divide the window: the oldest kept is the newest at least 4 s old.
  ServiceWindow u(4s);
  for (double t : {0.0, 3.0, 5.0}) u.Add(Delivered(t, 0));
  EXPECT_EQ(u.oldest().at, At(0)) << "3 is not yet 4 s old at 5";
  u.Add(Delivered(7, 0));
  EXPECT_EQ(u.oldest().at, At(3)) << "3 is exactly 4 s old at 7";
  u.Add(Delivered(9.5, 0));
  EXPECT_EQ(u.oldest().at, At(5));
  EXPECT_DOUBLE_EQ(u.seconds(), 4.5);
}

TEST(SampleWindow, KeepsTwoSamplesWhenNoneIsFresh) {
  ServiceWindow w(4s);
  for (int t = 0; t <= 3; ++t) w.Add(Delivered(t, 10 * t));
  w.Trim(At(100));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(w.oldest().at, At(2));
  EXPECT_DOUBLE_EQ(WindowFigures(w).arrival_rate, 10) << "the last rate stands";
  w.Clear();
  EXPECT_EQ(w.size(), 0u);
}

TEST(SampleWindow, HalfFullAtHalfItsLength) {
  ServiceWindow w(4s);
  EXPECT_FALSE(w.half_full());
  w.Add(Delivered(0, 0));
  EXPECT_FALSE(w.half_full()) << "one sample spans nothing";
  w.Add(Delivered(1.9, 0));
  EXPECT_FALSE(w.half_full());
  w.Add(Delivered(2, 0));
  EXPECT_TRUE(w.half_full());
}

TEST(ServiceWindow, ArrivalRateOverTheWholeWindowUnknownUntilItSpansTime) {
  ServiceWindow w(10s);
  EXPECT_TRUE(std::isnan(WindowFigures(w).arrival_rate));
  w.Add(Delivered(0, 1000));
  EXPECT_TRUE(std::isnan(WindowFigures(w).arrival_rate)) << "one sample: unknown, not 0 (no load)";
  w.Add(Delivered(0, 1010));
  EXPECT_TRUE(std::isnan(WindowFigures(w).arrival_rate)) << "two samples at one time";
  w.Add(Delivered(2, 1100));
  w.Add(Delivered(4, 1400));
  ServiceWindowFigures f = WindowFigures(w);
  EXPECT_DOUBLE_EQ(f.seconds, 4);
  EXPECT_DOUBLE_EQ(f.arrival_rate, 100) << "400 requests over 4 s, not the last interval's 150/s";
  w.Add(Delivered(5, 1400));
  EXPECT_DOUBLE_EQ(WindowFigures(w).arrival_rate, 80);
}

TEST(ServiceWindow, ProbeLatencyDeltasAndP99FromAHundredAnswers) {
  ProbeStats p;
  p.Answered(50, 0.5);  // before the window: slow answers that must not count
  ServiceWindow w(10s);
  w.Add(MakeServiceSample(At(0), 0, 2, &p.stats));
  p.Answered(97, 0.004).Answered(2, 0.03);  // 99 answers in the window
  w.Add(MakeServiceSample(At(1), 0, 2, &p.stats));
  ServiceWindowFigures f = WindowFigures(w);
  EXPECT_EQ(f.probe_latency.answered, 99u);
  EXPECT_NEAR(f.probe_latency.seconds, 97 * 0.004 + 2 * 0.03, 1e-9);
  EXPECT_EQ(f.probe_latency.bounds, test::kProbeBounds);
  EXPECT_EQ(f.probe_latency.counts, (std::vector<uint64_t>{0, 0, 97, 0, 0, 2, 0, 0, 0, 0}));
  EXPECT_EQ(f.p99_seconds, 0) << "99 answers: the p99 would only be the maximum";

  p.Answered(1, 0.03);  // the 100th
  w.Add(MakeServiceSample(At(2), 0, 2, &p.stats));
  f = WindowFigures(w);
  EXPECT_EQ(f.probe_latency.answered, 100u);
  // Rank 99 of 100 is the second of the three answers in (25 ms, 50 ms]: two thirds of the way.
  EXPECT_NEAR(f.p99_seconds, 0.025 + 0.025 * 2 / 3, 1e-12);
}

TEST(ServiceWindow, TimeoutRatioAndNoRespondersWithinTheWindow) {
  ProbeStats p;
  p.Answered(5, 0.004).Failed(5, ProbeFailure::kTimeout).Failed(1, ProbeFailure::kNoResponders);
  ServiceWindow w(10s);
  w.Add(MakeServiceSample(At(0), 0, 2, &p.stats));
  p.Answered(15, 0.004).Failed(5, ProbeFailure::kTimeout);
  w.Add(MakeServiceSample(At(1), 0, 2, &p.stats));
  ServiceWindowFigures f = WindowFigures(w);
  EXPECT_EQ(f.probes, 20u);
  EXPECT_DOUBLE_EQ(f.timeout_ratio, 0.25) << "5 of the window's 20, not 10 of 31";
  EXPECT_FALSE(f.no_responders) << "the one before the window does not count";
  p.Failed(1, ProbeFailure::kNoResponders);
  w.Add(MakeServiceSample(At(2), 0, 2, &p.stats));
  f = WindowFigures(w);
  EXPECT_EQ(f.probes, 21u);
  EXPECT_TRUE(f.no_responders);
}

TEST(ServiceWindow, MicroCountsNeedStatsAtBothEnds) {
  ProbeStats p;
  ServiceWindow w(10s);
  w.Add(MakeServiceSample(At(0), 0, 2, &p.stats));  // not polled yet
  p.Micro(100, 2.0, At(1));
  w.Add(MakeServiceSample(At(1), 0, 2, &p.stats));
  EXPECT_EQ(WindowFigures(w).micro.requests, 0u) << "the window's start has no micro figures";
  p.Micro(300, 6.5, At(3));
  w.Add(MakeServiceSample(At(3), 0, 2, &p.stats));
  w.Trim(At(12));  // t = 0 leaves, t = 1 stays
  MicroDelta m = WindowFigures(w).micro;
  EXPECT_EQ(m.requests, 200u);
  EXPECT_DOUBLE_EQ(m.seconds, 4.5);
  EXPECT_EQ(WindowFigures(ServiceWindow(10s)).micro.requests, 0u);
}

TEST(ServiceWindow, FewestWorkersOfTheSamplesInTheWindow) {
  ServiceWindow w(4s);
  EXPECT_EQ(WindowFigures(w).fewest_workers, 0);
  auto add = [&](double at, int workers) {
    ServiceSample s = Delivered(at, 0);
    s.workers = workers;
    w.Add(s);
    return WindowFigures(w).fewest_workers;
  };
  EXPECT_EQ(add(0, 4), 4) << "one sample";
  EXPECT_EQ(add(1, 4), 4);
  EXPECT_EQ(add(2, 6), 4) << "what the window saw at 4 members is still in it";
  EXPECT_EQ(add(4, 6), 4);
  EXPECT_EQ(add(5, 6), 4) << "t = 1 is exactly a window old: kept";
  EXPECT_EQ(add(6, 6), 6);
  EXPECT_EQ(add(7, 5), 5);
}

TEST(HistogramQuantile, InterpolatesInsideTheBucketLikePrometheus) {
  const std::vector<double> bounds{0.01, 0.1, 1};
  EXPECT_EQ(HistogramQuantile(bounds, {0, 0, 0, 0}, 0.99), 0) << "empty";
  EXPECT_DOUBLE_EQ(HistogramQuantile(bounds, {10, 0, 0, 0}, 0.5), 0.005);
  EXPECT_DOUBLE_EQ(HistogramQuantile(bounds, {50, 50, 0, 0}, 0.75), 0.055);
  EXPECT_DOUBLE_EQ(HistogramQuantile(bounds, {98, 0, 0, 2}, 0.99), 1) << "in +Inf: the largest bound";
}

}  // namespace
}  // namespace farrier::capacity
