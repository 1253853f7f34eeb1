#include "capacity/service_desired.h"

#include <algorithm>
#include <cmath>

namespace farrier::capacity {

int ServiceDesiredSmoother::Update(const PoolInputs& in, int raw, bool hold,
                                   std::chrono::steady_clock::time_point now) {
  if (hold) {
    if (smoother_.started()) return smoother_.current();
    const Objectives& o = in.objectives;
    return std::clamp(in.workers, o.min_workers, std::max(o.min_workers, o.max_workers));
  }
  // The model's answer is the smallest size at the edge of an objective, so under steady load λ
  // and S noise alone move it across that edge and back; without a band the held size dips by
  // one whenever the down window sees only low answers.
  const double lambda = in.arrival_rate;
  if (smoother_.started() && raw < smoother_.current() && std::isfinite(lambda) && lambda > 0) {
    PoolInputs margin = in;
    margin.arrival_rate = lambda * kScaleDownLoadMargin;
    margin.observed_timeout_ratio = 0;
    margin.observed_attempts = 0;
    margin.observed_p99_seconds = 0;
    margin.no_responders_with_load = false;
    raw = std::max(raw, std::min(Assess(margin).model_workers, smoother_.current()));
  }
  return smoother_.Update(raw, now);
}

}  // namespace farrier::capacity
