#include "core/json_scanner.h"

#include <array>
#include <cctype>
#include <charconv>

namespace farrier {

bool JsonScanner::SyntaxError(std::string_view what) {
  if (error_.empty()) {
    syntax_ = true;
    error_ = pos_ >= text_.size() && !text_.empty()
                 ? "body is not valid JSON (ends early: " + std::string(what) + ")"
                 : "body is not valid JSON (at byte " + std::to_string(pos_) + ": " + std::string(what) + ")";
    if (text_.empty()) error_ = "empty body";
  }
  return false;
}

bool JsonScanner::TypeError(std::string_view path, std::string_view expected) {
  static constexpr const char* kNames[] = {"object",  "array",   "string", "number",
                                           "boolean", "boolean", "null",   "invalid"};
  if (error_.empty()) {
    error_ = std::string(path) + ": expected " + std::string(expected) + ", got " + kNames[static_cast<int>(Peek())];
  }
  return false;
}

void JsonScanner::SkipSpace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
    ++pos_;
  }
}

JsonScanner::Kind JsonScanner::Peek() {
  SkipSpace();
  if (pos_ >= text_.size()) return Kind::kInvalid;
  switch (text_[pos_]) {
    case '{': return Kind::kObject;
    case '[': return Kind::kArray;
    case '"': return Kind::kString;
    case 't': return Kind::kTrue;
    case 'f': return Kind::kFalse;
    case 'n': return Kind::kNull;
    case '-': return Kind::kNumber;
    default: return (text_[pos_] >= '0' && text_[pos_] <= '9') ? Kind::kNumber : Kind::kInvalid;
  }
}

bool JsonScanner::Expect(char c) {
  SkipSpace();
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return SyntaxError(std::string("expected '") + c + "'");
}

namespace {

// Bytes that need no attention inside a string: anything but the quote, the backslash and the
// control characters. A table, because string bytes are most of what the scanner reads.
constexpr std::array<bool, 256> MakePlainStringBytes() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 256; ++c) t[c] = c != '"' && c != '\\';
  return t;
}
constexpr std::array<bool, 256> kPlainStringByte = MakePlainStringBytes();

}  // namespace

bool JsonScanner::ScanString(std::string_view* raw, bool* escaped) {
  if (!Expect('"')) return false;
  size_t start = pos_;
  *escaped = false;
  while (pos_ < text_.size()) {
    while (pos_ < text_.size() && kPlainStringByte[static_cast<unsigned char>(text_[pos_])]) ++pos_;
    if (pos_ >= text_.size()) break;
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      *raw = text_.substr(start, pos_ - start);
      ++pos_;
      return true;
    }
    if (c < 0x20) return SyntaxError("control character in string");
    // A backslash.
    *escaped = true;
    if (++pos_ >= text_.size()) break;
    char e = text_[pos_];
    if (e == 'u') {
      for (int i = 1; i <= 4; ++i) {
        if (pos_ + i >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[pos_ + i]))) {
          return SyntaxError("bad \\u escape");
        }
      }
      pos_ += 4;
    } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
      return SyntaxError("bad escape");
    }
    ++pos_;
  }
  return SyntaxError("unterminated string");
}

bool JsonScanner::ScanNumber(std::string_view* raw) {
  SkipSpace();
  size_t start = pos_;
  auto digits = [&] {
    size_t from = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > from;
  };
  if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
  if (pos_ < text_.size() && text_[pos_] == '0') {
    ++pos_;
  } else if (!digits()) {
    return SyntaxError("bad number");
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (!digits()) return SyntaxError("bad number");
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (!digits()) return SyntaxError("bad number");
  }
  *raw = text_.substr(start, pos_ - start);
  return true;
}

bool JsonScanner::ScanLiteral(std::string_view word) {
  SkipSpace();
  if (text_.substr(pos_, word.size()) != word) return SyntaxError("bad literal");
  pos_ += word.size();
  return true;
}

bool JsonScanner::EnterObject(std::string_view path) {
  if (!ok()) return false;
  if (Peek() != Kind::kObject) {
    if (Peek() == Kind::kInvalid) return SyntaxError("expected a value");
    // At the top level, "404 page not found" starts like a number: only a body that is valid
    // JSON as a whole has the wrong type; anything else is not JSON.
    if (first_.empty()) {
      size_t start = pos_;
      if (!SkipValue(0) || !AtEnd()) return false;
      pos_ = start;
    }
    return TypeError(path, "object");
  }
  ++pos_;
  first_.push_back(true);
  if (first_.size() > kMaxDepth) return SyntaxError("nested too deeply");
  return true;
}

bool JsonScanner::NextMember(std::string_view* key) {
  if (!ok() || first_.empty()) return false;
  SkipSpace();
  if (pos_ < text_.size() && text_[pos_] == '}') {
    ++pos_;
    first_.pop_back();
    return false;
  }
  if (!first_.back() && !Expect(',')) return false;
  first_.back() = false;
  bool escaped = false;
  // Keys of the server's JSON never contain escapes; an escaped key simply matches none of ours.
  if (!ScanString(key, &escaped)) return false;
  return Expect(':');
}

bool JsonScanner::EnterArray(std::string_view path) {
  if (!ok()) return false;
  if (Peek() != Kind::kArray)
    return Peek() == Kind::kInvalid ? SyntaxError("expected a value") : TypeError(path, "array");
  ++pos_;
  first_.push_back(true);
  if (first_.size() > kMaxDepth) return SyntaxError("nested too deeply");
  return true;
}

bool JsonScanner::NextElement() {
  if (!ok() || first_.empty()) return false;
  SkipSpace();
  if (pos_ < text_.size() && text_[pos_] == ']') {
    ++pos_;
    first_.pop_back();
    return false;
  }
  if (!first_.back() && !Expect(',')) return false;
  first_.back() = false;
  return true;
}

bool JsonScanner::ConsumeNull() {
  if (!ok() || Peek() != Kind::kNull) return false;
  return ScanLiteral("null");
}

template <class Integer>
bool JsonScanner::ReadInteger(std::string_view path, std::string_view expected, Integer* out) {
  if (!ok()) return false;
  if (Peek() != Kind::kNumber) {
    return Peek() == Kind::kInvalid ? SyntaxError("expected a value") : TypeError(path, expected);
  }
  std::string_view raw;
  if (!ScanNumber(&raw)) return false;
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), *out);
  if (ec != std::errc() || p != raw.data() + raw.size()) {
    error_ = std::string(path) + ": expected " + std::string(expected) + ", got number " + std::string(raw);
    return false;
  }
  return true;
}

bool JsonScanner::ReadU64(std::string_view path, uint64_t* out) { return ReadInteger(path, "unsigned integer", out); }

bool JsonScanner::ReadI64(std::string_view path, int64_t* out) { return ReadInteger(path, "integer", out); }

bool JsonScanner::ReadBool(std::string_view path, bool* out) {
  if (!ok()) return false;
  switch (Peek()) {
    case Kind::kTrue: *out = true; return ScanLiteral("true");
    case Kind::kFalse: *out = false; return ScanLiteral("false");
    case Kind::kInvalid: return SyntaxError("expected a value");
    default: return TypeError(path, "boolean");
  }
}

bool JsonScanner::ReadString(std::string_view path, std::string* out) {
  if (!ok()) return false;
  if (Peek() != Kind::kString) {
    return Peek() == Kind::kInvalid ? SyntaxError("expected a value") : TypeError(path, "string");
  }
  std::string_view raw;
  bool escaped = false;
  if (!ScanString(&raw, &escaped)) return false;
  if (!escaped) {
    out->assign(raw);
    return true;
  }
  return UnescapeJsonString(raw, out) || SyntaxError("bad escape in string");
}

bool JsonScanner::Skip() { return ok() && SkipValue(static_cast<int>(first_.size())); }

bool JsonScanner::SkipRaw(std::string_view* raw) {
  if (!ok()) return false;
  SkipSpace();
  const size_t start = pos_;
  if (!Skip()) return false;
  *raw = text_.substr(start, pos_ - start);
  return true;
}

bool JsonScanner::SkipValue(int depth) {
  if (depth > kMaxDepth) return SyntaxError("nested too deeply");
  std::string_view raw;
  bool escaped;
  switch (Peek()) {
    case Kind::kString: return ScanString(&raw, &escaped);
    case Kind::kNumber: return ScanNumber(&raw);
    case Kind::kTrue: return ScanLiteral("true");
    case Kind::kFalse: return ScanLiteral("false");
    case Kind::kNull: return ScanLiteral("null");
    case Kind::kObject: {
      ++pos_;
      for (bool first = true;; first = false) {
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == '}') return ++pos_, true;
        if (!first && !Expect(',')) return false;
        if (!ScanString(&raw, &escaped) || !Expect(':') || !SkipValue(depth + 1)) return false;
      }
    }
    case Kind::kArray: {
      ++pos_;
      for (bool first = true;; first = false) {
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == ']') return ++pos_, true;
        if (!first && !Expect(',')) return false;
        if (!SkipValue(depth + 1)) return false;
      }
    }
    default: return SyntaxError("expected a value");
  }
}

bool JsonScanner::AtEnd() {
  SkipSpace();
  return pos_ == text_.size() || SyntaxError("unexpected data after the JSON value");
}

namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool Hex4(std::string_view s, size_t at, uint32_t* out) {
  if (at + 4 > s.size()) return false;
  auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + 4, *out, 16);
  return ec == std::errc() && p == s.data() + at + 4;
}

}  // namespace

bool UnescapeJsonString(std::string_view raw, std::string* out) {
  out->clear();
  out->reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= raw.size()) return false;
    switch (raw[i]) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(raw, i + 1, &cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
          uint32_t low;
          if (i + 2 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u' && Hex4(raw, i + 3, &low) &&
              low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        AppendUtf8(cp, out);
        break;
      }
      default: return false;
    }
  }
  return true;
}

}  // namespace farrier
