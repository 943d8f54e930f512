#include "units/format.hpp"

namespace switchsim {
namespace {

struct Prefix {
  double scale;
  const char* name;
};

std::string scaled(double value, std::span<const Prefix> prefixes, const char* unit) {
  // prefixes are ordered from largest to smallest; the last one is the fallback.
  const double magnitude = std::fabs(value);
  for (const Prefix& p : prefixes) {
    if (magnitude >= p.scale) return fmt::format("{:.3f} {}{}", value / p.scale, p.name, unit);
  }
  const Prefix& last = prefixes.back();
  return fmt::format("{:.3f} {}{}", value / last.scale, last.name, unit);
}

constexpr std::array<Prefix, 5> kDecimal{{{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "K"}}};

}  // namespace

std::string format_time(Picoseconds t) {
  static constexpr std::array<Prefix, 5> kTime{{{1e12, ""}, {1e9, "m"}, {1e6, "u"}, {1e3, "n"}, {1, "p"}}};
  return scaled(static_cast<double>(t.count()), kTime, "s");
}

std::string format_bytes(Bytes b) {
  static constexpr std::array<Prefix, 5> kBinary{
      {{1125899906842624.0, "Pi"}, {1099511627776.0, "Ti"}, {1073741824.0, "Gi"}, {1048576.0, "Mi"}, {1024.0, "Ki"}}};
  if (std::llabs(b.count()) < 1024) return fmt::format("{} B", b.count());
  return scaled(b.as_double(), kBinary, "B");
}

std::string format_rate(BytesPerSecond r) {
  if (std::fabs(r.value()) < 1e3) return fmt::format("{:.3f} B/s", r.value());
  return scaled(r.value(), kDecimal, "B/s");
}

std::string format_flops(Flops f) {
  if (std::fabs(f.value()) < 1e3) return fmt::format("{:.3f} FLOP", f.value());
  return scaled(f.value(), kDecimal, "FLOP");
}

std::string format_flop_rate(FlopsPerSecond r) {
  if (std::fabs(r.value()) < 1e3) return fmt::format("{:.3f} FLOP/s", r.value());
  return scaled(r.value(), kDecimal, "FLOP/s");
}

}  // namespace switchsim
