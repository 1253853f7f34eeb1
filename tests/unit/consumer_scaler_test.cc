// A JetStream consumer's capacity signal (capacity/consumer_scaler.h, docs/capacity.md
// "JetStream consumers"): rates from the window of lag and ack floor, rate and KEDA modes, the
// leader's figures only, a window cleared when leadership moves, and a paused consumer's hold.
#include "capacity/consumer_scaler.h"

#include <gtest/gtest.h>

#include "scaling_inputs.h"

namespace farrier::capacity {
namespace {

using namespace std::chrono_literals;
using test::At;
using test::Consumer;
using test::JszWith;

ConsumerConfig RateMode(double worker_rate) {
  ConsumerConfig c;
  c.stream = "ORDERS";
  c.consumer = "worker";
  c.worker_rate = worker_rate;
  c.drain_time = 60s;
  c.min_workers = 1;
  c.max_workers = 50;
  return c;
}

ConsumerConfig KedaMode(double lag_threshold) {
  ConsumerConfig c = RateMode(0);
  c.lag_threshold = lag_threshold;
  return c;
}

const ScalingOptions kWindows{.window = 10s, .up_window = 0s, .down_window = 30s, .services = {}, .consumers = {}};

ConsumerSignal Poll(ConsumerScaler& s, double t, uint64_t pending, uint64_t ack_pending, uint64_t ack_floor,
                    bool paused = false) {
  JszConsumer c = Consumer("worker", pending, ack_pending, ack_floor);
  c.paused = paused;
  const Jsz jsz = JszWith({c});
  return s.Observe(&jsz, "n1", At(t));
}

TEST(ConsumerScaler, RateModeSizesForTheIncomingRateAndTheBacklog) {
  ConsumerScaler s(RateMode(10), kWindows);
  ConsumerSignal sig = Poll(s, 0, 80, 20, 1000);
  EXPECT_EQ(sig.lag, 100u);
  EXPECT_EQ(sig.window_seconds, 0);
  EXPECT_EQ(sig.incoming_rate, 0) << "one sample: no rate yet";
  EXPECT_EQ(sig.desired_workers, 1) << "ceil((0 + 100/60) / 10)";
  // 2 s later: 40 acked (20/s) and the lag grew by 20 (10/s): 30/s arrive.
  sig = Poll(s, 2, 100, 20, 1040);
  EXPECT_TRUE(sig.found);
  EXPECT_TRUE(sig.led_here);
  EXPECT_EQ(sig.lag, 120u);
  EXPECT_DOUBLE_EQ(sig.window_seconds, 2);
  EXPECT_DOUBLE_EQ(sig.ack_rate, 20);
  EXPECT_DOUBLE_EQ(sig.incoming_rate, 30);
  EXPECT_EQ(sig.desired_workers, 4) << "ceil((30 + 120/60) / 10)";
}

TEST(ConsumerScaler, KedaModeIsLagOverThreshold) {
  ConsumerScaler s(KedaMode(10), kWindows);
  EXPECT_EQ(Poll(s, 0, 40, 10, 0).desired_workers, 5);
  EXPECT_EQ(Poll(s, 1, 140, 10, 0).desired_workers, 15) << "up at once";
  EXPECT_EQ(Poll(s, 2, 0, 0, 150).desired_workers, 15) << "down only after the down window";
  EXPECT_EQ(Poll(s, 32, 0, 0, 150).desired_workers, 1) << "min_workers";
}

TEST(ConsumerScaler, OnlyTheLeadersFiguresCount) {
  ConsumerScaler s(KedaMode(10), kWindows);
  const Jsz follower = JszWith({Consumer("worker", 50, 0, 0, "n2")}, /*clustered=*/true);
  ConsumerSignal sig = s.Observe(&follower, "n1", At(0));
  EXPECT_TRUE(sig.found);
  EXPECT_FALSE(sig.led_here);
  EXPECT_EQ(sig.lag, 0u) << "a follower's position is stale";
  EXPECT_EQ(sig.desired_workers, 0) << "summed across sidecars, the leader's answer stands alone";
  const Jsz leader = JszWith({Consumer("worker", 40, 10, 0, "n1")}, true);
  sig = s.Observe(&leader, "n1", At(1));
  EXPECT_TRUE(sig.led_here);
  EXPECT_EQ(sig.lag, 50u);
  EXPECT_EQ(sig.desired_workers, 5);
  const Jsz other = JszWith({Consumer("indexer", 500, 0, 0, "n1")}, true);
  EXPECT_FALSE(s.Observe(&other, "n1", At(2)).found);
}

TEST(ConsumerScaler, WindowStartsAfreshWhenLeadershipComesBack) {
  ConsumerScaler s(RateMode(10), kWindows);
  auto led_by = [](const std::string& leader, uint64_t pending, uint64_t ack_floor) {
    return JszWith({Consumer("worker", pending, 0, ack_floor, leader)}, /*clustered=*/true);
  };
  Jsz j = led_by("n1", 100, 0);
  s.Observe(&j, "n1", At(0));
  j = led_by("n1", 100, 100);
  EXPECT_DOUBLE_EQ(s.Observe(&j, "n1", At(1)).ack_rate, 100);
  j = led_by("n2", 100, 200);  // moved away: this sidecar's samples say nothing about the next term
  s.Observe(&j, "n1", At(2));
  j = led_by("n1", 100, 1000);
  ConsumerSignal sig = s.Observe(&j, "n1", At(3));
  EXPECT_EQ(sig.window_seconds, 0);
  EXPECT_EQ(sig.ack_rate, 0) << "not 1000 acks over 3 s";
  j = led_by("n1", 100, 1010);
  sig = s.Observe(&j, "n1", At(4));
  EXPECT_DOUBLE_EQ(sig.window_seconds, 1);
  EXPECT_DOUBLE_EQ(sig.ack_rate, 10);
}

TEST(ConsumerScaler, PausedHoldsItsLastAnswerAndResumesWithAFreshWindow) {
  ConsumerScaler keda(KedaMode(10), kWindows);
  EXPECT_EQ(Poll(keda, 0, 50, 0, 0).desired_workers, 5);
  ConsumerSignal sig = Poll(keda, 1, 150, 0, 0, /*paused=*/true);
  EXPECT_TRUE(sig.paused);
  EXPECT_EQ(sig.lag, 150u) << "the backlog is still reported";
  EXPECT_EQ(sig.desired_workers, 5) << "not ceil(150 / 10)";
  EXPECT_EQ(Poll(keda, 5, 250, 0, 0, true).desired_workers, 5);
  sig = Poll(keda, 6, 250, 0, 0);
  EXPECT_FALSE(sig.paused);
  EXPECT_EQ(sig.desired_workers, 25);

  // Rate mode: the growth during the pause is not an incoming rate.
  ConsumerScaler rate(RateMode(10), kWindows);
  Poll(rate, 0, 100, 0, 0);
  Poll(rate, 1, 100, 0, 0);
  for (int t = 2; t <= 6; ++t) Poll(rate, t, 100 + 100 * t, 0, 0, true);
  sig = Poll(rate, 7, 700, 0, 0);
  EXPECT_EQ(sig.window_seconds, 0) << "a fresh window";
  EXPECT_EQ(sig.incoming_rate, 0) << "not (700 - 100) / 7 s";
  sig = Poll(rate, 8, 690, 0, 20);  // 20 acked, 10 arrived
  EXPECT_DOUBLE_EQ(sig.ack_rate, 20);
  EXPECT_DOUBLE_EQ(sig.incoming_rate, 10);

  // Paused before any answer: min_workers.
  ConsumerScaler fresh(KedaMode(10), kWindows);
  EXPECT_EQ(Poll(fresh, 0, 500, 0, 0, true).desired_workers, 1);
}

}  // namespace
}  // namespace farrier::capacity
