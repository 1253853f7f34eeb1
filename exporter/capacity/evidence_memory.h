// The evidence memory of one service (docs/capacity.md, "Evidence memory"): the model's answer is
// the smallest pool that meets the objective, so it sits at the edge, and a pool sized by it can
// show timeouts again, be pushed up by evidence, fall back after the down window, and so on.
// This remembers the largest pool size at which evidence (timeouts, p99 above the SLO, no
// responders) was seen, and the lowest arrival rate it was seen at there (λ over a short window
// is noisy, and a size too small at a lower rate is too small at a higher one). While λ stays at
// or above kEvidenceMemoryLoadShare of that rate, the answer is at least one more than that size.
// No clock. Not thread-safe (one owner).
#pragma once

#include "capacity/model.h"

namespace farrier::capacity {

// The memory holds while λ stays at or above this share of the rate it was set at.
inline constexpr double kEvidenceMemoryLoadShare = 0.85;

class EvidenceMemory {
 public:
  // One poll: whether the assessment saw evidence, the pool size it was seen at (`workers`: the
  // fewest members of the window, 0 when unknown) and the arrival rate `lambda` (NaN = unknown). Evidence at a larger size than remembered replaces the memory; at
  // the same size it lowers the rate; with no evidence, a rate below the share (or unknown)
  // clears it: the load fell, and the model's answer stands again.
  void Observe(bool evidence, int workers, double lambda);

  // Raises `a.desired_workers` to one above the size that proved too small, when it is not above
  // it already: limited_by "evidence", or "max_workers" when that bound stops it.
  void Apply(PoolAssessment& a, int min_workers, int max_workers) const;

  int proven_too_small() const { return insufficient_at_; }  // 0: nothing remembered
  double lambda() const { return insufficient_lambda_; }     // meaningful while remembered

 private:
  int insufficient_at_ = 0;
  double insufficient_lambda_ = 0;
};

}  // namespace farrier::capacity
