#pragma once
// How a flow's bytes drain at the rates it gets, in integer picoseconds: the arithmetic the
// flow-by-flow network (net/network.hpp) and the class-by-class timing of a sealed round
// (net/symmetry.hpp) share, so that both give the same times.
//
// A flow holds its bytes left at `since`, the instant its rate last changed, and the
// picosecond its last byte leaves at that rate, rounded up: `finish`. Between changes the
// bytes drain linearly, so nothing needs updating while the rate holds, and the next drain
// of a whole network is the least `finish` (SimGrid's lazy update of actions does the same:
// a heap of finish dates, touched only where a share changes). A rate that changes moves
// `since` to now, with the bytes sent since then subtracted. A rate set to the very value it
// had changes nothing, so solving a system again, or keeping its rates without a solve,
// gives the same times. At an event at t, flows whose `finish` lies within kCompletionSlack
// of t finish at t: symmetric flows whose rates differ only by rounding finish together.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "units/units.hpp"

namespace switchsim::net {

inline constexpr Picoseconds kCompletionSlack{2};

struct DrainClock {
  double remaining = 0;  // bytes left at `since`
  double rate = 0;       // bytes per second; 0 until the first rate is set
  Picoseconds since{0};
  Picoseconds finish{0};

  static DrainClock start(double bytes, Picoseconds now) { return DrainClock{bytes, 0.0, now, now}; }

  // True when the rate changed (and with it `finish`).
  bool set_rate(double new_rate, Picoseconds now) {
    if (new_rate == rate) return false;
    if (rate > 0.0 && now > since) remaining = std::max(0.0, remaining - rate * (now - since).seconds());
    since = now;
    rate = new_rate;
    const double seconds = remaining / rate;  // 0 for an unconstrained flow (rate +inf)
    // In double, not long double: a solve sets millions of rates, and x87 rounding cost half
    // of a step's simulation. The checked conversion takes what double cannot (and throws for
    // a time that is not finite or does not fit).
    const double ps = seconds * 1e12;
    const std::int64_t delay = ps >= 0.0 && ps < 9.0e18
                                   ? static_cast<std::int64_t>(std::ceil(ps))
                                   : std::max<std::int64_t>(0, detail::ceil_to_int64(seconds * 1e12L, "drain time in picoseconds"));
    finish = since + Picoseconds(delay);
    return true;
  }

  bool finishes_by(Picoseconds event) const { return finish <= event + kCompletionSlack; }
};

}  // namespace switchsim::net
