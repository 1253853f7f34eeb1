// The rate window of --scaling.window: cumulative samples (counters as they stood at a time), so
// that a rate is the difference between the oldest and the newest divided by the time between
// them. Services and consumers keep one each. No clock of its own: time comes with each sample
// and with Trim. Not thread-safe (one owner).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <utility>

namespace farrier::capacity {

// `Sample` has a member `at`, a std::chrono::steady_clock::time_point.
template <class Sample>
class SampleWindow {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SampleWindow(Clock::duration length) : length_(length) {}

  void Add(Sample s) {
    const Clock::time_point at = s.at;
    samples_.push_back(std::move(s));
    Trim(at);
  }
  // Drops a sample once the one after it is `length` old or older, so the oldest kept is the
  // newest that is at least `length` old: with a sample every poll the window spans `length`
  // (exactly, when the polls divide it). At least two samples are always kept, however old, so
  // a window without fresh samples still has a rate (its last one).
  void Trim(Clock::time_point now) {
    while (samples_.size() > 2 && now - samples_[1].at >= length_) samples_.pop_front();
  }
  void Clear() { samples_.clear(); }

  size_t size() const { return samples_.size(); }
  bool has_rate() const { return samples_.size() >= 2; }
  const Sample& oldest() const { return samples_.front(); }  // only when size() > 0
  const Sample& newest() const { return samples_.back(); }
  const std::deque<Sample>& samples() const { return samples_; }  // oldest first
  // newest − oldest; 0 with fewer than two samples.
  double seconds() const { return has_rate() ? std::chrono::duration<double>(newest().at - oldest().at).count() : 0; }
  // Spans at least half its length. Rates from a window much shorter than that (just after
  // start) are noise: a burst over half a second would be held for the whole down window.
  bool half_full() const { return seconds() * 2 >= std::chrono::duration<double>(length_).count(); }

 private:
  Clock::duration length_;
  std::deque<Sample> samples_;
};

}  // namespace farrier::capacity
