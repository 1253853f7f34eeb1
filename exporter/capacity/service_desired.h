// The desired workers of one service that autoscalers follow (docs/capacity.md, "Smoothing"):
// each poll's answer through a DesiredSmoother, with the scale-down band, and held while the
// figures cannot be trusted (members unknown, or the rate window not yet half full). No clock of
// its own. Not thread-safe (one owner).
#pragma once

#include <chrono>

#include "capacity/model.h"

namespace farrier::capacity {

// Scale-down band: a smaller pool than the one held must meet the objectives at this multiple
// of the measured arrival rate (10 %, the same tolerance as Kubernetes' HPA).
inline constexpr double kScaleDownLoadMargin = 1.1;

class ServiceDesiredSmoother {
 public:
  ServiceDesiredSmoother(std::chrono::steady_clock::duration up_window, std::chrono::steady_clock::duration down_window)
      : smoother_(up_window, down_window) {}

  // `raw`: this poll's answer (the model's, raised by evidence and the evidence memory) for the
  // model inputs `in`. With `hold`, the answer holds: the smoothed value, or before there is one
  // the current size within the bounds. Otherwise a smaller answer than the one held counts only
  // as far as it also meets every objective at kScaleDownLoadMargin × λ, and the result goes
  // through the smoother.
  int Update(const PoolInputs& in, int raw, bool hold, std::chrono::steady_clock::time_point now);

 private:
  DesiredSmoother smoother_;
};

}  // namespace farrier::capacity
