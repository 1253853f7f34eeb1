// Strict parser for the Prometheus text exposition format 0.0.4, for asserting on /metrics.
//
// Stricter than Prometheus/promtool on purpose (an exporter should never emit these), it
// rejects: missing final newline, bad metric/label names, reserved "__" label names,
// unknown escapes (only \\ \" \n in label values, \\ \n in HELP), duplicate label names,
// duplicate series (same name + labels; promtool 2.42 accepts these!), a second HELP or
// TYPE for a family, TYPE after the family's samples, families whose lines are not one
// contiguous group, histogram samples other than _bucket{le}/_sum/_count, summary samples
// other than {quantile}/_sum/_count, and unparsable values/timestamps.
//
// Values: +Inf, -Inf, NaN (any case, as Go's ParseFloat accepts) and decimal/exponent floats.
// Ownership: PromExposition is a plain value (copyable). Thread-safety: const methods are safe
// to call concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace farrier::test {

using PromLabels = std::map<std::string, std::string>;  // sorted by label name

struct PromSample {
  std::string name{};    // sample name as written, e.g. "foo_bucket"
  std::string family{};  // family it belongs to, e.g. "foo" for a histogram
  PromLabels labels{};   // unescaped values
  double value = 0;
  std::optional<int64_t> timestamp_ms{};
};

struct PromFamily {
  std::string name{};
  std::string type = "untyped";  // counter|gauge|histogram|summary|untyped
  std::string help{};            // unescaped
  bool has_type = false, has_help = false;
};

class PromExposition {
 public:
  // Returns nullopt and sets *error (if non-null) to "line N: <reason>: <line>" on failure.
  static std::optional<PromExposition> Parse(std::string_view text, std::string* error = nullptr);

  bool HasFamily(std::string_view family) const { return families_.find(family) != families_.end(); }
  std::optional<std::string> Type(std::string_view family) const;
  std::optional<std::string> Help(std::string_view family) const;
  // Samples named exactly `sample_name` whose labels include all of `subset`.
  std::vector<PromSample> SamplesOf(std::string_view sample_name, const PromLabels& subset = {}) const;
  // Value of the single sample matching as in SamplesOf; nullopt if none OR several match
  // (use SamplesOf to see which).
  std::optional<double> Value(std::string_view sample_name, const PromLabels& subset = {}) const;

  const std::map<std::string, PromFamily, std::less<>>& families() const { return families_; }
  const std::vector<PromSample>& samples() const { return samples_; }  // in input order

 private:
  friend class PromParser;
  std::map<std::string, PromFamily, std::less<>> families_;
  std::vector<PromSample> samples_;
};

}  // namespace farrier::test
