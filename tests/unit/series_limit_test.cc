#include "core/series_limit.h"

#include <gtest/gtest.h>

namespace farrier {
namespace {

prometheus::MetricFamily Family(const std::string& name, int series) {
  prometheus::MetricFamily f;
  f.name = name;
  f.type = prometheus::MetricType::Gauge;
  for (int i = 0; i < series; ++i) {
    prometheus::ClientMetric m;
    m.label.push_back({"i", std::to_string(i)});
    m.gauge.value = i;
    f.metric.push_back(m);
  }
  return f;
}

TEST(SeriesLimit, KeepsTheFirstSeriesOfEachFamilyAndCountsTheRest) {
  std::vector<prometheus::MetricFamily> families{Family("a", 5), Family("b", 2), Family("c", 3)};
  std::map<std::string, uint64_t> dropped = LimitSeries(families, 3);
  EXPECT_EQ(families[0].metric.size(), 3u);
  EXPECT_EQ(families[0].metric[2].label[0].value, "2");  // the first three, in order
  EXPECT_EQ(families[1].metric.size(), 2u);
  EXPECT_EQ(families[2].metric.size(), 3u);
  EXPECT_EQ(dropped, (std::map<std::string, uint64_t>{{"a", 2}}));
  // Each call (scrape) says what it left out, whatever came before: two scrapers of one
  // snapshot see the same figure.
  std::vector<prometheus::MetricFamily> again{Family("a", 4)};
  EXPECT_EQ(LimitSeries(again, 3), (std::map<std::string, uint64_t>{{"a", 1}}));
  prometheus::MetricFamily f = SeriesDroppedFamily(dropped);
  EXPECT_EQ(f.name, "nats_exporter_series_dropped");
  EXPECT_EQ(f.type, prometheus::MetricType::Gauge);
  ASSERT_EQ(f.metric.size(), 1u);
  EXPECT_EQ(f.metric[0].label[0].name, "family");
  EXPECT_EQ(f.metric[0].gauge.value, 2);
}

TEST(SeriesLimit, ZeroMeansNoLimit) {
  std::vector<prometheus::MetricFamily> families{Family("a", 50000)};
  EXPECT_TRUE(LimitSeries(families, 0).empty());
  EXPECT_EQ(families[0].metric.size(), 50000u);
}

}  // namespace
}  // namespace farrier
