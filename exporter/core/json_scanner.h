// A validating, allocation-free pull scanner over JSON text, for the two bodies that grow with
// the deployment: /connz (~500 bytes per connection, 5 MB at 10,000 connections) and /jsz with
// consumers (~1 KB per consumer, 10 MB at 10,000). Building a DOM for those costs more CPU than
// the server spends rendering them, and holds several times the body in memory; scanning only
// the fields we need costs a small fraction (see bench/README.md). Small bodies use
// nlohmann::json.
//
// Usage: EnterObject(), then `while (NextMember(&key))` read or Skip() each value; arrays alike
// with EnterArray()/NextElement(). Any failure is sticky: ok() turns false, the rest of the calls
// return false, and error()/syntax_error() say what went wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace farrier {

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : text_(text) {}

  bool EnterObject(std::string_view path);
  bool NextMember(std::string_view* key);  // false at the closing brace (or on error)
  bool EnterArray(std::string_view path);
  bool NextElement();  // false at the closing bracket (or on error)

  // The next value is JSON null (consumed if so): absent, as in Go's omitempty output.
  bool ConsumeNull();
  // Typed reads of the next value. A value of another type is a schema error naming `path`.
  bool ReadU64(std::string_view path, uint64_t* out);
  bool ReadI64(std::string_view path, int64_t* out);
  bool ReadBool(std::string_view path, bool* out);
  bool ReadString(std::string_view path, std::string* out);
  bool Skip();  // any value, nested up to kMaxDepth
  // Skip(), and the skipped value's text: how a wrapper's payload is handed on unparsed.
  bool SkipRaw(std::string_view* raw);

  // Only whitespace remains.
  bool AtEnd();

  bool ok() const { return error_.empty(); }
  bool syntax_error() const { return syntax_; }
  const std::string& error() const { return error_; }

 private:
  static constexpr int kMaxDepth = 64;
  enum class Kind { kObject, kArray, kString, kNumber, kTrue, kFalse, kNull, kInvalid };

  void SkipSpace();
  Kind Peek();
  bool Expect(char c);
  bool ScanString(std::string_view* raw, bool* escaped);
  bool ScanNumber(std::string_view* raw);
  bool ScanLiteral(std::string_view word);
  bool SkipValue(int depth);
  template <class Integer>
  bool ReadInteger(std::string_view path, std::string_view expected, Integer* out);
  bool SyntaxError(std::string_view what);
  bool TypeError(std::string_view path, std::string_view expected);

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<bool> first_;  // per open container: no member/element read yet
  std::string error_;
  bool syntax_ = false;
};

// Decodes the body of a JSON string (without quotes) with escapes into UTF-8.
bool UnescapeJsonString(std::string_view raw, std::string* out);

}  // namespace farrier
