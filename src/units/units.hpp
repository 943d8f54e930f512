#pragma once
// Strong unit types. Time is integer picoseconds so that event order is exact and
// reproducible; rates and FLOP counts are doubles because they are measured quantities
// and FLOP counts of large models exceed what exact integers buy us anything for.
//
// Rounding rule (stated once, used everywhere): converting a size at a rate into time
// rounds UP to the next picosecond, so a non-empty transfer or kernel never takes zero time.

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace switchsim {

// Thrown when a quantity leaves its representable range. Silent wrap-around of simulated
// time or byte counts would produce plausible-looking wrong answers; this never does.
class OverflowError : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};

namespace detail {
inline std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) throw OverflowError(std::string(what) + " overflow in addition");
  return out;
}
inline std::int64_t checked_sub(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) throw OverflowError(std::string(what) + " overflow in subtraction");
  return out;
}
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) throw OverflowError(std::string(what) + " overflow in multiplication");
  return out;
}
// Converts a non-negative double to int64, rounding up; throws when it does not fit.
inline std::int64_t ceil_to_int64(long double value, const char* what) {
  if (!std::isfinite(value)) throw OverflowError(std::string(what) + " is not finite");
  const long double rounded = std::ceil(value);
  // 2^63 is exactly representable; anything at or above it does not fit.
  if (rounded >= 9223372036854775808.0L || rounded < -9223372036854775808.0L)
    throw OverflowError(std::string(what) + " exceeds the int64 range");
  return static_cast<std::int64_t>(rounded);
}
}  // namespace detail

class Picoseconds {
 public:
  constexpr Picoseconds() = default;
  constexpr explicit Picoseconds(std::int64_t count) : count_(count) {}
  static Picoseconds from_seconds(double seconds) {
    return Picoseconds(detail::ceil_to_int64(static_cast<long double>(seconds) * 1e12L, "time in picoseconds"));
  }
  static constexpr Picoseconds max() { return Picoseconds(std::numeric_limits<std::int64_t>::max()); }
  constexpr std::int64_t count() const { return count_; }
  constexpr double seconds() const { return static_cast<double>(count_) * 1e-12; }

  friend Picoseconds operator+(Picoseconds a, Picoseconds b) {
    return Picoseconds(detail::checked_add(a.count_, b.count_, "time in picoseconds"));
  }
  friend Picoseconds operator-(Picoseconds a, Picoseconds b) {
    return Picoseconds(detail::checked_sub(a.count_, b.count_, "time in picoseconds"));
  }
  friend Picoseconds operator*(Picoseconds a, std::int64_t k) {
    return Picoseconds(detail::checked_mul(a.count_, k, "time in picoseconds"));
  }
  friend Picoseconds operator*(std::int64_t k, Picoseconds a) { return a * k; }
  Picoseconds& operator+=(Picoseconds other) { return *this = *this + other; }
  Picoseconds& operator-=(Picoseconds other) { return *this = *this - other; }
  friend constexpr auto operator<=>(Picoseconds, Picoseconds) = default;

 private:
  std::int64_t count_ = 0;
};

class Bytes {
 public:
  constexpr Bytes() = default;
  constexpr explicit Bytes(std::int64_t count) : count_(count) {}
  static Bytes from_double(double bytes) { return Bytes(detail::ceil_to_int64(bytes, "byte count")); }
  constexpr std::int64_t count() const { return count_; }
  constexpr double as_double() const { return static_cast<double>(count_); }

  friend Bytes operator+(Bytes a, Bytes b) { return Bytes(detail::checked_add(a.count_, b.count_, "byte count")); }
  friend Bytes operator-(Bytes a, Bytes b) { return Bytes(detail::checked_sub(a.count_, b.count_, "byte count")); }
  friend Bytes operator*(Bytes a, std::int64_t k) { return Bytes(detail::checked_mul(a.count_, k, "byte count")); }
  friend Bytes operator*(std::int64_t k, Bytes a) { return a * k; }
  Bytes& operator+=(Bytes other) { return *this = *this + other; }
  friend constexpr auto operator<=>(Bytes, Bytes) = default;

 private:
  std::int64_t count_ = 0;
};

class BytesPerSecond {
 public:
  constexpr BytesPerSecond() = default;
  constexpr explicit BytesPerSecond(double value) : value_(value) {}
  static constexpr BytesPerSecond gigabytes(double gb_per_s) { return BytesPerSecond(gb_per_s * 1e9); }
  static constexpr BytesPerSecond gigabits(double gbit_per_s) { return BytesPerSecond(gbit_per_s * 1e9 / 8.0); }
  constexpr double value() const { return value_; }
  friend constexpr BytesPerSecond operator*(BytesPerSecond r, double k) { return BytesPerSecond(r.value_ * k); }
  friend constexpr BytesPerSecond operator*(double k, BytesPerSecond r) { return r * k; }
  friend constexpr BytesPerSecond operator+(BytesPerSecond a, BytesPerSecond b) {
    return BytesPerSecond(a.value_ + b.value_);
  }
  friend constexpr BytesPerSecond operator-(BytesPerSecond a, BytesPerSecond b) {
    return BytesPerSecond(a.value_ - b.value_);
  }
  friend constexpr double operator/(BytesPerSecond a, BytesPerSecond b) { return a.value_ / b.value_; }
  friend constexpr auto operator<=>(BytesPerSecond, BytesPerSecond) = default;

 private:
  double value_ = 0.0;
};

class Flops {
 public:
  constexpr Flops() = default;
  constexpr explicit Flops(double value) : value_(value) {}
  constexpr double value() const { return value_; }
  friend constexpr Flops operator+(Flops a, Flops b) { return Flops(a.value_ + b.value_); }
  friend constexpr Flops operator*(Flops a, double k) { return Flops(a.value_ * k); }
  friend constexpr Flops operator*(double k, Flops a) { return a * k; }
  constexpr Flops& operator+=(Flops other) { value_ += other.value_; return *this; }
  friend constexpr auto operator<=>(Flops, Flops) = default;

 private:
  double value_ = 0.0;
};

class FlopsPerSecond {
 public:
  constexpr FlopsPerSecond() = default;
  constexpr explicit FlopsPerSecond(double value) : value_(value) {}
  static constexpr FlopsPerSecond tera(double tflops) { return FlopsPerSecond(tflops * 1e12); }
  constexpr double value() const { return value_; }
  friend constexpr FlopsPerSecond operator*(FlopsPerSecond r, double k) { return FlopsPerSecond(r.value_ * k); }
  friend constexpr FlopsPerSecond operator*(double k, FlopsPerSecond r) { return r * k; }
  friend constexpr auto operator<=>(FlopsPerSecond, FlopsPerSecond) = default;

 private:
  double value_ = 0.0;
};

// Time to move `size` at `rate`, rounded up to the next picosecond. A zero size takes zero
// time; a non-positive rate for a non-empty size is a logic error, reported as such.
inline Picoseconds operator/(Bytes size, BytesPerSecond rate) {
  if (size.count() == 0) return Picoseconds(0);
  if (!(rate.value() > 0.0)) throw std::invalid_argument("transfer at a non-positive rate");
  // Multiply first, in long double: sizes and rates given in round decimal or binary units
  // then divide exactly (1 GiB at 1 GB/s is exactly 1,073,741,824,000 ps).
  return Picoseconds(detail::ceil_to_int64(static_cast<long double>(size.count()) * 1e12L / rate.value(),
                                           "transfer time in picoseconds"));
}

// Time to execute `work` at `rate`, rounded up to the next picosecond.
inline Picoseconds operator/(Flops work, FlopsPerSecond rate) {
  if (work.value() == 0.0) return Picoseconds(0);
  if (!(rate.value() > 0.0)) throw std::invalid_argument("compute at a non-positive rate");
  return Picoseconds(detail::ceil_to_int64(static_cast<long double>(work.value()) * 1e12L / rate.value(),
                                           "compute time in picoseconds"));
}

// Achieved rates over a duration (for algbw/busbw and TFLOP/s reports).
inline BytesPerSecond operator/(Bytes size, Picoseconds time) {
  return BytesPerSecond(size.as_double() / time.seconds());
}
inline FlopsPerSecond operator/(Flops work, Picoseconds time) { return FlopsPerSecond(work.value() / time.seconds()); }

namespace literals {
constexpr Picoseconds operator""_ps(unsigned long long v) { return Picoseconds(static_cast<std::int64_t>(v)); }
constexpr Picoseconds operator""_ns(unsigned long long v) { return Picoseconds(static_cast<std::int64_t>(v) * 1'000); }
constexpr Picoseconds operator""_us(unsigned long long v) {
  return Picoseconds(static_cast<std::int64_t>(v) * 1'000'000);
}
constexpr Bytes operator""_B(unsigned long long v) { return Bytes(static_cast<std::int64_t>(v)); }
constexpr Bytes operator""_KiB(unsigned long long v) { return Bytes(static_cast<std::int64_t>(v) << 10); }
constexpr Bytes operator""_MiB(unsigned long long v) { return Bytes(static_cast<std::int64_t>(v) << 20); }
constexpr Bytes operator""_GiB(unsigned long long v) { return Bytes(static_cast<std::int64_t>(v) << 30); }
}  // namespace literals

}  // namespace switchsim
