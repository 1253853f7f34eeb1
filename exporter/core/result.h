// A value or an error message, for code that must not throw on the serving path.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "core/error_kind.h"

namespace farrier {

struct Error {
  std::string message;
  // What kind of failure, where the code that failed knows it (a parser: invalid JSON or an
  // unexpected shape); empty for errors that are not about reading an endpoint (configuration).
  std::optional<ErrorKind> kind{};
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<Error>(v_).message; }
  std::optional<ErrorKind> error_kind() const { return std::get<Error>(v_).kind; }

 private:
  std::variant<T, Error> v_;
};

}  // namespace farrier
