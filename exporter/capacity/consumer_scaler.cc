#include "capacity/consumer_scaler.h"

#include <algorithm>

namespace farrier::capacity {

ConsumerRates WindowRates(const ConsumerWindow& window) {
  ConsumerRates r;
  if (!window.has_rate()) return r;
  const ConsumerSample& a = window.oldest();
  const ConsumerSample& b = window.newest();
  r.seconds = window.seconds();
  if (r.seconds > 0) {
    r.ack_rate = static_cast<double>(b.ack_floor - std::min(a.ack_floor, b.ack_floor)) / r.seconds;
    const double growth = (static_cast<double>(b.lag) - static_cast<double>(a.lag)) / r.seconds;
    r.incoming_rate = std::max(0.0, r.ack_rate + growth);
  }
  return r;
}

ConsumerScaler::ConsumerScaler(const ConsumerConfig& consumer, const ScalingOptions& options)
    : config_(consumer), window_(options.window), smoother_(options.up_window, options.down_window) {}

const JszConsumer* ConsumerScaler::Find(const Jsz& jsz) const {
  const JszConsumer* found = nullptr;
  for (const JszConsumer& c : jsz.consumer_details) {
    if (c.stream == config_.stream && c.name == config_.consumer &&
        (config_.account.empty() || c.account == config_.account)) {
      found = &c;
    }
  }
  return found;
}

bool ConsumerScaler::LedBy(const Jsz& jsz, std::string_view server_name) const {
  const JszConsumer* c = Find(jsz);
  return c && LedHere(jsz, c->leader, server_name);
}

ConsumerSignal ConsumerScaler::Observe(const Jsz* jsz, std::string_view server_name,
                                       std::chrono::steady_clock::time_point now) {
  ConsumerSignal sig;
  sig.stream = config_.stream;
  sig.consumer = config_.consumer;
  const JszConsumer* c = jsz ? Find(*jsz) : nullptr;
  if (c) {
    sig.found = true;
    // Followers report stale positions (see the notes): only the leader's feed the signal.
    sig.led_here = LedHere(*jsz, c->leader, server_name);
  }
  if (!sig.found || !sig.led_here) {
    window_.Clear();  // leadership moved away (or the consumer is gone): this sidecar's window is void
    return sig;
  }
  sig.num_pending = c->num_pending;
  sig.num_ack_pending = c->num_ack_pending;
  sig.lag = c->num_pending + c->num_ack_pending;
  if (c->paused) {
    // Paused on purpose (2.11+): the backlog grows while no worker can receive, so more workers
    // would not help. The last answer holds; rates start afresh when it resumes.
    sig.paused = true;
    window_.Clear();
    sig.desired_workers = smoother_.started() ? smoother_.current() : config_.min_workers;
    return sig;
  }
  window_.Add({now, sig.lag, c->ack_floor_consumer_seq});
  const ConsumerRates r = WindowRates(window_);
  sig.window_seconds = r.seconds;
  sig.ack_rate = r.ack_rate;
  sig.incoming_rate = r.incoming_rate;
  ConsumerInputs in;
  in.lag = static_cast<double>(sig.lag);
  in.ack_rate = sig.ack_rate;
  in.incoming_rate = sig.incoming_rate;
  in.per_worker_rate = config_.worker_rate;
  in.drain_seconds = std::chrono::duration<double>(config_.drain_time).count();
  in.lag_threshold = config_.lag_threshold;
  in.min_workers = config_.min_workers;
  in.max_workers = config_.max_workers;
  sig.desired_workers = smoother_.Update(ConsumerDesiredWorkers(in), now);
  return sig;
}

}  // namespace farrier::capacity
