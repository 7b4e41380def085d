// result<T>: the value of an operation that can fail in an expected way, or an error
// carrying a Kafka error code and a message that says what went wrong and what to do.
// Exceptions are kept for misuse; invariants are SHOAL_ASSERTs (assert.h).
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/errc.h"

namespace shoal {

struct error {
  errc code = errc::unknown_server_error;
  std::string message;

  // "MESSAGE_TOO_LARGE: batch of 2000000 bytes exceeds max.message.bytes=1048588"
  std::string to_string() const { return fmt::format("{}: {}", errc_name(code), message); }
};

template <typename... Args>
error make_error(errc code, fmt::format_string<Args...> f, Args&&... args) {
  return error{code, fmt::format(f, std::forward<Args>(args)...)};
}

template <typename T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  result(error e) : v_(std::move(e)) {}      // NOLINT
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, error> &&
           !std::is_same_v<std::decay_t<U>, result>) result(U&& value)
      : v_(T(std::forward<U>(value))) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  bool has_error() const { return v_.index() == 1; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    SHOAL_ASSERT(has_value(), "result::value() on an error: {}", std::get<1>(v_).to_string());
    return std::get<0>(v_);
  }
  const T& value() const& {
    SHOAL_ASSERT(has_value(), "result::value() on an error: {}", std::get<1>(v_).to_string());
    return std::get<0>(v_);
  }
  T&& value() && {
    SHOAL_ASSERT(has_value(), "result::value() on an error: {}", std::get<1>(v_).to_string());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const error& err() const& {
    SHOAL_ASSERT(has_error(), "result::err() on a value");
    return std::get<1>(v_);
  }
  error&& err() && {
    SHOAL_ASSERT(has_error(), "result::err() on a value");
    return std::get<1>(std::move(v_));
  }
  errc code() const { return has_value() ? errc::none : std::get<1>(v_).code; }

 private:
  std::variant<T, error> v_;
};

// result<void>: success or an error.
class [[nodiscard]] status {
 public:
  status() = default;
  status(error e) : e_(std::move(e)), ok_(false) {}  // NOLINT: implicit by design
  static status ok() { return {}; }

  bool has_value() const { return ok_; }
  bool has_error() const { return !ok_; }
  explicit operator bool() const { return ok_; }
  const error& err() const& {
    SHOAL_ASSERT(!ok_, "status::err() on success");
    return e_;
  }
  error&& err() && {
    SHOAL_ASSERT(!ok_, "status::err() on success");
    return std::move(e_);
  }
  errc code() const { return ok_ ? errc::none : e_.code; }

 private:
  error e_;
  bool ok_ = true;
};

}  // namespace shoal

// Propagate an error from an expression returning result<T> or status.
#define SHOAL_TRY(expr)                           \
  do {                                            \
    auto&& shoal_try_r_ = (expr);                 \
    if (!shoal_try_r_) return shoal_try_r_.err(); \
  } while (0)

#define SHOAL_CONCAT_INNER_(a, b) a##b
#define SHOAL_CONCAT_(a, b) SHOAL_CONCAT_INNER_(a, b)
// auto x = SHOAL_TRY_VALUE(f()); is spelled SHOAL_ASSIGN_OR_RETURN(auto x, f());
#define SHOAL_ASSIGN_OR_RETURN(lhs, expr) \
  SHOAL_ASSIGN_OR_RETURN_IMPL_(SHOAL_CONCAT_(shoal_r_, __LINE__), lhs, expr)
#define SHOAL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp) return std::move(tmp).err();             \
  lhs = std::move(tmp).value()
