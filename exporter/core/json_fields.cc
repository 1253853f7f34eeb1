#include "core/json_fields.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>

namespace farrier::json_fields {
namespace {

std::string Where(std::string_view path, std::string_view key) {
  std::string w(path);
  w += '.';
  w += key;
  return w;
}

const char* TypeName(const Json& v) { return v.type_name(); }

[[noreturn]] void Fail(std::string_view path, std::string_view key, std::string_view expected, const Json* got) {
  std::string msg = Where(path, key) + ": expected " + std::string(expected);
  msg += got ? std::string(", got ") + TypeName(*got) : std::string(", field missing");
  throw SchemaError(msg);
}

// Returns the member or nullptr; throws when the container itself is not an object.
const Json* Member(const Json& obj, std::string_view key, std::string_view path) {
  if (!obj.is_object()) throw SchemaError(std::string(path) + ": expected object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

uint64_t U64(const Json& obj, std::string_view key, std::string_view path, bool required) {
  const Json* v = Member(obj, key, path);
  if (!v) {
    if (required) Fail(path, key, "unsigned integer", nullptr);
    return 0;
  }
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_integer() && v->get<int64_t>() >= 0) return v->get<int64_t>();
  Fail(path, key, "unsigned integer", v);
}

int64_t I64(const Json& obj, std::string_view key, std::string_view path, bool required) {
  const Json* v = Member(obj, key, path);
  if (!v) {
    if (required) Fail(path, key, "integer", nullptr);
    return 0;
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  Fail(path, key, "integer", v);
}

double F64(const Json& obj, std::string_view key, std::string_view path, bool required) {
  const Json* v = Member(obj, key, path);
  if (!v) {
    if (required) Fail(path, key, "number", nullptr);
    return 0;
  }
  if (v->is_number()) return v->get<double>();
  Fail(path, key, "number", v);
}

std::string Str(const Json& obj, std::string_view key, std::string_view path, bool required) {
  const Json* v = Member(obj, key, path);
  if (!v) {
    if (required) Fail(path, key, "string", nullptr);
    return {};
  }
  if (v->is_string()) return v->get<std::string>();
  Fail(path, key, "string", v);
}

bool Bool(const Json& obj, std::string_view key, std::string_view path, bool required) {
  const Json* v = Member(obj, key, path);
  if (!v) {
    if (required) Fail(path, key, "boolean", nullptr);
    return false;
  }
  if (v->is_boolean()) return v->get<bool>();
  Fail(path, key, "boolean", v);
}

std::optional<uint64_t> OptU64(const Json& obj, std::string_view key, std::string_view path) {
  if (!Member(obj, key, path)) return std::nullopt;
  return U64(obj, key, path);
}

const Json& Object(const Json& obj, std::string_view key, std::string_view path) {
  static const Json kNull;
  const Json* v = Member(obj, key, path);
  if (!v) return kNull;
  if (!v->is_object()) Fail(path, key, "object", v);
  return *v;
}

const Json& Array(const Json& obj, std::string_view key, std::string_view path) {
  static const Json kNull;
  const Json* v = Member(obj, key, path);
  if (!v) return kNull;
  if (!v->is_array()) Fail(path, key, "array", v);
  return *v;
}

std::string Got(const Json& value) {
  return std::string(value.type_name()) + (value.is_primitive() ? " " + value.dump() : "");
}

Json ParseObject(std::string_view body) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    throw SyntaxError(body.empty() ? "empty body" : "body is not valid JSON");
  }
  if (!doc.is_object()) throw SchemaError(std::string("$: expected object, got ") + TypeName(doc));
  return doc;
}

double GoDurationSeconds(std::string_view text) {
  // Go prints durations as a sequence of <decimal><unit>, units h, m, s, ms, us/µs, ns.
  if (text.empty()) return -1;
  double total = 0;
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
    if (text.size() == 1) return -1;
  }
  if (text.substr(i) == "0") return 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) return -1;
    double number = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + i, number);
    if (ec != std::errc() || ptr != text.data() + i) return -1;
    size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale;
    if (unit == "h") scale = 3600;
    else if (unit == "m") scale = 60;
    else if (unit == "s") scale = 1;
    else if (unit == "ms") scale = 1e-3;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e-6;
    else if (unit == "ns") scale = 1e-9;
    else return -1;
    total += number * scale;
  }
  return negative ? -total : total;
}

double RttSeconds(std::string_view text) {
  double seconds = text.empty() ? -1 : GoDurationSeconds(text);
  return seconds > 0 ? seconds : -1;
}

double Rfc3339Seconds(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  std::tm tm{};
  if (text.size() < 20) return -1;
  auto num = [&](size_t pos, size_t len, int& out) {
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && p == text.data() + pos + len;
  };
  int year, mon, day, hour, min, sec;
  if (!num(0, 4, year) || text[4] != '-' || !num(5, 2, mon) || text[7] != '-' || !num(8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !num(11, 2, hour) || text[13] != ':' || !num(14, 2, min) ||
      text[16] != ':' || !num(17, 2, sec)) {
    return -1;
  }
  size_t i = 19;
  double fraction = 0;
  if (i < text.size() && text[i] == '.') {
    size_t start = i;
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    std::string digits = "0" + std::string(text.substr(start, i - start));  // "0.123"
    std::from_chars(digits.data(), digits.data() + digits.size(), fraction);
  }
  int offset_seconds = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i + 6 == text.size() && (text[i] == '+' || text[i] == '-')) {
    int oh, om;
    if (!num(i + 1, 2, oh) || text[i + 3] != ':' || !num(i + 4, 2, om)) return -1;
    offset_seconds = (oh * 3600 + om * 60) * (text[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return -1;
  }
  if (i != text.size()) return -1;
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  return static_cast<double>(t) - offset_seconds + fraction;
}

}  // namespace farrier::json_fields
