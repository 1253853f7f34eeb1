// The capacity model (exporter/capacity/model.h): textbook Erlang B/C and M/M/c values, the
// queue-group measurements in shared/NOTES-nats-2.9.md, the worked example of docs/capacity.md,
// the evidence / no-data / bounds rules, monotonicity over a sweep, the smoother's sequences and
// JetStream consumer sizing.
#include "capacity/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace farrier::capacity {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Erlang B from its definition, (a^c/c!) / sum_k a^k/k!, for small c: an independent check of
// the recurrence.
double ErlangBDirect(double a, int c) {
  double term = 1, sum = 1;
  for (int k = 1; k <= c; ++k) {
    term *= a / k;
    sum += term;
  }
  return term / sum;
}

PoolInputs Pool(double lambda, double s, int n, int c, Overflow overflow = Overflow::kDrop) {
  PoolInputs in;
  in.arrival_rate = lambda;
  in.service_seconds = s;
  in.workers = n;
  in.concurrency = c;
  in.overflow = overflow;
  return in;
}

TEST(ErlangB, TextbookValues) {
  EXPECT_DOUBLE_EQ(ErlangB(1, 1), 0.5);
  EXPECT_DOUBLE_EQ(ErlangB(2, 2), 0.4);
  EXPECT_NEAR(ErlangB(10, 15), 0.0365, 0.00005);  // classic Erlang B table
  EXPECT_NEAR(ErlangB(1, 2), 0.2, 1e-12);
  EXPECT_EQ(ErlangB(0, 3), 0);
  EXPECT_EQ(ErlangB(5, 0), 1);
  EXPECT_EQ(ErlangB(std::numeric_limits<double>::infinity(), 4), 1);
  EXPECT_TRUE(std::isnan(ErlangB(std::numeric_limits<double>::quiet_NaN(), 4)));
}

TEST(ErlangB, RecurrenceMatchesDefinition) {
  for (int c = 1; c <= 20; ++c) {
    for (double a : {0.01, 0.3, 1.0, 2.5, 7.0, 15.0, 40.0}) {
      EXPECT_NEAR(ErlangB(a, c), ErlangBDirect(a, c), 1e-12 * std::max(1.0, ErlangBDirect(a, c))) << a << " " << c;
    }
  }
}

TEST(ErlangB, StableForLargePools) {
  // a^c/c! overflows a double long before c = 5000; the recurrence does not.
  double b = ErlangB(5000, 5000);
  EXPECT_TRUE(std::isfinite(b));
  EXPECT_GT(b, 0.005);
  EXPECT_LT(b, 0.02);  // ≈ sqrt(2/(π·a)) ≈ 0.0113 for large a = c
  EXPECT_LT(ErlangB(4000, 5000), 1e-10);
  EXPECT_NEAR(ErlangB(1e6, 10), 1 - 10 / 1e6, 1e-9);  // heavy overload: almost everything lost
}

TEST(ErlangC, TextbookValues) {
  EXPECT_NEAR(ErlangC(2, 3), 4.0 / 9, 1e-12);  // 0.4444
  EXPECT_NEAR(ErlangC(0.5, 1), 0.5, 1e-12);    // M/M/1: P(wait) = ρ
  EXPECT_NEAR(ErlangC(1, 2), 1.0 / 3, 1e-12);
  EXPECT_EQ(ErlangC(3, 3), 1);
  EXPECT_EQ(ErlangC(4, 3), 1);
  EXPECT_EQ(ErlangC(0, 3), 0);
}

TEST(MeanWait, MM1AndMMc) {
  // M/M/1: W_q = ρ·S/(1−ρ).
  for (double rho : {0.1, 0.5, 0.9}) {
    double s = 0.02, lambda = rho / s;
    EXPECT_NEAR(MeanWaitSeconds(lambda, s, 1), rho * s / (1 - rho), 1e-12) << rho;
  }
  EXPECT_NEAR(MeanWaitSeconds(50, 0.02, 2), 0.02 / 3, 1e-12);  // a = 1, C = 1/3, W_q = C·S/(c−a)
  EXPECT_EQ(MeanWaitSeconds(0, 0.02, 2), 0);
  EXPECT_EQ(MeanWaitSeconds(100, 0.02, 2), std::numeric_limits<double>::infinity());  // a = c
}

TEST(WaitQuantile, MM1ClosedFormAndZeroWhenFewWait) {
  // M/M/1: P(W_q > t) = ρ·exp(−(1−ρ)t/S), so t_99 = S/(1−ρ)·ln(100ρ).
  double s = 0.02, rho = 0.8;
  EXPECT_NEAR(WaitQuantileSeconds(rho / s, s, 1, 0.99), s / (1 - rho) * std::log(100 * rho), 1e-12);
  EXPECT_EQ(WaitQuantileSeconds(0.005 / s, s, 1, 0.99), 0);  // only 0.5 % wait at all
  EXPECT_EQ(WaitQuantileSeconds(1 / s, s, 1, 0.99), std::numeric_limits<double>::infinity());
}

// shared/NOTES-nats-2.9.md, Poisson arrivals, S = 20 ms: the notes' Erlang B column, and the
// measured loss within 3 percentage points (measured S was 21.5 ms, a bit above nominal).
TEST(Assess, ReproducesTheNotesMeasurements) {
  struct Row {
    int c;
    double rate, utilization, erlang_b, measured;
  };
  const Row rows[] = {
      {2, 25, 0.125, 0.024, 0.030},  {2, 50, 0.25, 0.077, 0.095},   {2, 100, 0.50, 0.200, 0.209},
      {2, 150, 0.75, 0.310, 0.330},  {8, 300, 0.375, 0.008, 0.017}, {8, 500, 0.625, 0.070, 0.092},
      {8, 700, 0.875, 0.179, 0.205},
  };
  for (const Row& r : rows) {
    PoolAssessment a = Assess(Pool(r.rate, 0.020, 2, r.c));
    EXPECT_NEAR(a.utilization, r.utilization, 1e-12) << r.rate;
    EXPECT_NEAR(a.predicted_timeout_ratio, r.erlang_b, 0.0005) << r.rate;
    EXPECT_NEAR(a.predicted_timeout_ratio, r.measured, 0.03) << r.rate;
    EXPECT_NEAR(a.demand_workers, r.rate * 0.020 / r.c, 1e-12);
    EXPECT_EQ(a.predicted_wait_seconds, 0);
    EXPECT_FALSE(a.saturated);
  }
}

// docs/capacity.md, "Worked example".
TEST(Assess, WorkedExampleDrop) {
  PoolAssessment a = Assess(Pool(100, 0.020, 2, 2));
  EXPECT_DOUBLE_EQ(a.demand_workers, 1.0);
  EXPECT_DOUBLE_EQ(a.utilization, 0.5);
  EXPECT_NEAR(a.predicted_timeout_ratio, 0.20, 1e-12);
  EXPECT_EQ(a.desired_workers, 14);
  EXPECT_EQ(a.model_workers, 14);
  EXPECT_EQ(a.limited_by, "timeout_ratio");
  EXPECT_FALSE(a.saturated);
  EXPECT_NEAR(ErlangB(2.0 / 13, 2), 0.01015, 0.00001);  // 13 is not enough
  EXPECT_NEAR(ErlangB(2.0 / 14, 2), 0.00885, 0.00001);  // 14 is
  // The same pool with the 1 % objective relaxed to 25 %: the utilization target binds.
  PoolInputs relaxed = Pool(100, 0.020, 2, 2);
  relaxed.objectives.max_timeout_ratio = 0.25;
  EXPECT_EQ(Assess(relaxed).desired_workers, 2);
  EXPECT_EQ(Assess(relaxed).limited_by, "utilization");
}

TEST(Assess, WorkedExampleQueue) {
  PoolInputs in = Pool(100, 0.020, 2, 2, Overflow::kQueue);
  in.objectives.latency_slo_seconds = 0.100;
  PoolAssessment a = Assess(in);
  EXPECT_EQ(a.predicted_timeout_ratio, 0);
  EXPECT_NEAR(a.predicted_wait_seconds, 0.02 / 3, 1e-12);     // 6.7 ms mean wait
  EXPECT_NEAR(a.predicted_p99_wait_seconds, 0.0701, 0.0001);  // 70 ms p99 wait, within 100 − 20
  EXPECT_EQ(a.desired_workers, 2);
  EXPECT_EQ(a.limited_by, "utilization");
  in.objectives.latency_slo_seconds = 0.050;  // 30 ms left for waiting
  a = Assess(in);
  EXPECT_EQ(a.desired_workers, 5);
  EXPECT_EQ(a.limited_by, "latency_slo");
  EXPECT_GT(WaitQuantileSeconds(100.0 / 4, 0.02, 2, 0.99), 0.030);  // 30.7 ms at N = 4
  EXPECT_LE(WaitQuantileSeconds(100.0 / 5, 0.02, 2, 0.99), 0.030);  // 23.7 ms at N = 5
}

TEST(Assess, QueuePoolOverload) {
  PoolAssessment a = Assess(Pool(300, 0.020, 2, 2, Overflow::kQueue));  // ρ = 1.5
  EXPECT_DOUBLE_EQ(a.utilization, 1.5);
  EXPECT_NEAR(a.predicted_timeout_ratio, 1.0 / 3, 1e-12);  // the excess is never served
  EXPECT_EQ(a.predicted_wait_seconds, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(a.saturated);
  EXPECT_GE(a.desired_workers, 5);  // 6 erlangs / (2 · 0.7) → 5
}

TEST(Assess, EvidencePushesAboveCurrent) {
  // A pool the model calls fine (ρ = 0.03, loss ≈ 0.1 %) but whose probes time out: the
  // service-time estimate is not to be trusted.
  for (auto [n, expected] : std::vector<std::pair<int, int>>{{1, 2}, {2, 3}, {4, 6}, {10, 15}, {11, 17}}) {
    PoolInputs in = Pool(10, 0.005 * n, n, 2);
    in.observed_timeout_ratio = 0.05;
    PoolAssessment a = Assess(in);
    EXPECT_LE(a.model_workers, n) << n;
    EXPECT_EQ(a.desired_workers, expected) << n;  // n + max(1, ceil(n/2))
    EXPECT_EQ(a.limited_by, "evidence");
    EXPECT_EQ(a.evidence, "timeouts");
    EXPECT_TRUE(a.saturated);
  }
  // Never below what the model says: the worked example wants 14 whatever the evidence.
  PoolInputs in = Pool(100, 0.020, 2, 2);
  in.observed_timeout_ratio = 0.2;
  PoolAssessment a = Assess(in);
  EXPECT_EQ(a.desired_workers, 14);
  EXPECT_EQ(a.limited_by, "timeout_ratio");
  EXPECT_TRUE(a.saturated);
  // Timeouts at or under the objective are not evidence.
  in = Pool(10, 0.005, 4, 2);
  in.observed_timeout_ratio = 0.01;
  EXPECT_EQ(Assess(in).evidence, "");
  // Evidence with S unknown (every probe timed out) still raises desired.
  in = Pool(10, 0, 4, 2);
  in.observed_timeout_ratio = 1;
  a = Assess(in);
  EXPECT_EQ(a.desired_workers, 6);
  EXPECT_EQ(a.limited_by, "evidence");
}

TEST(BinomialTailAtLeast, MatchesDirectSum) {
  // 1 − P(X <= 3) for Binomial(60, 0.01), summed term by term here.
  double below = 0, term = std::pow(0.99, 60);
  for (int j = 0; j < 4; ++j) {
    below += term;
    term *= (60.0 - j) / (j + 1) * (0.01 / 0.99);
  }
  EXPECT_NEAR(BinomialTailAtLeast(60, 4, 0.01), 1 - below, 1e-12);
  EXPECT_NEAR(BinomialTailAtLeast(60, 4, 0.01), 0.003123, 0.000001);
  EXPECT_EQ(BinomialTailAtLeast(60, 0, 0.01), 1);
  EXPECT_EQ(BinomialTailAtLeast(60, 61, 0.01), 0);
  EXPECT_EQ(BinomialTailAtLeast(60, 1, 0), 0);
  EXPECT_NEAR(BinomialTailAtLeast(1000000, 10000, 0.01), 0.5, 0.01);  // no underflow
}

// With the attempts known, timeouts are evidence only when too many for the objective to be
// met: a pool sized exactly at 1 % shows 1 timeout in 60 probes 45 % of the time.
TEST(Assess, TimeoutEvidenceNeedsSignificance) {
  auto evidence = [](double timeouts, double attempts, double objective) {
    PoolInputs in = Pool(10, 0.005, 4, 2);
    in.objectives.max_timeout_ratio = objective;
    in.observed_timeout_ratio = timeouts / attempts;
    in.observed_attempts = attempts;
    return Assess(in).evidence;
  };
  EXPECT_EQ(evidence(1, 60, 0.01), "");
  EXPECT_EQ(evidence(4, 60, 0.01), "");          // P = 0.3 %
  EXPECT_EQ(evidence(5, 60, 0.01), "timeouts");  // P = 0.03 %
  EXPECT_EQ(evidence(15, 600, 0.01), "");
  EXPECT_EQ(evidence(16, 600, 0.01), "timeouts");
  EXPECT_EQ(evidence(1, 60, 0), "timeouts");  // no timeout tolerated: any one is evidence
  EXPECT_EQ(evidence(0, 60, 0), "");
}

TEST(Assess, P99Evidence) {
  PoolInputs in = Pool(10, 0.020, 4, 2, Overflow::kQueue);
  in.objectives.latency_slo_seconds = 0.25;
  in.observed_p99_seconds = 0.5;
  PoolAssessment a = Assess(in);
  EXPECT_EQ(a.evidence, "p99_above_slo");
  EXPECT_EQ(a.desired_workers, 6);
  // A service slower than its SLO on its own: more workers cannot help, so no evidence.
  in.service_seconds = 0.3;
  in.arrival_rate = 1;
  a = Assess(in);
  EXPECT_EQ(a.evidence, "");
  EXPECT_LE(a.desired_workers, 4);
  // S unknown: the p99 counts.
  in.service_seconds = 0;
  EXPECT_EQ(Assess(in).evidence, "p99_above_slo");
}

TEST(Assess, NoMembersWithLoad) {
  PoolAssessment a = Assess(Pool(100, 0.020, 0, 2));
  EXPECT_EQ(a.utilization, std::numeric_limits<double>::infinity());
  EXPECT_EQ(a.predicted_timeout_ratio, 1);
  EXPECT_DOUBLE_EQ(a.demand_workers, 1.0);
  EXPECT_TRUE(a.saturated);
  EXPECT_EQ(a.evidence, "no_members");
  EXPECT_EQ(a.desired_workers, 14);  // the model, as for N = 2
  // S unknown: at least one worker.
  PoolInputs in = Pool(100, 0, 0, 2);
  in.objectives.min_workers = 0;
  a = Assess(in);
  EXPECT_EQ(a.desired_workers, 1);
  EXPECT_EQ(a.limited_by, "evidence");
  EXPECT_TRUE(a.saturated);
  EXPECT_TRUE(std::isnan(a.utilization));
  // Scale from zero: no local load, but probes get no responders.
  in = Pool(0, 0, 0, 2);
  in.objectives.min_workers = 0;
  EXPECT_EQ(Assess(in).desired_workers, 0);
  in.no_responders_with_load = true;
  a = Assess(in);
  EXPECT_EQ(a.desired_workers, 1);
  EXPECT_EQ(a.evidence, "no_responders");
}

TEST(Assess, NoData) {
  // No load: min_workers, whatever the current size.
  PoolInputs in = Pool(0, 0.020, 7, 2);
  in.objectives.min_workers = 2;
  PoolAssessment a = Assess(in);
  EXPECT_EQ(a.desired_workers, 2);
  EXPECT_EQ(a.limited_by, "min_workers");
  EXPECT_EQ(a.utilization, 0);
  EXPECT_EQ(a.demand_workers, 0);
  EXPECT_FALSE(a.saturated);
  // Load but S unknown: hold the current size (clamped to the bounds).
  in = Pool(100, 0, 7, 2);
  a = Assess(in);
  EXPECT_EQ(a.desired_workers, 7);
  EXPECT_EQ(a.limited_by, "no_data");
  EXPECT_TRUE(std::isnan(a.utilization));
  EXPECT_TRUE(std::isnan(a.demand_workers));
  EXPECT_FALSE(a.saturated);
  in.objectives.max_workers = 5;
  EXPECT_EQ(Assess(in).desired_workers, 5);
  // λ unknown (no window yet): hold too.
  in = Pool(std::numeric_limits<double>::quiet_NaN(), 0.02, 3, 2);
  a = Assess(in);
  EXPECT_EQ(a.desired_workers, 3);
  EXPECT_EQ(a.limited_by, "no_data");
}

TEST(Assess, Bounds) {
  PoolInputs in = Pool(10000, 0.020, 10, 2);
  in.objectives.max_workers = 50;
  PoolAssessment a = Assess(in);
  EXPECT_EQ(a.desired_workers, 50);
  EXPECT_EQ(a.limited_by, "max_workers");
  EXPECT_TRUE(a.saturated);  // ρ = 10
  in = Pool(1, 0.020, 1, 2);
  in.objectives.min_workers = 3;
  a = Assess(in);
  EXPECT_EQ(a.desired_workers, 3);
  EXPECT_EQ(a.limited_by, "min_workers");
  // Evidence is capped too.
  in = Pool(10, 0.005, 40, 2);
  in.objectives.max_workers = 50;
  in.observed_timeout_ratio = 0.5;
  a = Assess(in);
  EXPECT_EQ(a.desired_workers, 50);
  EXPECT_EQ(a.limited_by, "max_workers");
  // max below min is raised to min.
  in = Pool(10000, 0.020, 1, 2);
  in.objectives.min_workers = 5;
  in.objectives.max_workers = 3;
  EXPECT_EQ(Assess(in).desired_workers, 5);
}

// Desired never falls when λ rises, and it is the smallest N meeting the objectives.
TEST(Assess, MonotoneInLoadAndMinimal) {
  for (Overflow mode : {Overflow::kDrop, Overflow::kQueue}) {
    for (int c : {1, 2, 8, 64}) {
      int previous = 0;
      for (double lambda = 0; lambda <= 3000; lambda += 7.5) {
        PoolInputs in = Pool(lambda, 0.020, 3, c, mode);
        in.objectives.latency_slo_seconds = 0.1;
        in.objectives.max_workers = 1000;
        PoolAssessment a = Assess(in);
        ASSERT_GE(a.desired_workers, previous) << lambda << " c=" << c;
        previous = a.desired_workers;
        if (lambda == 0 || a.limited_by == "min_workers" || a.limited_by == "max_workers") continue;
        auto meets = [&](int n) {
          PoolAssessment at = Assess(Pool(lambda, 0.020, n, c, mode));
          bool ok = at.utilization <= 0.7 + 1e-9;
          if (mode == Overflow::kDrop) ok = ok && at.predicted_timeout_ratio <= 0.01 + 1e-9;
          if (mode == Overflow::kQueue) ok = ok && at.predicted_p99_wait_seconds <= 0.08 + 1e-9;
          return ok;
        };
        ASSERT_TRUE(meets(a.desired_workers)) << lambda << " c=" << c;
        if (a.desired_workers > 1) {
          ASSERT_FALSE(meets(a.desired_workers - 1)) << lambda << " c=" << c;
        }
      }
      EXPECT_GE(previous, 2);
    }
  }
}

std::vector<int> Feed(DesiredSmoother& s, const std::vector<int>& raw, Clock::duration step) {
  Clock::time_point t{};
  std::vector<int> out;
  for (int r : raw) {
    out.push_back(s.Update(r, t));
    t += step;
  }
  return out;
}

TEST(DesiredSmoother, UpAtOnceDownAfterWindow) {
  DesiredSmoother s(0s, 30s);
  EXPECT_EQ(s.current(), 0);
  // One sample every 5 s: 2, then a burst wanting 10, then 3 from t = 15 s. The 10 seen at
  // t = 10 s leaves the 30 s window at t = 45 s.
  std::vector<int> raw = {2, 10, 10, 3, 3, 3, 3, 3, 3, 3, 3};
  std::vector<int> expected = {2, 10, 10, 10, 10, 10, 10, 10, 10, 3, 3};
  EXPECT_EQ(Feed(s, raw, 5s), expected);
  EXPECT_EQ(s.current(), 3);
}

TEST(DesiredSmoother, StepsDownThroughTheHighestRecentValue) {
  DesiredSmoother s(0s, 10s);
  std::vector<int> raw = {10, 6, 6, 6, 2, 2, 2, 2};
  std::vector<int> expected = {10, 10, 10, 6, 6, 6, 2, 2};
  EXPECT_EQ(Feed(s, raw, 5s), expected);
}

TEST(DesiredSmoother, AlternatingInputDoesNotFlap) {
  DesiredSmoother s(0s, 30s);
  std::vector<int> raw = {2, 10, 2, 10, 2, 10, 2, 10, 2, 10};
  std::vector<int> expected = {2, 10, 10, 10, 10, 10, 10, 10, 10, 10};
  EXPECT_EQ(Feed(s, raw, 5s), expected);
  // Load gone for good: down after the window, once.
  std::vector<int> tail;
  for (int i = 0; i < 10; ++i) tail.push_back(s.Update(2, Clock::time_point{} + 50s + 5s * i));
  EXPECT_EQ(tail, (std::vector<int>{10, 10, 10, 10, 10, 10, 2, 2, 2, 2}));  // last 10 at 45 s
}

TEST(DesiredSmoother, UpWindowNeedsSustainedRise) {
  DesiredSmoother s(10s, 30s);
  EXPECT_EQ(Feed(s, {2, 10, 10, 10, 10}, 5s), (std::vector<int>{2, 2, 2, 10, 10}));
  DesiredSmoother alternating(10s, 30s);
  EXPECT_EQ(Feed(alternating, {2, 10, 2, 10, 2, 10, 2}, 5s), (std::vector<int>(7, 2)));
}

TEST(ConsumerDesiredWorkers, KedaMode) {
  ConsumerInputs in;
  in.lag_threshold = 100;
  in.lag = 250;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 3);
  in.lag = 100;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 1);
  in.lag = 0;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 0);
  in.min_workers = 1;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 1);
  in.lag = 1e9;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 100);
}

TEST(ConsumerDesiredWorkers, RateModeKnownCapacity) {
  ConsumerInputs in;
  in.incoming_rate = 100;
  in.lag = 6000;  // drained within 60 s: 100 msgs/s more
  in.per_worker_rate = 50;
  in.workers = 2;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 4);  // ceil(200 / 50)
  in.lag = 0;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 2);  // keep up with 100/s
  in.incoming_rate = 20;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 1);  // scales down
  in.incoming_rate = 0;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 0);  // idle: min_workers
  in.lag = 10;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 1);  // a little backlog: someone must work
}

TEST(ConsumerDesiredWorkers, RateModeEstimatedCapacity) {
  ConsumerInputs in;
  in.workers = 3;
  in.ack_rate = 30;
  in.incoming_rate = 30;
  in.lag = 5;                                 // messages in flight: keeping up
  EXPECT_EQ(ConsumerDesiredWorkers(in), 3);   // hold, no runaway
  in.lag = 6000;                              // falling behind: workers busy, ack/workers is their capacity
  EXPECT_EQ(ConsumerDesiredWorkers(in), 13);  // ceil((30 + 100) / 10)
  in.workers = 0;
  in.ack_rate = 0;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 1);  // nobody consuming a backlog
  in.workers = 4;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 4);  // no acks: capacity unknown, hold
  in.lag = 0;
  in.incoming_rate = 0;
  in.min_workers = 1;
  EXPECT_EQ(ConsumerDesiredWorkers(in), 1);  // idle: min_workers
}

}  // namespace
}  // namespace farrier::capacity
