// RenderServices: the probe, micro and latency-event families from a services snapshot.
#include <cmath>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "services/render_services.h"
#include "services_snapshot.h"

namespace farrier {
namespace {

std::map<std::string, prometheus::MetricFamily> Render(const ServicesSnapshot& s) {
  Families out;
  RenderServices(s, out);
  std::map<std::string, prometheus::MetricFamily> by_name;
  for (auto& f : out.Take()) by_name[f.name] = f;
  return by_name;
}

const prometheus::ClientMetric* Find(const prometheus::MetricFamily& f,
                                     const std::map<std::string, std::string>& labels) {
  for (const auto& m : f.metric) {
    size_t matched = 0;
    for (const auto& l : m.label) matched += labels.count(l.name) && labels.at(l.name) == l.value;
    if (matched == labels.size()) return &m;
  }
  return nullptr;
}

TEST(RenderServices, ProbeHistogramIsCumulativeWithInfEqualToCount) {
  auto f = Render(test::FullServicesSnapshot());
  const auto& h = f.at("nats_service_request_duration_seconds");
  ASSERT_EQ(h.type, prometheus::MetricType::Histogram);
  const auto& m = h.metric.at(0).histogram;
  EXPECT_EQ(m.sample_count, 5u);
  EXPECT_DOUBLE_EQ(m.sample_sum, 0.0005 + 0.002 + 0.003 + 0.05 + 0.5);
  ASSERT_EQ(m.bucket.size(), 4u);
  EXPECT_EQ(m.bucket[0].cumulative_count, 1u);  // <= 1 ms
  EXPECT_EQ(m.bucket[1].cumulative_count, 3u);  // <= 10 ms
  EXPECT_EQ(m.bucket[2].cumulative_count, 4u);  // <= 100 ms
  EXPECT_EQ(m.bucket[3].cumulative_count, 5u);
  EXPECT_TRUE(std::isinf(m.bucket[3].upper_bound));
}

TEST(RenderServices, EveryFailureReasonIsExportedFromTheStart) {
  ServicesSnapshot s = test::FullServicesSnapshot();
  s.stats[0].failures = {0, 0, 0};
  auto f = Render(s);
  const auto& failures = f.at("nats_service_probe_failures_total");
  for (const char* reason : {"timeout", "no_responders", "error"}) {
    const auto* m = Find(failures, {{"service", "echo"}, {"reason", reason}});
    ASSERT_NE(m, nullptr) << reason;
    EXPECT_EQ(m->counter.value, 0);
  }
}

TEST(RenderServices, MicroCountersAreSummedOverInstances) {
  auto f = Render(test::FullServicesSnapshot());
  EXPECT_EQ(f.at("nats_micro_instances").metric.at(0).gauge.value, 2);
  const auto* req = Find(f.at("nats_micro_requests_total"), {{"service", "echo"}, {"endpoint", "echo"}});
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->counter.value, 15);
  EXPECT_EQ(Find(f.at("nats_micro_errors_total"), {{"endpoint", "echo"}})->counter.value, 1);
  EXPECT_DOUBLE_EQ(Find(f.at("nats_micro_processing_seconds_total"), {{"endpoint", "echo"}})->counter.value, 0.375);
}

TEST(RenderServices, LatencyEventsByStatusAndComponent) {
  auto f = Render(test::FullServicesSnapshot());
  EXPECT_EQ(Find(f.at("nats_latency_observations_total"), {{"status", "200"}})->counter.value, 1);
  EXPECT_DOUBLE_EQ(f.at("nats_latency_service_seconds").metric.at(0).histogram.sample_sum, 0.02);
  EXPECT_DOUBLE_EQ(f.at("nats_latency_system_seconds").metric.at(0).histogram.sample_sum, 0.0002);
  EXPECT_DOUBLE_EQ(f.at("nats_latency_total_seconds").metric.at(0).histogram.sample_sum, 0.0202);
}

TEST(RenderServices, OnlyWhatIsConfiguredIsExported) {
  ServicesSnapshot s = test::FullServicesSnapshot();
  s.services[0].probe.enabled = false;
  s.services[0].micro_service.clear();
  s.services[0].latency_subject.clear();
  s.account_info.reset();  // --jetstream.account-info off
  auto f = Render(s);
  EXPECT_EQ(f.size(), 2u);  // the connection gauge and reconnect counter only
  EXPECT_TRUE(f.count("nats_exporter_nats_connected"));
  EXPECT_TRUE(Render(ServicesSnapshot{}).empty()) << "no services: no NATS client metrics";
}

TEST(RenderServices, NamingConventions) {
  for (const auto& [name, f] : Render(test::FullServicesSnapshot())) {
    bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
    EXPECT_EQ(total, f.type == prometheus::MetricType::Counter) << name;
    EXPECT_FALSE(f.help.empty()) << name;
    if (name.rfind("nats_exporter_", 0) != 0) {
      // HELP names where the value comes from: the probe, $SRV.STATS or the latency subject.
      EXPECT_NE(f.help.find(" ("), std::string::npos) << name << ": " << f.help;
      EXPECT_EQ(f.help.substr(f.help.size() - 2), ").") << name << ": " << f.help;
    }
  }
}

}  // namespace
}  // namespace farrier
