// Families::Take() as a lookup table, for renderer tests: family name -> help, type, samples.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/families.h"

namespace farrier::test {

using LabelMap = std::map<std::string, std::string>;

struct RenderedSample {
  LabelMap labels;
  double value = 0;
};

struct RenderedFamily {
  std::string help;
  prometheus::MetricType type = prometheus::MetricType::Untyped;
  std::vector<RenderedSample> samples;
};

class Rendered {
 public:
  explicit Rendered(Families& families) {
    for (const prometheus::MetricFamily& f : families.Take()) {
      RenderedFamily& out = families_[f.name];
      out.help = f.help;
      out.type = f.type;
      for (const prometheus::ClientMetric& m : f.metric) {
        RenderedSample s;
        for (const auto& l : m.label) s.labels[l.name] = l.value;
        s.value = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
        out.samples.push_back(std::move(s));
      }
    }
  }

  bool Has(const std::string& name) const { return families_.count(name) > 0; }
  const RenderedFamily* Family(const std::string& name) const {
    auto it = families_.find(name);
    return it == families_.end() ? nullptr : &it->second;
  }
  size_t SampleCount(const std::string& name) const {
    const RenderedFamily* f = Family(name);
    return f ? f->samples.size() : 0;
  }
  // The value of the sample with exactly these labels; nullopt when there is none.
  std::optional<double> Value(const std::string& name, const LabelMap& labels = {}) const {
    const RenderedFamily* f = Family(name);
    if (!f) return std::nullopt;
    for (const RenderedSample& s : f->samples) {
      if (s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
  std::set<std::string> Names() const {
    std::set<std::string> names;
    for (const auto& [name, f] : families_) names.insert(name);
    return names;
  }
  const std::map<std::string, RenderedFamily>& families() const { return families_; }

 private:
  std::map<std::string, RenderedFamily> families_;
};

// The rules every renderer follows: valid metric and label names, _total exactly on counters,
// counters never negative, a HELP that names the endpoint (exporter self-metrics excepted), and
// no two samples of a family with the same labels. Empty label values are allowed: an info
// label such as cluster is empty on a single server.
inline void ExpectWellFormed(const Rendered& r, std::string_view endpoint) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabel("[a-zA-Z_][a-zA-Z0-9_]*");
  for (const auto& [name, f] : r.families()) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(std::regex_match(name, kName));
    EXPECT_FALSE(f.samples.empty());
    bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    EXPECT_EQ(total, f.type == prometheus::MetricType::Counter) << "_total iff counter";
    EXPECT_TRUE(f.type == prometheus::MetricType::Counter || f.type == prometheus::MetricType::Gauge);
    if (name.rfind("nats_exporter_", 0) != 0) {
      EXPECT_NE(f.help.find("/" + std::string(endpoint)), std::string::npos) << f.help;
    }
    std::set<LabelMap> seen;
    for (const RenderedSample& s : f.samples) {
      EXPECT_TRUE(seen.insert(s.labels).second) << "duplicate series";
      for (const auto& [label, value] : s.labels) {
        EXPECT_TRUE(std::regex_match(label, kLabel)) << label;
        EXPECT_NE(label.rfind("__", 0), 0u) << label;
      }
      if (f.type == prometheus::MetricType::Counter) {
        EXPECT_GE(s.value, 0);
      }
    }
  }
}

}  // namespace farrier::test
