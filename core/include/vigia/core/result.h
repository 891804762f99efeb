// Result<T>: the value of an operation that can fail on bad input (a feed, a record, a delivery).
// Shaped like std::expected (C++23), which C++20 lacks. Data-plane code returns these instead of
// throwing; the `reason` of an Error is a short stable word that doubles as a metric label.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vigia {

struct Error {
  std::string reason;   // stable, bounded vocabulary: "timeout", "http_status", "parse", ...
  std::string message;  // for humans: says what failed and where
};

inline Error make_error(std::string reason, std::string message) {
  return Error{std::move(reason), std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok_status() { return Status{}; }

}  // namespace vigia
