#include "support/prom_text.h"

#include <charconv>
#include <set>
#include <utility>

namespace farrier::test {
namespace {

struct LineError {
  std::string reason;
};
[[noreturn]] void Fail(std::string reason) { throw LineError{std::move(reason)}; }

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A cursor over one line (without its '\n').
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool AtEnd() const { return i >= s.size(); }
  char Peek() const { return AtEnd() ? '\0' : s[i]; }
  bool SkipBlanks() {
    std::size_t start = i;
    while (!AtEnd() && IsBlank(s[i])) ++i;
    return i > start;
  }
  std::string_view Token() {  // up to the next blank
    std::size_t start = i;
    while (!AtEnd() && !IsBlank(s[i])) ++i;
    return s.substr(start, i - start);
  }
  // [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; without ':' for label names.
  std::string_view Name(bool allow_colon) {
    std::size_t start = i;
    auto ok = [&](char c, bool first) { return IsAlpha(c) || (allow_colon && c == ':') || (!first && IsDigit(c)); };
    while (!AtEnd() && ok(s[i], i == start)) ++i;
    return s.substr(start, i - start);
  }
};

double ParseValue(std::string_view token) {
  std::string_view v = token;
  if (v.size() > 1 && v[0] == '+' && v[1] != '+' && v[1] != '-') v.remove_prefix(1);  // "+Inf"
  double d = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
    Fail("invalid value \"" + std::string(token) + "\"");
  }
  return d;
}

const std::set<std::string, std::less<>> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};

}  // namespace

// Holds the cross-line state needed for the grouping/duplicate checks.
class PromParser {
 public:
  explicit PromParser(PromExposition& out) : out_(out) {}

  void Line(std::string_view line) {
    Cursor c{line};
    c.SkipBlanks();
    if (c.AtEnd()) return;
    if (c.Peek() == '#') {
      ++c.i;
      Comment(c);
    } else {
      Sample(c);
    }
  }

 private:
  // Spec: "all lines for a given metric must be provided as one single group".
  void Enter(const std::string& family) {
    if (family == current_) return;
    if (!current_.empty()) closed_.insert(current_);
    if (closed_.count(family)) Fail("lines of family \"" + family + "\" are not one contiguous group");
    current_ = family;
  }

  PromFamily& Family(const std::string& name) {
    PromFamily& f = out_.families_[name];
    f.name = name;
    return f;
  }

  void Comment(Cursor& c) {
    c.SkipBlanks();
    const std::string_view keyword = c.Token();
    if (keyword != "HELP" && keyword != "TYPE") return;  // ordinary comment
    c.SkipBlanks();
    const std::string name(c.Name(true));
    if (name.empty() || (!c.AtEnd() && !IsBlank(c.Peek()))) Fail("invalid metric name in " + std::string(keyword));
    Enter(name);
    PromFamily& f = Family(name);
    c.SkipBlanks();
    if (keyword == "HELP") {
      if (f.has_help) Fail("second HELP line for \"" + name + "\"");
      f.has_help = true;
      for (; !c.AtEnd(); ++c.i) {
        if (c.Peek() != '\\') {
          f.help += c.Peek();
          continue;
        }
        ++c.i;
        if (c.Peek() == '\\') f.help += '\\';
        else if (c.Peek() == 'n') f.help += '\n';
        else Fail("invalid escape in HELP text");
      }
      return;
    }
    if (f.has_type) Fail("second TYPE line for \"" + name + "\"");
    if (with_samples_.count(name)) Fail("TYPE line for \"" + name + "\" after its samples");
    const std::string type(c.Token());
    c.SkipBlanks();
    if (!kTypes.count(type) || !c.AtEnd()) Fail("invalid TYPE \"" + type + "\"");
    f.type = type;
    f.has_type = true;
  }

  PromLabels Labels(Cursor& c) {
    PromLabels labels;
    ++c.i;  // '{'
    for (;;) {
      c.SkipBlanks();
      if (c.Peek() == '}') break;
      const std::string name(c.Name(false));
      if (name.empty()) Fail("invalid label name");
      if (name.rfind("__", 0) == 0) Fail("reserved label name \"" + name + "\"");
      c.SkipBlanks();
      if (c.Peek() != '=') Fail("expected '=' after label \"" + name + "\"");
      ++c.i;
      c.SkipBlanks();
      if (c.Peek() != '"') Fail("expected '\"' to open value of label \"" + name + "\"");
      ++c.i;
      std::string value;
      for (;; ++c.i) {
        if (c.AtEnd()) Fail("unterminated value of label \"" + name + "\"");
        char ch = c.Peek();
        if (ch == '"') break;
        if (ch != '\\') {
          value += ch;
          continue;
        }
        ++c.i;
        ch = c.Peek();
        if (ch == '\\' || ch == '"') value += ch;
        else if (ch == 'n') value += '\n';
        else Fail("invalid escape in value of label \"" + name + "\"");
      }
      ++c.i;  // closing '"'
      if (!labels.emplace(name, std::move(value)).second) Fail("duplicate label \"" + name + "\"");
      c.SkipBlanks();
      if (c.Peek() == ',') {  // a trailing comma before '}' is allowed
        ++c.i;
        continue;
      }
      if (c.Peek() != '}') Fail("expected ',' or '}' in label set");
    }
    ++c.i;  // '}'
    return labels;
  }

  // A histogram/summary family owns its _bucket/_sum/_count samples; anything else is its own.
  std::string FamilyOf(const std::string& name) const {
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      auto it = out_.families_.find(name.substr(0, name.size() - suffix.size()));
      if (it == out_.families_.end()) continue;
      if (it->second.type == "histogram" || (it->second.type == "summary" && suffix != "_bucket")) return it->first;
    }
    return name;
  }

  void Sample(Cursor& c) {
    PromSample s;
    s.name = std::string(c.Name(true));
    if (s.name.empty()) Fail("expected a metric name");
    const bool blank = c.SkipBlanks();
    if (c.Peek() == '{') {
      s.labels = Labels(c);
      c.SkipBlanks();
    } else if (!blank && !c.AtEnd()) {
      Fail("invalid character after metric name");
    }
    const std::string_view value = c.Token();
    if (value.empty()) Fail("missing value");
    s.value = ParseValue(value);
    c.SkipBlanks();
    if (!c.AtEnd()) {
      const std::string_view ts = c.Token();
      int64_t t = 0;
      auto [ptr, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
      if (ec != std::errc() || ptr != ts.data() + ts.size()) Fail("invalid timestamp \"" + std::string(ts) + "\"");
      s.timestamp_ms = t;
      c.SkipBlanks();
      if (!c.AtEnd()) Fail("unexpected text after timestamp");
    }

    s.family = FamilyOf(s.name);
    const std::string& type = Family(s.family).type;
    const bool base = s.name == s.family;
    if (type == "histogram") {
      if (base) Fail("histogram sample \"" + s.name + "\" needs a _bucket/_sum/_count suffix");
      if (s.name == s.family + "_bucket" && !s.labels.count("le")) Fail("histogram bucket without \"le\" label");
    }
    if (type == "summary" && base && !s.labels.count("quantile")) Fail("summary sample without \"quantile\" label");
    for (const char* key : {"le", "quantile"}) {
      if ((type == "histogram" || type == "summary") && s.labels.count(key)) ParseValue(s.labels.at(key));
    }

    Enter(s.family);
    with_samples_.insert(s.family);
    if (!series_.emplace(s.name, s.labels).second) Fail("duplicate series");
    out_.samples_.push_back(std::move(s));
  }

  PromExposition& out_;
  std::string current_;
  std::set<std::string> closed_, with_samples_;
  std::set<std::pair<std::string, PromLabels>> series_;
};

std::optional<PromExposition> PromExposition::Parse(std::string_view text, std::string* error) {
  PromExposition out;
  PromParser parser(out);
  std::size_t line_no = 0, pos = 0;
  std::string_view line;
  try {
    while (pos < text.size()) {
      const std::size_t nl = text.find('\n', pos);
      ++line_no;
      line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      if (nl == std::string_view::npos) Fail("missing final newline");
      parser.Line(line);
      pos = nl + 1;
    }
  } catch (const LineError& e) {
    if (error) {
      *error = "line " + std::to_string(line_no) + ": " + e.reason + ": " + std::string(line.substr(0, 200)) +
               (line.size() > 200 ? "..." : "");
    }
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> PromExposition::Type(std::string_view family) const {
  auto it = families_.find(family);
  return it == families_.end() ? std::nullopt : std::optional(it->second.type);
}

std::optional<std::string> PromExposition::Help(std::string_view family) const {
  auto it = families_.find(family);
  return it == families_.end() || !it->second.has_help ? std::nullopt : std::optional(it->second.help);
}

std::vector<PromSample> PromExposition::SamplesOf(std::string_view sample_name, const PromLabels& subset) const {
  std::vector<PromSample> out;
  for (const auto& s : samples_) {
    if (s.name != sample_name) continue;
    bool match = true;
    for (const auto& [k, v] : subset) {
      auto it = s.labels.find(k);
      match = match && it != s.labels.end() && it->second == v;
    }
    if (match) out.push_back(s);
  }
  return out;
}

std::optional<double> PromExposition::Value(std::string_view sample_name, const PromLabels& subset) const {
  auto matches = SamplesOf(sample_name, subset);
  if (matches.size() != 1) return std::nullopt;
  return matches.front().value;
}

}  // namespace farrier::test
