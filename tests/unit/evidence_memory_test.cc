// The evidence memory (capacity/evidence_memory.h, docs/capacity.md "Evidence memory"): the
// pool size that proved too small at a load, raised by evidence at a larger size, kept while λ
// stays at or above 85 % of the rate it was seen at, cleared below.
#include "capacity/evidence_memory.h"

#include <gtest/gtest.h>

#include <cmath>

namespace farrier::capacity {
namespace {

PoolAssessment Answer(int desired, const char* limited_by = "timeout_ratio") {
  PoolAssessment a;
  a.desired_workers = desired;
  a.model_workers = desired;
  a.limited_by = limited_by;
  return a;
}

TEST(EvidenceMemory, RemembersTheSizeEvidenceWasSeenAt) {
  EvidenceMemory m;
  PoolAssessment a = Answer(2);
  m.Apply(a, 1, 100);
  EXPECT_EQ(a.desired_workers, 2) << "nothing remembered yet";
  EXPECT_EQ(m.proven_too_small(), 0);

  m.Observe(/*evidence=*/true, /*workers=*/3, /*lambda=*/100);
  EXPECT_EQ(m.proven_too_small(), 3);
  EXPECT_EQ(m.lambda(), 100);
  // Evidence gone (the pool grew): the model alone would go back to 3, or lower.
  m.Observe(false, 5, 100);
  for (int model : {2, 3}) {
    a = Answer(model);
    m.Apply(a, 1, 100);
    EXPECT_EQ(a.desired_workers, 4) << "one more than the size that proved too small";
    EXPECT_EQ(a.limited_by, "evidence");
  }
  a = Answer(6);
  m.Apply(a, 1, 100);
  EXPECT_EQ(a.desired_workers, 6) << "a larger answer stands";
  EXPECT_EQ(a.limited_by, "timeout_ratio");
}

TEST(EvidenceMemory, EvidenceAtALargerSizeRaisesIt) {
  EvidenceMemory m;
  m.Observe(true, 3, 100);
  m.Observe(true, 4, 120);
  EXPECT_EQ(m.proven_too_small(), 4);
  EXPECT_EQ(m.lambda(), 120);
  m.Observe(true, 2, 90);  // a smaller pool (workers still starting or stopping): nothing new
  EXPECT_EQ(m.proven_too_small(), 4);
  EXPECT_EQ(m.lambda(), 120);
  m.Observe(true, 4, 110);  // the same size at a lower rate: too small at that rate already
  EXPECT_EQ(m.lambda(), 110);
  m.Observe(true, 4, 130);
  EXPECT_EQ(m.lambda(), 110) << "the lowest rate is kept";
}

TEST(EvidenceMemory, ClearedWhenTheLoadFallsBelow85Percent) {
  EvidenceMemory m;
  m.Observe(true, 4, 100);
  m.Observe(false, 5, 86);
  EXPECT_EQ(m.proven_too_small(), 4);
  m.Observe(false, 5, 85);
  EXPECT_EQ(m.proven_too_small(), 4) << "85 % exactly still holds";
  m.Observe(false, 5, 84.9);
  EXPECT_EQ(m.proven_too_small(), 0);
  PoolAssessment a = Answer(3);
  m.Apply(a, 1, 100);
  EXPECT_EQ(a.desired_workers, 3) << "the model's answer stands again";

  m.Observe(true, 2, 40);
  EXPECT_EQ(m.proven_too_small(), 2) << "set afresh at the new load";
  EXPECT_EQ(m.lambda(), 40);
  m.Observe(false, 3, std::nan(""));
  EXPECT_EQ(m.proven_too_small(), 0) << "λ unknown";
}

TEST(EvidenceMemory, WithinTheBounds) {
  EvidenceMemory m;
  m.Observe(true, 5, 100);
  for (PoolAssessment a : {Answer(5, "max_workers"), Answer(4)}) {
    m.Apply(a, 1, 5);
    EXPECT_EQ(a.desired_workers, 5);
    EXPECT_EQ(a.limited_by, "max_workers") << "the bound set the answer, not the memory";
  }
  PoolAssessment a = Answer(4);
  m.Apply(a, 1, 10);
  EXPECT_EQ(a.desired_workers, 6);
  EXPECT_EQ(a.limited_by, "evidence");
}

TEST(EvidenceMemory, NeedsMembersAndLoad) {
  EvidenceMemory m;
  m.Observe(true, 0, 100);  // no members here: "no_members" evidence is no pool size
  m.Observe(true, 3, 0);
  m.Observe(true, 3, std::nan(""));
  EXPECT_EQ(m.proven_too_small(), 0);
}

}  // namespace
}  // namespace farrier::capacity
