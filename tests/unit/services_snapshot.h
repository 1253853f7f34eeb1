// A ServicesSnapshot with every kind of service data filled in (probes, micro stats, latency
// events), for the render tests.
#pragma once

#include <chrono>

#include "config/services_config.h"
#include "services/service_stats.h"

namespace farrier::test {

inline ServicesSnapshot FullServicesSnapshot() {
  ServicesSnapshot s;
  s.nats_configured = true;
  s.nats_connected = true;
  s.nats_reconnects = 2;
  ServiceConfig c;
  c.name = "echo";
  c.subject = "api.echo";
  c.micro_service = "EchoService";
  c.latency_subject = "latency.echo";
  c.buckets = {0.001, 0.01, 0.1};
  s.services.push_back(c);
  ServiceStats st;
  st.latency = Histogram(c.buckets);
  for (double x : {0.0005, 0.002, 0.003, 0.05, 0.5}) st.latency.Observe(x);
  st.probes = 7;
  st.failures = {1, 1, 0};
  st.probed = true;
  st.up = true;
  st.micro_polled = true;
  st.micro_up = true;
  MicroStatsResponse a{"EchoService",
                       "id-a",
                       "1.0.0",
                       "2026-11-23T07:00:00Z",
                       {{"echo", "api.echo", "q", 10, 1, 0.25, ""}}};
  MicroStatsResponse b{"EchoService",
                       "id-b",
                       "1.0.0",
                       "2026-11-23T07:00:00Z",
                       {{"echo", "api.echo", "q", 5, 0, 0.125, ""}}};
  st.micro.Update({a, b}, std::chrono::steady_clock::now());
  st.observed_service = Histogram(c.buckets);
  st.observed_system = Histogram(c.buckets);
  st.observed_total = Histogram(c.buckets);
  st.observed_service.Observe(0.02);
  st.observed_system.Observe(0.0002);
  st.observed_total.Observe(0.0202);
  st.observed_status[200] = 1;
  s.stats.push_back(st);
  // --jetstream.account-info with both limits set (the captures' account APP).
  JsAccountInfoStats account;
  account.asked = account.up = true;
  account.info = JsAccountInfo{0, 45, 3, 2, 64 << 20, 256 << 20, 10, 20};
  account.account = "APP";
  account.errors[static_cast<size_t>(AccountInfoFailure::kTimeout)] = 1;
  s.account_info = account;
  return s;
}

}  // namespace farrier::test
