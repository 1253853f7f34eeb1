#include "capacity/evidence_memory.h"

#include <algorithm>
#include <cmath>

namespace farrier::capacity {

void EvidenceMemory::Observe(bool evidence, int workers, double lambda) {
  if (evidence && workers > 0 && std::isfinite(lambda) && lambda > 0) {
    if (workers > insufficient_at_) {
      insufficient_at_ = workers;
      insufficient_lambda_ = lambda;
    } else if (workers == insufficient_at_) {
      insufficient_lambda_ = std::min(insufficient_lambda_, lambda);
    }
  } else if (insufficient_at_ > 0 &&
             (!std::isfinite(lambda) || lambda < kEvidenceMemoryLoadShare * insufficient_lambda_)) {
    insufficient_at_ = 0;
  }
}

void EvidenceMemory::Apply(PoolAssessment& a, int min_workers, int max_workers) const {
  if (insufficient_at_ == 0 || a.desired_workers > insufficient_at_) return;
  const int bound = std::max(min_workers, max_workers);
  a.desired_workers = std::min(insufficient_at_ + 1, bound);
  a.limited_by = insufficient_at_ + 1 > bound ? "max_workers" : "evidence";
}

}  // namespace farrier::capacity
