#include "core/families.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <prometheus/text_serializer.h>

namespace farrier {

// A family's samples: each sample's label names and values, NUL-terminated, one after the other
// in `labels`; a sample's run ends at its labels_end (the previous sample's end is its start).
struct FamilyBuilder::Family {
  std::string name;
  std::string help;
  prometheus::MetricType type;
  std::string labels;
  struct Sample {
    double value;
    uint32_t labels_end;
    uint32_t histogram;  // index into histograms, for histogram samples
  };
  std::vector<Sample> samples;
  std::vector<farrier::Histogram> histograms;

  // The ClientMetric of sample i, as prometheus-cpp's serializer wants it.
  prometheus::ClientMetric Metric(size_t i) const;
  // Samples [begin, end) as a prometheus-cpp family.
  prometheus::MetricFamily Materialize(size_t begin, size_t end) const;
  // Samples [begin, end) of a counter, gauge or untyped family in the text format, after the
  // HELP and TYPE lines when `head`.
  void WriteText(size_t begin, size_t end, bool head, std::string& out) const;
};

prometheus::ClientMetric FamilyBuilder::Family::Metric(size_t i) const {
  prometheus::ClientMetric metric;
  const Sample& sample = samples[i];
  size_t at = i == 0 ? 0 : samples[i - 1].labels_end;
  while (at < sample.labels_end) {
    size_t name_end = labels.find('\0', at);
    size_t value_end = labels.find('\0', name_end + 1);
    metric.label.push_back({labels.substr(at, name_end - at), labels.substr(name_end + 1, value_end - name_end - 1)});
    at = value_end + 1;
  }
  switch (type) {
    case prometheus::MetricType::Counter: metric.counter.value = sample.value; break;
    case prometheus::MetricType::Gauge: metric.gauge.value = sample.value; break;
    case prometheus::MetricType::Histogram: {
      const farrier::Histogram& h = histograms[sample.histogram];
      metric.histogram.sample_count = h.count;
      metric.histogram.sample_sum = h.sum;
      uint64_t cumulative = 0;
      for (size_t b = 0; b < h.counts.size(); ++b) {
        cumulative += h.counts[b];
        double bound = b < h.bounds.size() ? h.bounds[b] : std::numeric_limits<double>::infinity();
        metric.histogram.bucket.push_back({cumulative, bound});
      }
      break;
    }
    default: metric.untyped.value = sample.value;
  }
  return metric;
}

prometheus::MetricFamily FamilyBuilder::Family::Materialize(size_t begin, size_t end) const {
  prometheus::MetricFamily out{name, help, type, {}};
  out.metric.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) out.metric.push_back(Metric(i));
  return out;
}

namespace {

// Label names and values never hold NUL here: Prometheus' names cannot, and NATS names cannot
// hold control characters; a value with one anyway gets '?' in its place rather than being split
// wrongly.
void AppendLabel(const std::string& name, const std::string& value, std::string& out) {
  out.append(name).push_back('\0');
  const size_t at = out.size();
  out.append(value).push_back('\0');
  if (value.find('\0') != std::string::npos) {
    for (size_t i = at; i + 1 < out.size(); ++i) {
      if (out[i] == '\0') out[i] = '?';
    }
  }
}

}  // namespace

void FamilyBuilder::AppendLabels(const Labels& labels) {
  const size_t common = common_ ? common_->size() : 0;
  if (common_) {
    for (const auto& [name, val] : *common_) AppendLabel(name, val, family_->labels);
  }
  for (const auto& [name, val] : labels) {
    // A renderer's own label of the same name (nats_server_info's server_name) says the same.
    bool dup = false;
    for (size_t i = 0; i < common && !dup; ++i) dup = (*common_)[i].first == name;
    if (!dup) AppendLabel(name, val, family_->labels);
  }
}

// A family's labels are indexed with 32 bits: 4 GB of label text in one family is far beyond any
// cap (--metrics.max-series-per-family keeps at most a million series of one family).
uint32_t FamilyBuilder::LabelsEnd() const {
  if (family_->labels.size() > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("metric family " + family_->name + ": over 4 GB of labels");
  }
  return static_cast<uint32_t>(family_->labels.size());
}

FamilyBuilder& FamilyBuilder::Add(double value, const Labels& labels) {
  AppendLabels(labels);
  family_->samples.push_back({value, LabelsEnd(), 0});
  return *this;
}

FamilyBuilder& FamilyBuilder::AddHistogram(const farrier::Histogram& h, const Labels& labels) {
  AppendLabels(labels);
  family_->samples.push_back({0, LabelsEnd(), static_cast<uint32_t>(family_->histograms.size())});
  family_->histograms.push_back(h);
  return *this;
}

Families::Families() = default;
Families::~Families() = default;
Families::Families(Families&&) noexcept = default;
Families& Families::operator=(Families&&) noexcept = default;

FamilyBuilder Families::Histogram(const std::string& name, const std::string& help) {
  return Get(name, help, prometheus::MetricType::Histogram);
}

FamilyBuilder Families::Gauge(const std::string& name, const std::string& help) {
  return Get(name, help, prometheus::MetricType::Gauge);
}

FamilyBuilder Families::Counter(const std::string& name, const std::string& help) {
  return Get(name, help, prometheus::MetricType::Counter);
}

FamilyBuilder Families::Get(const std::string& name, const std::string& help, prometheus::MetricType type) {
  for (auto& f : families_) {
    if (f.name == name) {
      // Two renderers disagreeing on a family's type is a programming error caught by tests.
      if (f.type != type) throw std::logic_error("metric family " + name + " registered twice");
      return FamilyBuilder(&f, &common_);
    }
  }
  families_.push_back(FamilyBuilder::Family{name, help, type, {}, {}, {}});
  return FamilyBuilder(&families_.back(), &common_);
}

std::vector<prometheus::MetricFamily> Families::Take() {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families_.size());
  for (const auto& f : families_) {
    if (!f.samples.empty()) out.push_back(f.Materialize(0, f.samples.size()));
  }
  families_.clear();
  return out;
}

namespace {

// The text format's number as prometheus-cpp 1.0 writes it (an ostream with precision 16 and the
// classic locale, i.e. printf's %.16g; "Nan", "+Inf", "-Inf"), so that both writers agree to the
// byte (tests/unit/families_test.cc compares them). Whole numbers below 1e16, most of what NATS
// reports, take the fast path: %.16g prints them as plain integers.
void AppendNumber(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 1e16) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(value));
    if (value == 0 && std::signbit(value)) out += '-';  // %g keeps the sign of -0
    out.append(buf, end);
  } else {
    char buf[32];
    int n = std::snprintf(buf, sizeof(buf), "%.16g", value);
    out.append(buf, static_cast<size_t>(n));
  }
}

const char* TypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Histogram: return "histogram";
    default: return "untyped";
  }
}

}  // namespace

// Counters, gauges and untyped samples straight from the compact form: the lines prometheus-cpp
// would write, without building its objects (for 120,000 series that was most of a render).
void FamilyBuilder::Family::WriteText(size_t begin, size_t end, bool head, std::string& out) const {
  if (head) {
    if (!help.empty()) out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(TypeName(type)).append("\n");
  }
  for (size_t i = begin; i < end; ++i) {
    out += name;
    size_t at = i == 0 ? 0 : samples[i - 1].labels_end;
    const size_t labels_end = samples[i].labels_end;
    if (at < labels_end) {
      out += '{';
      for (bool first = true; at < labels_end; first = false) {
        if (!first) out += ',';
        size_t name_end = labels.find('\0', at);
        out.append(labels, at, name_end - at).append("=\"");
        for (at = name_end + 1; labels[at] != '\0'; ++at) {
          const char c = labels[at];
          if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
          } else if (c == '\n') {
            out += "\\n";
          } else {
            out += c;
          }
        }
        ++at;
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    AppendNumber(samples[i].value, out);
    out += '\n';
  }
}

TextPieces Families::Serialize(size_t max_per_family, std::map<std::string, uint64_t>* dropped) {
  // Pieces of at least kPieceBytes (small families share one), each copied at its exact size:
  // megabytes of text grown by doubling would hold up to twice their size.
  constexpr size_t kPieceBytes = 256 * 1024;
  TextPieces pieces;
  std::string pending;
  auto flush = [&] {
    if (!pending.empty()) pieces.push_back(std::make_shared<const TextPiece>(std::string(pending)));
    pending.clear();
  };
  prometheus::TextSerializer serializer;
  while (!families_.empty()) {
    const FamilyBuilder::Family& f = families_.front();
    size_t count = f.samples.size();
    if (max_per_family != 0 && count > max_per_family) {
      (*dropped)[f.name] += count - max_per_family;
      count = max_per_family;
    }
    // In chunks, so that a piece is cut near kPieceBytes even inside a family of 10,000 series.
    constexpr size_t kChunk = 1024;
    for (size_t begin = 0; begin < count; begin += kChunk) {
      const size_t end = std::min(count, begin + kChunk);
      if (f.type == prometheus::MetricType::Histogram) {
        // Few and small (probe latencies): prometheus-cpp writes their buckets; each chunk after
        // the first drops the HELP and TYPE lines it writes again (HELP holds no newline).
        std::ostringstream out;
        serializer.Serialize(out, {f.Materialize(begin, end)});
        std::string_view text = out.view();
        if (begin > 0) text.remove_prefix(text.find('\n', text.find('\n') + 1) + 1);
        pending += text;
      } else {
        f.WriteText(begin, end, begin == 0, pending);
      }
      if (pending.size() >= kPieceBytes) flush();
    }
    families_.pop_front();
  }
  flush();
  return pieces;
}

}  // namespace farrier
