// Typed, path-aware reads from nlohmann::json for the monitoring-endpoint parsers.
//
// The parsers are strict about types (a count that arrives as a string is a broken upstream, not
// a zero) and lenient about absence where the server omits zero-valued fields (Go's omitempty).
// Every failure names the JSON path, so an error reads "varz: $.connections: expected unsigned
// integer, got string".
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace farrier::json_fields {

// Thrown inside parsers only; each Parse* function catches it and returns an Error of kind
// kSchema (or kInvalidJson for a SyntaxError: the body is not JSON at all).
struct SchemaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct SyntaxError : SchemaError {
  using SchemaError::SchemaError;
};

using Json = nlohmann::json;

// Required/optional numeric, string and bool fields of an object. `path` is the object's own
// path, used only for the message.
uint64_t U64(const Json& obj, std::string_view key, std::string_view path, bool required = false);
int64_t I64(const Json& obj, std::string_view key, std::string_view path, bool required = false);
double F64(const Json& obj, std::string_view key, std::string_view path, bool required = false);
std::string Str(const Json& obj, std::string_view key, std::string_view path, bool required = false);
bool Bool(const Json& obj, std::string_view key, std::string_view path, bool required = false);

// For fields that only newer servers print (and print always, even when zero): nullopt when the
// field is absent, so "this server does not report it" stays apart from a real zero.
std::optional<uint64_t> OptU64(const Json& obj, std::string_view key, std::string_view path);

// The member as an object/array; a missing member gives a null Json (caller decides), a member of
// the wrong type throws.
const Json& Object(const Json& obj, std::string_view key, std::string_view path);
const Json& Array(const Json& obj, std::string_view key, std::string_view path);

// What was found where something else was expected, for error messages: its JSON type, and its
// value when it is a scalar ("string \"yes\"", "number -3", "array").
std::string Got(const Json& value);

// Parses a whole body; throws SyntaxError on invalid JSON, SchemaError on a non-object top level.
Json ParseObject(std::string_view body);

// Go time.Duration strings as the server prints them ("1.234ms", "2m3.5s", "0s") to seconds.
// Returns a negative value when the text is not a duration.
double GoDurationSeconds(std::string_view text);

// A round-trip time as the server prints it, in seconds; -1 when unknown. The server prints an
// unmeasured RTT as "0s" (it is 0 until the first PONG) and a real round trip is never exactly
// zero, so zero, empty and unparseable all mean "unknown": such series are left out.
double RttSeconds(std::string_view text);

// RFC 3339 timestamps as the server prints them ("2026-11-23T05:18:54.33346348Z") to Unix
// seconds; negative when unparseable.
double Rfc3339Seconds(std::string_view text);

// Parses `body` and hands the top-level object to `build`; invalid JSON, a non-object top level
// or a SchemaError from `build` become an Error whose message starts with "<source>: ".
template <class T, class Build>
Result<T> ParseWith(std::string_view source, std::string_view body, Build&& build) {
  try {
    return build(ParseObject(body));
  } catch (const SyntaxError& e) {
    return Error{std::string(source) + ": " + e.what(), ErrorKind::kInvalidJson};
  } catch (const std::exception& e) {
    return Error{std::string(source) + ": " + e.what(), ErrorKind::kSchema};
  }
}

}  // namespace farrier::json_fields
