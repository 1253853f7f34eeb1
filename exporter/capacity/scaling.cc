#include "capacity/scaling.h"

#include <algorithm>
#include <cmath>

namespace farrier {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

double HistogramQuantile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double q) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0 || bounds.empty()) return 0;
  double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (static_cast<double>(below + counts[i]) >= rank && counts[i] > 0) {
      if (i >= bounds.size()) return bounds.back();
      double lower = i == 0 ? 0 : bounds[i - 1];
      double fraction = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
      return lower + (bounds[i] - lower) * std::clamp(fraction, 0.0, 1.0);
    }
    below += counts[i];
  }
  return bounds.back();
}

double FastestAtLeast(const std::vector<double>& bounds, const std::vector<uint64_t>& counts) {
  for (size_t i = 0; i < counts.size(); ++i) {
    // Bucket i holds (bounds[i-1], bounds[i]]; the last one, past every bound, (bounds.back(), +Inf).
    if (counts[i] > 0) return i == 0 || bounds.empty() ? 0 : bounds[std::min(i, bounds.size()) - 1];
  }
  return 0;
}

bool MicroServiceTimeImplausible(double micro_seconds, double fastest_probe_at_least) {
  return fastest_probe_at_least >= 0.002 && micro_seconds * 10 < fastest_probe_at_least;
}

ScalingTracker::State::State(const ScalingOptions& o) : smoother(o.up_window, o.down_window) {}

ScalingTracker::ConsumerState::ConsumerState(const ScalingOptions& o) : smoother(o.up_window, o.down_window) {}

ScalingTracker::ScalingTracker(ScalingOptions options, ServicesSource services)
    : options_(std::move(options)), services_source_(std::move(services)) {
  for (size_t i = 0; i < options_.services.size(); ++i) state_.emplace_back(options_);
  for (size_t i = 0; i < options_.consumers.size(); ++i) consumer_state_.emplace_back(options_);
  current_.store(std::make_shared<ScalingSnapshot>());
}

void ScalingTracker::Observe(const Snapshot& snapshot, Clock::time_point now, std::chrono::system_clock::time_point wall) {
  auto out = std::make_shared<ScalingSnapshot>();
  out->taken_at = now;
  out->taken_at_wall = wall;
  out->observed = true;
  ServicesSnapshot probes;
  if (services_source_) probes = services_source_();

  auto qg_status = snapshot.status.find("queuegroups");
  bool members_known = snapshot.queue_groups.has_value();
  if (!members_known) {
    out->stale_reasons.push_back(qg_status == snapshot.status.end()
                                     ? "queue-group source disabled"
                                     : "queue-group source down: " + qg_status->second.reason);
  }

  for (size_t i = 0; i < options_.services.size(); ++i) {
    const ServiceConfig& cfg = options_.services[i];
    State& st = state_[i];
    ServiceSignal sig;
    sig.name = cfg.name;
    sig.concurrency = cfg.worker_concurrency;

    // Delivered requests: sum of increments per subscription, so a member leaving (its msgs
    // vanish from the sum) is not a reset and a new member's first messages count.
    Sample sample;
    sample.at = now;
    if (members_known) {
      auto it = snapshot.queue_groups->find(cfg.name);
      if (it != snapshot.queue_groups->end()) {
        const QueueGroupView& view = it->second;
        std::map<std::pair<uint64_t, std::string>, uint64_t> seen;
        std::map<uint64_t, uint64_t> replies_seen;  // per member connection (cid): in_msgs
        for (const QueueSubscription& m : view.members) {
          auto key = std::make_pair(m.cid, m.sid);
          auto prev = st.last_msgs.find(key);
          uint64_t before = prev == st.last_msgs.end() ? 0 : prev->second;
          if (m.msgs >= before) st.delivered_total += m.msgs - before;
          seen[key] = m.msgs;
          const Connz::Counters* conn = snapshot.connz ? snapshot.connz->Find(m.cid) : nullptr;
          if (conn && !replies_seen.count(m.cid)) {
            // A worker connection publishes its replies: its in_msgs grow by one per reply.
            sig.pending_bytes += conn->pending_bytes;
            replies_seen[m.cid] = conn->in_msgs;
            auto last = st.last_in_msgs.find(m.cid);
            uint64_t before_in = last == st.last_in_msgs.end() ? conn->in_msgs : last->second;
            // A connection first seen now counts from here: its earlier messages may predate
            // farrier (or the worker's joining the group).
            if (conn->in_msgs >= before_in) st.replies_total += conn->in_msgs - before_in;
          }
        }
        st.last_msgs = std::move(seen);
        if (snapshot.connz) st.last_in_msgs = std::move(replies_seen);
        sig.workers = static_cast<int>(view.members.size());
        sig.members_known = true;
        sig.pending_known = snapshot.connz.has_value();
      }
    }
    sig.delivered_total = st.delivered_total;
    sig.replies_total = st.replies_total;
    sig.replies_known = sig.pending_known;
    sample.delivered = st.delivered_total;

    if (i < probes.stats.size()) {
      const ServiceStats& ps = probes.stats[i];
      sample.latency = ps.latency;
      sample.probes = ps.probes;
      sample.timeouts = ps.failures[static_cast<size_t>(ProbeFailure::kTimeout)];
      sample.no_responders = ps.failures[static_cast<size_t>(ProbeFailure::kNoResponders)];
      if (ps.micro_polled) {
        sample.micro = true;
        for (const auto& e : ps.micro.Totals()) {
          sample.micro_requests += e.requests;
          sample.micro_seconds += e.processing_seconds;
        }
      }
    }
    // Only samples with the members known feed λ; the window keeps `scaling.window` of them.
    if (sig.members_known) st.window.push_back(std::move(sample));
    while (st.window.size() > 2 && now - st.window[1].at >= options_.window) st.window.pop_front();

    // λ is unknown (NaN), not zero, until two samples span some time: the model reads 0 as
    // "no load" and would answer min_workers.
    double lambda = std::nan(""), service = 0, p99 = 0, timeout_ratio = 0;
    uint64_t probes_done = 0;
    bool no_responders = false;
    if (st.window.size() >= 2) {
      const Sample& a = st.window.front();
      const Sample& b = st.window.back();
      double dt = Seconds(b.at - a.at);
      sig.window_seconds = dt;
      if (dt > 0) lambda = static_cast<double>(b.delivered - a.delivered) / dt;
      // S: the workers' own processing time when they offer micro stats, else successful probes.
      if (a.micro && b.micro && b.micro_requests > a.micro_requests) {
        service = (b.micro_seconds - a.micro_seconds) / static_cast<double>(b.micro_requests - a.micro_requests);
        sig.service_time_source = "micro";
      }
      uint64_t answered = b.latency.count - std::min(a.latency.count, b.latency.count);
      if (answered > 0 && b.latency.counts.size() == a.latency.counts.size()) {
        std::vector<uint64_t> delta(b.latency.counts.size());
        for (size_t k = 0; k < delta.size(); ++k) delta[k] = b.latency.counts[k] - a.latency.counts[k];
        // With fewer than ~100 answers in the window the 99th percentile is just the maximum.
        if (answered >= 100) p99 = HistogramQuantile(b.latency.bounds, delta, 0.99);
        if (service > 0 && MicroServiceTimeImplausible(service, FastestAtLeast(b.latency.bounds, delta))) {
          sig.micro_service_seconds_ignored = service;
          service = 0;  // the probes' figure below: an overestimate, which errs towards more workers
        }
        if (service == 0) {
          service = (b.latency.sum - a.latency.sum) / static_cast<double>(answered);
          sig.service_time_source = "probe";
        }
      }
      probes_done = b.probes - std::min(a.probes, b.probes);
      if (probes_done > 0) timeout_ratio = static_cast<double>(b.timeouts - a.timeouts) / static_cast<double>(probes_done);
      no_responders = b.no_responders > a.no_responders;
    }
    sig.arrival_rate = std::isnan(lambda) ? 0 : lambda;
    sig.service_seconds = service;
    sig.p99_seconds = p99;
    sig.observed_timeout_ratio = timeout_ratio;

    capacity::PoolInputs in;
    in.arrival_rate = lambda;
    in.service_seconds = service;
    in.workers = sig.workers;
    in.concurrency = cfg.worker_concurrency;
    in.overflow = cfg.overflow;
    in.objectives.target_utilization = cfg.target_utilization;
    in.objectives.max_timeout_ratio = cfg.max_timeout_ratio;
    in.objectives.latency_slo_seconds = std::chrono::duration<double>(cfg.latency_slo).count();
    in.objectives.min_workers = cfg.min_workers;
    in.objectives.max_workers = cfg.max_workers;
    in.observed_timeout_ratio = timeout_ratio;
    in.observed_attempts = static_cast<double>(probes_done);
    in.observed_p99_seconds = p99;
    in.no_responders_with_load = no_responders;
    sig.assessment = capacity::Assess(in);
    // The model sits at the edge of its objective by construction (the smallest N that meets
    // it), so a pool sized by it can show timeouts again and be pushed up by evidence, fall
    // back after the down window, and so on. Remember the size evidence proved too small and
    // keep the answer above it while the load is the same.
    // The rate remembered is the lowest at which the evidence was seen for that size (λ over a
    // short window is noisy, and a size too small at a lower rate is too small at a higher one).
    if (!sig.assessment.evidence.empty() && sig.workers > 0 && std::isfinite(lambda) && lambda > 0) {
      if (sig.workers > st.insufficient_at) {
        st.insufficient_at = sig.workers;
        st.insufficient_lambda = lambda;
      } else if (sig.workers == st.insufficient_at) {
        st.insufficient_lambda = std::min(st.insufficient_lambda, lambda);
      }
    } else if (st.insufficient_at > 0 && (!std::isfinite(lambda) || lambda < 0.85 * st.insufficient_lambda)) {
      st.insufficient_at = 0;  // the load fell: the model's answer stands again
    }
    if (st.insufficient_at > 0 && sig.assessment.desired_workers <= st.insufficient_at) {
      sig.assessment.desired_workers = std::min(st.insufficient_at + 1, std::max(cfg.min_workers, cfg.max_workers));
      sig.assessment.limited_by = "evidence";
    }
    sig.proven_too_small = st.insufficient_at;
    // Rates from a window much shorter than --scaling.window (just after start) are noise: a
    // burst over half a second would be held for the whole down window. Until the window is
    // half full, and whenever the members are unknown, the answer holds: the smoother's value,
    // or at first the current size within the bounds.
    sig.warming_up = sig.window_seconds * 2 < std::chrono::duration<double>(options_.window).count();
    if (sig.members_known && !sig.warming_up) {
      int raw = sig.assessment.desired_workers;
      // Hysteresis band: a pool smaller than the one held must meet every objective at
      // kScaleDownLoadMargin times the measured rate. The model's answer is the smallest size at
      // the edge of an objective, so under steady load λ and S noise alone move it across that
      // edge and back; without a band the held size dips by one whenever the down window sees
      // only low answers (see docs/capacity.md, "Smoothing").
      if (st.smoother.started() && raw < st.smoother.current() && std::isfinite(lambda) && lambda > 0) {
        capacity::PoolInputs margin = in;
        margin.arrival_rate = lambda * kScaleDownLoadMargin;
        margin.observed_timeout_ratio = 0;
        margin.observed_attempts = 0;
        margin.observed_p99_seconds = 0;
        margin.no_responders_with_load = false;
        raw = std::max(raw, std::min(capacity::Assess(margin).model_workers, st.smoother.current()));
      }
      sig.desired_workers = st.smoother.Update(raw, now);
    } else if (st.smoother.started()) {
      sig.desired_workers = st.smoother.current();
    } else {
      sig.desired_workers = std::clamp(sig.workers, cfg.min_workers, std::max(cfg.min_workers, cfg.max_workers));
    }
    out->services.push_back(std::move(sig));
  }
  ObserveConsumers(snapshot, now, out.get());
  current_.store(std::move(out));
}

void ScalingTracker::ObserveConsumers(const Snapshot& snapshot, Clock::time_point now, ScalingSnapshot* out) {
  if (!options_.consumers.empty() && !snapshot.jsz) out->stale_reasons.push_back("/jsz not available this poll");
  for (size_t i = 0; i < options_.consumers.size(); ++i) {
    const ConsumerConfig& cfg = options_.consumers[i];
    ConsumerState& st = consumer_state_[i];
    ConsumerSignal sig;
    sig.stream = cfg.stream;
    sig.consumer = cfg.consumer;
    const JszConsumer* c = nullptr;
    if (snapshot.jsz) {
      for (const JszConsumer& x : snapshot.jsz->consumer_details) {
        if (x.stream == cfg.stream && x.name == cfg.consumer && (cfg.account.empty() || x.account == cfg.account)) c = &x;
      }
    }
    if (c) {
      sig.found = true;
      // Followers report stale positions (see the notes): only the leader's feed the signal.
      sig.led_here = LedHere(*snapshot.jsz, c->leader, snapshot.server_name);
    }
    if (sig.found && sig.led_here && c->paused) {
      // Paused on purpose (2.11+): the backlog grows while no worker can receive, so more
      // workers would not help. The last answer holds; rates start afresh when it resumes.
      sig.paused = true;
      sig.num_pending = c->num_pending;
      sig.num_ack_pending = c->num_ack_pending;
      sig.lag = c->num_pending + c->num_ack_pending;
      st.window.clear();
      sig.desired_workers = st.smoother.started() ? st.smoother.current() : cfg.min_workers;
    } else if (sig.found && sig.led_here) {
      sig.num_pending = c->num_pending;
      sig.num_ack_pending = c->num_ack_pending;
      sig.lag = c->num_pending + c->num_ack_pending;
      st.window.push_back({now, sig.lag, c->ack_floor_consumer_seq});
      while (st.window.size() > 2 && now - st.window[1].at >= options_.window) st.window.pop_front();
      if (st.window.size() >= 2) {
        const ConsumerSample& a = st.window.front();
        const ConsumerSample& b = st.window.back();
        double dt = Seconds(b.at - a.at);
        sig.window_seconds = dt;
        if (dt > 0) {
          sig.ack_rate = static_cast<double>(b.ack_floor - std::min(a.ack_floor, b.ack_floor)) / dt;
          double growth = (static_cast<double>(b.lag) - static_cast<double>(a.lag)) / dt;
          sig.incoming_rate = std::max(0.0, sig.ack_rate + growth);
        }
      }
      capacity::ConsumerInputs in;
      in.lag = static_cast<double>(sig.lag);
      in.ack_rate = sig.ack_rate;
      in.incoming_rate = sig.incoming_rate;
      in.per_worker_rate = cfg.worker_rate;
      in.drain_seconds = std::chrono::duration<double>(cfg.drain_time).count();
      in.lag_threshold = cfg.lag_threshold;
      in.min_workers = cfg.min_workers;
      in.max_workers = cfg.max_workers;
      sig.desired_workers = st.smoother.Update(capacity::ConsumerDesiredWorkers(in), now);
    } else {
      // Leadership moved away (or the consumer is gone): this sidecar's window is void.
      st.window.clear();
    }
    out->consumers.push_back(std::move(sig));
  }
}

}  // namespace farrier
