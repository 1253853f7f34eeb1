// Families: samples kept compactly, taken as prometheus-cpp families or serialized a family at a
// time; both must say exactly what prometheus-cpp's own serializer says of the same samples.
#include "core/families.h"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "core/series_limit.h"

namespace farrier {
namespace {

// Thousands of consumer-like series in a few families (over the serializer's piece size), a
// histogram, a counter, common labels, a label value with quotes, a backslash, a newline and a
// NUL, and a family that stays empty.
Families Sample(int consumers) {
  Families out;
  out.SetCommonLabels({{"server_name", "n1"}, {"cluster", "c"}});
  auto pending = out.Gauge("nats_consumer_num_pending", "Messages not yet delivered (/jsz num_pending).");
  auto acked = out.Gauge("nats_consumer_num_ack_pending", "Delivered, not acknowledged.");
  for (int i = 0; i < consumers; ++i) {
    Labels labels{{"account", "$G"}, {"stream", "S" + std::to_string(i / 10)}, {"consumer", "c" + std::to_string(i)}};
    pending.Add(i * 1.5, labels);
    acked.Add(i % 7, labels);
  }
  out.Gauge("nats_server_info", "Info.").Add(1, {{"server_name", "n1"}, {"version", "2.15.3"}});
  out.SetCommonLabels({});
  out.Gauge("nats_stream_messages", "Odd names.").Add(3, {{"stream", std::string("a\"b\\c\nd\0e", 9)}});
  out.Counter("nats_exporter_polls_total", "Polls.").Add(42);
  // Every kind of number the text format has to spell.
  auto numbers = out.Gauge("nats_numbers", "");
  for (double v : {0.0,
                   -0.0,
                   1.0,
                   -7.0,
                   0.5,
                   0.00085104,
                   1796477333.257503,
                   123456789012345.0,
                   9999999999999998.0,
                   1e16,
                   1.5e16,
                   12345678901234567890.0,
                   -3.25e-9,
                   1e-300,
                   2.2250738585072014e-308,
                   1.7976931348623157e308,
                   1.0 / 3,
                   std::nan(""),
                   HUGE_VAL,
                   -HUGE_VAL}) {
    numbers.Add(v, {{"v", std::to_string(v)}});
  }
  Histogram h;
  h.bounds = {0.1, 1};
  h.counts = {2, 3, 1};
  h.count = 6;
  h.sum = 4.2;
  out.Histogram("nats_probe_duration_seconds", "Probe latency.").AddHistogram(h, {{"service", "echo"}});
  out.Gauge("nats_never_added", "Stays empty.");
  return out;
}

std::string Serialized(std::vector<prometheus::MetricFamily> families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::string Joined(const TextPieces& pieces) {
  std::string text;
  for (const auto& piece : pieces) text += piece->text();
  return text;
}

TEST(Families, SerializeSaysWhatPrometheusCppSaysOfTheTakenFamilies) {
  std::vector<prometheus::MetricFamily> taken = Sample(20000).Take();
  ASSERT_EQ(taken.size(), 7u) << "the empty family is left out";
  EXPECT_EQ(taken[0].metric.size(), 20000u);
  EXPECT_EQ(taken[0].metric[5].label.size(), 5u);  // common labels first, then the sample's own
  EXPECT_EQ(taken[0].metric[5].label[0].name, "server_name");
  EXPECT_EQ(taken[0].metric[5].label[4].value, "c5");
  EXPECT_EQ(taken[2].metric[0].label.size(), 3u) << "a sample's own label of a common name is not repeated";
  EXPECT_EQ(taken[3].metric[0].label[0].value, "a\"b\\c\nd?e") << "a NUL becomes '?'";
  EXPECT_EQ(taken[6].metric[0].histogram.bucket.size(), 3u);
  EXPECT_EQ(taken[6].metric[0].histogram.bucket[2].cumulative_count, 6u);

  std::map<std::string, uint64_t> dropped;
  TextPieces pieces = Sample(20000).Serialize(0, &dropped);
  EXPECT_GT(pieces.size(), 1u) << "megabytes come in several pieces";
  EXPECT_EQ(Joined(pieces), Serialized(std::move(taken)));
  EXPECT_TRUE(dropped.empty());
}

TEST(Families, SerializeCapsEachFamilyAsLimitSeriesDoes) {
  std::vector<prometheus::MetricFamily> taken = Sample(300).Take();
  std::map<std::string, uint64_t> expected = LimitSeries(taken, 100);
  std::map<std::string, uint64_t> dropped;
  EXPECT_EQ(Joined(Sample(300).Serialize(100, &dropped)), Serialized(std::move(taken)));
  EXPECT_EQ(dropped, expected);
  EXPECT_EQ(dropped.at("nats_consumer_num_pending"), 200u);
}

}  // namespace
}  // namespace farrier
