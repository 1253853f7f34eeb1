// The scaling tracker (capacity/scaling.h) fed by hand-made snapshots and prober figures at time
// points the test chooses: the parts put together, poll after poll, as the poller drives them.
#include "capacity/scaling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "scaling_inputs.h"

namespace farrier {
namespace {

using namespace std::chrono_literals;
using test::At;

// A pool whose `workers` members each get rate / workers requests a second (the first `workers`
// connections, cid 1, 2, ...), whose $SRV.STATS say each took `service_seconds`, and whose
// replies follow the requests; plus the prober's figures for it.
struct Pool {
  int workers = 2;
  double rate = 100;
  double service_seconds = 0.02;
  std::map<uint64_t, uint64_t> msgs;  // cid -> delivered
  uint64_t micro_requests = 0;
  double micro_seconds = 0;
  test::ProbeStats probes;
  bool queue_groups_up = true;

  // `seconds` of load, then a poll at `t`.
  Snapshot Advance(double seconds, double t) {
    const auto each = static_cast<uint64_t>(rate * seconds / workers);
    for (int cid = 1; cid <= workers; ++cid) msgs[cid] += each;
    for (auto it = msgs.begin(); it != msgs.end();)
      it = it->first > static_cast<uint64_t>(workers) ? msgs.erase(it) : ++it;
    micro_requests += each * static_cast<uint64_t>(workers);
    micro_seconds += static_cast<double>(each) * workers * service_seconds;
    probes.Micro(micro_requests, micro_seconds, At(t));
    probes.Answered(static_cast<int>(seconds * 4), service_seconds + 0.001);

    Snapshot s;
    s.taken_at = At(t);
    if (!queue_groups_up) {
      s.status["queuegroups"].reason = "timeout";
      return s;
    }
    std::vector<test::Member> members;
    std::vector<Connz::Counters> connections;
    for (const auto& [cid, delivered] : msgs) {
      members.push_back({cid, "1", delivered});
      connections.push_back({cid, delivered, 0});
    }
    s.MutableLocal().queue_groups = std::map<std::string, QueueGroupView>{{"echo", test::Members(members)}};
    s.MutableLocal().connz = test::ConnzOf(connections);
    return s;
  }
};

class ScalingTrackerTest : public ::testing::Test {
 protected:
  ScalingTracker Tracker(const ServiceConfig& service, std::chrono::milliseconds down_window = 10s) {
    ScalingOptions o{.window = 4s, .up_window = 0s, .down_window = down_window, .services = {service}, .consumers = {}};
    return ScalingTracker(o, [this] {
      ServicesSnapshot s;
      s.stats.push_back(pool_.probes.stats);
      return s;
    });
  }
  const ServiceSignal& Poll(ScalingTracker& t, double at, double seconds = 1) {
    t.Observe(pool_.Advance(seconds, at), At(at), {});
    last_ = t.Current();
    return last_->services.at(0);
  }

  // 4 members, 100 requests/s at S = 10 ms, ε = 5 %: the model asks for 3.
  ServiceConfig FourMembers() {
    pool_.workers = 4;
    pool_.service_seconds = 0.01;
    ServiceConfig echo = test::EchoService();
    echo.max_timeout_ratio = 0.05;
    return echo;
  }
  // Polls t = 0..4 (the answer is then 3), and makes the probes of the next poll time out.
  void WarmUpThenTimeOut(ScalingTracker& t) {
    for (int at = 0; at <= 4; ++at) Poll(t, at);
    EXPECT_EQ(last_->services[0].desired_workers, 3);
    pool_.probes.Failed(12, ProbeFailure::kTimeout);
  }

  Pool pool_;
  std::shared_ptr<const ScalingSnapshot> last_;
};

// docs/capacity.md's worked example, measured: 100 requests/s on 2 members of C = 2, S = 20 ms,
// ε = 1 %: utilization 0.5, Erlang B 20 %, desired 14 once the 4 s window is half full.
TEST_F(ScalingTrackerTest, WorkedExampleOnceTheWindowIsHalfFull) {
  ScalingTracker t = Tracker(test::EchoService());
  ServiceSignal sig = Poll(t, 0);
  EXPECT_TRUE(sig.members_known);
  EXPECT_EQ(sig.workers, 2);
  EXPECT_TRUE(sig.warming_up);
  EXPECT_EQ(sig.assessment.limited_by, "no_data") << "λ unknown with one sample";
  EXPECT_EQ(sig.desired_workers, 2) << "held at the current size";
  sig = Poll(t, 1);
  EXPECT_TRUE(sig.warming_up) << "1 s of a 4 s window";
  EXPECT_EQ(sig.assessment.desired_workers, 14) << "the raw answer is there";
  EXPECT_EQ(sig.desired_workers, 2) << "but held while warming up";

  sig = Poll(t, 2);
  EXPECT_FALSE(sig.warming_up);
  EXPECT_DOUBLE_EQ(sig.window_seconds, 2);
  EXPECT_DOUBLE_EQ(sig.arrival_rate, 100);
  EXPECT_DOUBLE_EQ(sig.service_seconds, 0.02);
  EXPECT_EQ(sig.service_time_source, "micro");
  EXPECT_DOUBLE_EQ(sig.assessment.utilization, 0.5);
  EXPECT_NEAR(sig.assessment.predicted_timeout_ratio, 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(sig.assessment.demand_workers, 1);
  EXPECT_EQ(sig.assessment.limited_by, "timeout_ratio");
  EXPECT_EQ(sig.desired_workers, 14);
  EXPECT_EQ(sig.delivered_total, 300u);
  EXPECT_EQ(sig.replies_total, 200u) << "counted from the first poll that saw the connections";
  EXPECT_TRUE(sig.replies_known);
  EXPECT_TRUE(last_->stale_reasons.empty());
}

// A poll without the members (the queue-group source failed) is no sample: the answer holds,
// λ stays the last window's, and the requests delivered meanwhile are counted at the next poll.
TEST_F(ScalingTrackerTest, MembersUnknownHoldTheAnswerAndKeepTheCount) {
  ScalingTracker t = Tracker(FourMembers(), /*down_window=*/0s);  // the hold alone keeps the answer
  WarmUpThenTimeOut(t);
  ASSERT_EQ(Poll(t, 5).desired_workers, 6) << "evidence: 4 + 2";

  pool_.queue_groups_up = false;
  ServiceSignal sig = Poll(t, 6);
  EXPECT_FALSE(sig.members_known);
  EXPECT_EQ(sig.desired_workers, 6) << "without members the raw answer would be 5 (the evidence memory's)";
  EXPECT_DOUBLE_EQ(sig.arrival_rate, 100) << "the window without this poll";
  EXPECT_EQ(last_->stale_reasons, std::vector<std::string>{"queue-group source down: timeout"});
  EXPECT_EQ(sig.delivered_total, 600u);
  pool_.queue_groups_up = true;
  sig = Poll(t, 7);
  EXPECT_TRUE(sig.members_known);
  EXPECT_EQ(sig.delivered_total, 800u) << "the requests of the blind poll are caught up";
  EXPECT_DOUBLE_EQ(sig.arrival_rate, 100) << "over the window t = 3..7";
}

// FourMembers: the model asks for 3. Probes time out (evidence): desired rises at once to 4 + 2
// and 4 is remembered; once the timeouts have left the window, the same load keeps the answer at
// 5, one above 4; a load 20 % lower clears the memory.
TEST_F(ScalingTrackerTest, EvidenceRaisesAtOnceAndItsMemoryHoldsAtTheSameLoad) {
  ScalingTracker t = Tracker(FourMembers(), /*down_window=*/3s);
  WarmUpThenTimeOut(t);
  ServiceSignal sig = Poll(t, 5);
  EXPECT_EQ(sig.assessment.evidence, "timeouts");
  EXPECT_EQ(sig.desired_workers, 6) << "4 + ceil(4 · 0.5), at once";
  EXPECT_EQ(sig.proven_too_small, 4);

  for (int at = 6; at <= 8; ++at) EXPECT_EQ(Poll(t, at).desired_workers, 6) << "the timeouts are in the window";
  sig = Poll(t, 9);
  EXPECT_TRUE(sig.assessment.evidence.empty()) << "the window starts at t = 5";
  EXPECT_EQ(sig.assessment.model_workers, 3);
  EXPECT_EQ(sig.assessment.desired_workers, 5) << "one above the size that proved too small";
  EXPECT_EQ(sig.assessment.limited_by, "evidence");
  EXPECT_EQ(sig.proven_too_small, 4);
  EXPECT_EQ(sig.desired_workers, 6) << "down only after the down window";
  for (int at = 10; at <= 12; ++at) sig = Poll(t, at);
  EXPECT_EQ(sig.desired_workers, 5);

  pool_.rate = 80;
  for (int at = 13; at <= 15; ++at) sig = Poll(t, at);
  EXPECT_EQ(sig.proven_too_small, 4) << "λ over the window is 85/s, 85 % of 100";
  sig = Poll(t, 16);
  EXPECT_EQ(sig.proven_too_small, 0);
  for (int at = 17; at <= 20; ++at) sig = Poll(t, at);
  EXPECT_EQ(sig.desired_workers, 3);
}

// The autoscaler follows the evidence (4 -> 6 members) while the window still holds the
// timeouts seen at 4: they prove 4 too small, not 6. Remembering 6 would keep 7 workers at this
// load for good where 5 do.
TEST_F(ScalingTrackerTest, EvidenceIsRememberedAtThePoolSizeItWasSeenAt) {
  ScalingTracker t = Tracker(FourMembers(), /*down_window=*/3s);
  WarmUpThenTimeOut(t);
  ASSERT_EQ(Poll(t, 5).desired_workers, 6);

  pool_.workers = 6;
  ServiceSignal sig = Poll(t, 6);
  ASSERT_EQ(sig.assessment.evidence, "timeouts") << "the window still holds them";
  EXPECT_EQ(sig.proven_too_small, 4);
  for (int at = 7; at <= 12; ++at) sig = Poll(t, at);
  EXPECT_TRUE(sig.assessment.evidence.empty());
  EXPECT_EQ(sig.proven_too_small, 4);
  EXPECT_EQ(sig.assessment.desired_workers, 5);
}

TEST(ScalingTracker, ConsumersFromTheLeadersJsz) {
  ConsumerConfig orders;
  orders.stream = "ORDERS";
  orders.consumer = "worker";
  orders.lag_threshold = 10;
  ScalingTracker t({.window = 4s, .up_window = 0s, .down_window = 10s, .services = {}, .consumers = {orders}}, {});
  Snapshot s;
  s.MutableLocal().server_name = "n1";
  // No services: the queue-group source is disabled (no queue_groups, no status), which is no
  // reason to call the consumers' figures stale.
  s.MutableLocal().jsz = test::JszWith({test::Consumer("worker", 40, 10, 0, "n1")}, /*clustered=*/true);
  t.Observe(s, At(0), {});
  ASSERT_EQ(t.Current()->consumers.size(), 1u);
  EXPECT_EQ(t.Current()->consumers[0].desired_workers, 5);
  EXPECT_TRUE(t.Current()->stale_reasons.empty());
  s.MutableLocal().jsz.reset();
  t.Observe(s, At(1), {});
  EXPECT_FALSE(t.Current()->consumers[0].found);
  EXPECT_EQ(t.Current()->stale_reasons, std::vector<std::string>{"/jsz not available this poll"});
}

}  // namespace
}  // namespace farrier
