#include "services/render_services.h"

namespace farrier {
namespace {

void RenderProbes(const ServiceConfig& s, const ServiceStats& st, Families& out) {
  const Labels service{{"service", s.name}};
  out.Histogram("nats_service_request_duration_seconds",
                "Request/reply latency of answered probes, from farrier's NATS client (probe of the "
                "service subject).")
      .AddHistogram(st.latency, service);
  out.Counter("nats_service_probes_total",
              "Probes completed: answered, failed or timed out (probe of the service subject).")
      .Add(static_cast<double>(st.probes), service);
  auto failures = out.Counter("nats_service_probe_failures_total",
                              "Probes that failed, by reason: timeout, no_responders, error (not sent: NATS "
                              "disconnected or publish failed) (probe of the service subject).");
  for (size_t r = 0; r < kProbeFailureNames.size(); ++r) {
    failures.Add(static_cast<double>(st.failures[r]),
                 {{"service", s.name}, {"reason", std::string(kProbeFailureNames[r])}});
  }
  out.Gauge("nats_service_probe_up",
            "1 when the last probe was answered, else 0 (0 before the first) (probe of the service subject).")
      .Add(st.up ? 1 : 0, service);
}

void RenderMicro(const ServiceConfig& s, const ServiceStats& st, Families& out) {
  const Labels service{{"service", s.name}};
  out.Gauge("nats_micro_stats_up",
            "1 when the last $SRV.STATS request got at least one valid answer, else 0 ($SRV.STATS).")
      .Add(st.micro_up ? 1 : 0, service);
  if (!st.micro_polled) return;
  out.Gauge("nats_micro_instances",
            "Instances of the micro service that answered the last $SRV.STATS request ($SRV.STATS).")
      .Add(static_cast<double>(st.micro.Instances()), service);
  auto requests = out.Counter("nats_micro_requests_total",
                              "Requests handled, summed over instances, kept monotonic as instances come and go "
                              "($SRV.STATS endpoints[].num_requests).");
  auto errors = out.Counter(
      "nats_micro_errors_total",
      "Requests answered with an error, summed over instances ($SRV.STATS endpoints[].num_errors).");
  auto seconds = out.Counter("nats_micro_processing_seconds_total",
                             "Time spent handling requests, summed over instances; divide its rate by the "
                             "requests rate for the mean ($SRV.STATS endpoints[].processing_time).");
  for (const auto& e : st.micro.Totals()) {
    Labels labels{{"service", s.name}, {"endpoint", e.endpoint}};
    requests.Add(static_cast<double>(e.requests), labels);
    errors.Add(static_cast<double>(e.errors), labels);
    seconds.Add(e.processing_seconds, labels);
  }
}

void RenderObserved(const ServiceConfig& s, const ServiceStats& st, Families& out) {
  const Labels service{{"service", s.name}};
  out.Histogram("nats_latency_service_seconds",
                "Responder's service time from the server's service-latency events (latency_subject: service).")
      .AddHistogram(st.observed_service, service);
  out.Histogram("nats_latency_system_seconds",
                "Time inside NATS from the server's service-latency events (latency_subject: system).")
      .AddHistogram(st.observed_system, service);
  out.Histogram("nats_latency_total_seconds",
                "End-to-end latency from the server's service-latency events (latency_subject: total).")
      .AddHistogram(st.observed_total, service);
  auto status = out.Counter("nats_latency_observations_total",
                            "Service-latency events received, by status code (latency_subject: status).");
  for (const auto& [code, count] : st.observed_status) {
    status.Add(static_cast<double>(count), {{"service", s.name}, {"status", std::to_string(code)}});
  }
  out.Counter("nats_latency_invalid_events_total",
              "Messages on the latency subject that were not service-latency events (latency_subject).")
      .Add(static_cast<double>(st.observed_invalid), service);
}

}  // namespace

void RenderServices(const ServicesSnapshot& snapshot, Families& out) {
  if (!snapshot.nats_configured) return;
  out.Gauge("nats_exporter_nats_connected", "1 while the NATS connection used for probing is up, else 0.")
      .Add(snapshot.nats_connected ? 1 : 0);
  out.Counter("nats_exporter_nats_reconnects_total", "Reconnects of the NATS connection used for probing.")
      .Add(static_cast<double>(snapshot.nats_reconnects));
  for (size_t i = 0; i < snapshot.services.size() && i < snapshot.stats.size(); ++i) {
    const ServiceConfig& s = snapshot.services[i];
    const ServiceStats& st = snapshot.stats[i];
    if (s.probe.enabled) RenderProbes(s, st, out);
    if (!s.micro_service.empty()) RenderMicro(s, st, out);
    if (!s.latency_subject.empty()) RenderObserved(s, st, out);
  }
  if (snapshot.account_info) RenderJsAccountInfo(*snapshot.account_info, out);
}

std::vector<prometheus::MetricFamily> ServicesCollector::Collect() const {
  Families out;
  RenderServices(current_(), out);
  return out.Take();
}

}  // namespace farrier
