#pragma once
// Chrome trace / Perfetto JSON ("Trace Event Format": complete events, ph = "X") from spans.
// Opens in chrome://tracing and ui.perfetto.dev. Times are written in microseconds with
// exactly 6 decimals (= picoseconds), so equal inputs give byte-identical files.

#include <string>
#include <vector>

#include "units/units.hpp"

namespace switchsim::engine {

struct TraceSpan {
  std::string name;
  std::string category;
  std::string track;  // one timeline row per distinct track, in order of first appearance
  Picoseconds start;
  Picoseconds end;
};

std::string chrome_trace_json(const std::vector<TraceSpan>& spans, const std::string& process_name);

}  // namespace switchsim::engine
