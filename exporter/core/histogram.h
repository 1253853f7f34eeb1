// A fixed-bucket histogram of observations in seconds, as plain data: the prober fills it under
// its own lock and the renderer turns a copy into a Prometheus histogram. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace farrier {

struct Histogram {
  std::vector<double> bounds;    // upper bounds, strictly increasing; +Inf is implicit
  std::vector<uint64_t> counts;  // per bucket, not cumulative; bounds.size() + 1 entries
  double sum = 0;
  uint64_t count = 0;

  Histogram() = default;
  explicit Histogram(std::vector<double> upper_bounds)
      : bounds(std::move(upper_bounds)), counts(bounds.size() + 1, 0) {}

  void Observe(double value) {
    // Prometheus buckets are "less than or equal to" the bound.
    size_t i = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
    ++counts[i];
    sum += value;
    ++count;
  }
};

}  // namespace farrier
