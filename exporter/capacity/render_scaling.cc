#include "capacity/render_scaling.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace farrier {
namespace {

// JSON has no infinity; a utilization with no members and load is reported as null.
nlohmann::json Finite(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json ServiceJson(const ServiceSignal& s) {
  const capacity::PoolAssessment& a = s.assessment;
  nlohmann::json j{
      {"current_workers", s.workers},
      {"desired_workers", s.desired_workers},
      {"desired_workers_raw", a.desired_workers},
      {"demand_workers", Finite(a.demand_workers)},
      {"utilization", Finite(a.utilization)},
      {"predicted_timeout_ratio", Finite(a.predicted_timeout_ratio)},
      {"predicted_wait_seconds", Finite(a.predicted_wait_seconds)},
      {"saturated", a.saturated},
      {"limited_by", a.limited_by},
      {"arrival_rate", s.arrival_rate},
      {"service_time_seconds", s.service_seconds},
      {"service_time_source", s.service_time_source},
      {"p99_seconds", s.p99_seconds},
      {"observed_timeout_ratio", s.observed_timeout_ratio},
      {"requests_delivered", s.delivered_total},
      {"replies_sent", s.replies_total},
      {"concurrency", s.concurrency},
      {"window_seconds", s.window_seconds},
      {"members_known", s.members_known},
      {"warming_up", s.warming_up},
      {"proven_too_small", s.proven_too_small},
  };
  if (s.pending_known) j["pending_bytes"] = s.pending_bytes;
  if (s.micro_service_seconds_ignored > 0) j["micro_service_time_ignored_seconds"] = s.micro_service_seconds_ignored;
  return j;
}

}  // namespace

void RenderScaling(const ScalingSnapshot& s, Families& out) {
  for (const ServiceSignal& sig : s.services) {
    const Labels service{{"service", sig.name}};
    out.Counter("nats_service_requests_delivered_total",
                "Requests delivered to this server's members of the service's queue group, summed "
                "over subscriptions as they come and go (/subsz?subs=1&test=<subject> msgs).")
        .Add(static_cast<double>(sig.delivered_total), service);
    if (!sig.members_known) continue;
    out.Gauge("nats_service_workers",
              "Queue subscriptions in the service's group on this server; additive across servers "
              "(/subsz?subs=1&test=<subject>).")
        .Add(sig.workers, service);
    if (sig.replies_known) {
      out.Counter("nats_service_replies_sent_total",
                  "Messages published by this server's member connections (their replies), counted from when "
                  "farrier first saw each; additive (/connz in_msgs of the members).")
          .Add(static_cast<double>(sig.replies_total), service);
    }
    if (sig.pending_known) {
      out.Gauge("nats_service_worker_pending_bytes",
                "Bytes queued to this server's members, summed; additive (/connz pending_bytes of the members).")
          .Add(static_cast<double>(sig.pending_bytes), service);
    }
    const capacity::PoolAssessment& a = sig.assessment;
    out.Gauge("nats_service_arrival_rate",
              "Requests per second delivered to this server's members over --scaling.window (capacity model input λ).")
        .Add(sig.arrival_rate, service);
    if (sig.service_seconds > 0) {
      out.Gauge("nats_service_service_time_seconds",
                "Mean service time over --scaling.window, from micro stats or else answered probes (capacity model "
                "input S).")
          .Add(sig.service_seconds, service);
    }
    // Unknown figures (no service time yet) are absent, never a zero an autoscaler would act on.
    if (std::isfinite(a.demand_workers)) {
      out.Gauge(
             "nats_service_demand_workers",
             "Busy-worker equivalent λ·S/C on this server; additive: sum across servers, then size (capacity model).")
          .Add(a.demand_workers, service);
    }
    if (std::isfinite(a.utilization)) {
      out.Gauge("nats_service_utilization_ratio", "λ·S/(N·C) of this server's members (capacity model).")
          .Add(a.utilization, service);
    }
    if (std::isfinite(a.predicted_timeout_ratio)) {
      out.Gauge("nats_service_predicted_timeout_ratio",
                "Share of requests a drop-mode pool loses at the current size, Erlang B (capacity model).")
          .Add(a.predicted_timeout_ratio, service);
    }
    out.Gauge("nats_service_saturated", "1 when the pool is at or past capacity or losing requests (capacity model).")
        .Add(a.saturated ? 1 : 0, service);
    out.Gauge("nats_service_desired_workers",
              "Workers this server's share of the pool should have to meet the service's objectives, smoothed; "
              "additive across servers (capacity model).")
        .Add(sig.desired_workers, service);
  }
}

void RenderConsumerScaling(const ScalingSnapshot& s, Families& out) {
  for (const ConsumerSignal& c : s.consumers) {
    const Labels labels{{"stream", c.stream}, {"consumer", c.consumer}};
    if (c.found) {
      out.Gauge("nats_consumer_scaling_leader",
                "1 when this server leads the configured consumer and so exports its lag and desired workers "
                "(/jsz consumer_detail[].cluster.leader).")
          .Add(c.led_here ? 1 : 0, labels);
    }
    if (!c.found || !c.led_here) continue;
    out.Gauge("nats_consumer_lag",
              "num_pending + num_ack_pending of the configured consumer, from its leader only "
              "(/jsz consumer_detail[]).")
        .Add(static_cast<double>(c.lag), labels);
    out.Gauge("nats_consumer_ack_rate",
              "Messages acked per second over --scaling.window (/jsz ack_floor.consumer_seq).")
        .Add(c.ack_rate, labels);
    out.Gauge("nats_consumer_incoming_rate",
              "Messages per second arriving for the consumer: ack rate plus lag growth (/jsz, capacity model).")
        .Add(c.incoming_rate, labels);
    out.Gauge("nats_consumer_desired_workers",
              "Workers needed to keep up and drain the backlog within drain_time, or ceil(lag/lag_threshold) "
              "in KEDA mode; smoothed; held while the consumer is paused; exported only by the leader's "
              "sidecar (capacity model).")
        .Add(c.desired_workers, labels);
  }
}

ScalingResponse ScalingJson(const ScalingSnapshot& s, const std::string& service,
                            std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration max_age) {
  std::vector<std::string> stale = s.stale_reasons;
  double age = std::chrono::duration<double>(now - s.taken_at).count();
  if (!s.observed) {
    stale.push_back("no poll observed yet");
  } else if (now - s.taken_at > max_age) {
    stale.push_back("figures are " + std::to_string(static_cast<int>(age)) + "s old");
  }
  nlohmann::json services = nlohmann::json::object();
  for (const ServiceSignal& sig : s.services) services[sig.name] = ServiceJson(sig);
  // consumers.<stream>.<consumer>: a path KEDA's valueLocation (GJSON) can address. Only the
  // leader's sidecar has figures; the others say so instead of reporting zeros.
  nlohmann::json consumers = nlohmann::json::object();
  for (const ConsumerSignal& c : s.consumers) {
    nlohmann::json j{{"found", c.found}, {"leader", c.led_here}};
    if (c.found && c.led_here) {
      j.update({{"lag", c.lag},
                {"num_pending", c.num_pending},
                {"num_ack_pending", c.num_ack_pending},
                {"ack_rate", c.ack_rate},
                {"incoming_rate", c.incoming_rate},
                {"desired_workers", c.desired_workers},
                {"window_seconds", c.window_seconds},
                {"paused", c.paused}});
    } else {
      // Additive fields stay summable across sidecars: a follower contributes 0.
      j.update({{"lag", 0}, {"desired_workers", 0}});
    }
    consumers[c.stream][c.consumer] = j;
  }
  nlohmann::json body;
  ScalingResponse r;
  if (!service.empty()) {
    if (!services.contains(service)) {
      r.status = 404;
      r.body = nlohmann::json{{"error", "no service named \"" + service + "\" is configured"}}.dump() + "\n";
      return r;
    }
    body = services[service];
  } else {
    body["services"] = services;
    body["consumers"] = consumers;
  }
  body["stale"] = !stale.empty();
  body["stale_reasons"] = stale;
  body["age_seconds"] = s.observed ? age : -1;
  if (s.observed) {
    body["updated_at"] = std::chrono::duration<double>(s.taken_at_wall.time_since_epoch()).count();
  }
  r.status = stale.empty() ? 200 : 503;
  r.body = body.dump(2) + "\n";
  return r;
}

std::vector<prometheus::MetricFamily> ScalingCollector::Collect() const {
  Families out;
  if (auto s = current_()) {
    RenderScaling(*s, out);
    RenderConsumerScaling(*s, out);
  }
  return out.Take();
}

}  // namespace farrier
