// Strong types for ids and offsets: an offset is never silently mixed up with a
// partition id or a byte position across a module boundary.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>

#include <fmt/format.h>

namespace shoal {

// A value of type T that only converts to T explicitly. Tag makes each use a distinct type.
template <typename T, typename Tag>
class named_type {
 public:
  using value_type = T;

  constexpr named_type() = default;
  constexpr explicit named_type(T v) : value_(v) {}

  constexpr T operator()() const { return value_; }
  constexpr T value() const { return value_; }

  constexpr auto operator<=>(const named_type&) const = default;

  constexpr named_type& operator++() {
    ++value_;
    return *this;
  }
  constexpr named_type operator+(T d) const { return named_type(value_ + d); }
  constexpr named_type operator-(T d) const { return named_type(value_ - d); }
  constexpr named_type& operator+=(T d) {
    value_ += d;
    return *this;
  }

  friend std::ostream& operator<<(std::ostream& os, const named_type& v) { return os << v.value_; }

 private:
  T value_{};
};

}  // namespace shoal

template <typename T, typename Tag>
struct std::hash<shoal::named_type<T, Tag>> {
  size_t operator()(const shoal::named_type<T, Tag>& v) const noexcept {
    return std::hash<T>{}(v());
  }
};

template <typename T, typename Tag>
struct fmt::formatter<shoal::named_type<T, Tag>> : fmt::formatter<T> {
  template <typename Ctx>
  auto format(const shoal::named_type<T, Tag>& v, Ctx& ctx) const {
    return fmt::formatter<T>::format(v(), ctx);
  }
};
