#include "engine/chrome_trace.hpp"

#include <fmt/format.h>

#include <map>

namespace switchsim::engine {
namespace {

std::string micros(Picoseconds t) {
  const std::int64_t ps = t.count();
  return fmt::format("{}{}.{:06d}", ps < 0 ? "-" : "", std::llabs(ps) / 1'000'000, std::llabs(ps) % 1'000'000);
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<int>(c));
        else out += c;
    }
  }
  return out;
}

}  // namespace

std::string chrome_trace_json(const std::vector<TraceSpan>& spans, const std::string& process_name) {
  std::map<std::string, int> track_ids;
  std::vector<std::string> tracks;
  for (const auto& s : spans) {
    if (track_ids.emplace(s.track, static_cast<int>(tracks.size())).second) tracks.push_back(s.track);
  }
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out += fmt::format("{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{{\"name\":\"{}\"}}}}",
                     escape(process_name));
  for (std::size_t i = 0; i < tracks.size(); ++i)
    out += fmt::format(",\n{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":0,\"tid\":{},\"args\":{{\"name\":\"{}\"}}}}",
                       i, escape(tracks[i]));
  for (const auto& s : spans) {
    out += fmt::format(",\n{{\"name\":\"{}\",\"cat\":\"{}\",\"ph\":\"X\",\"pid\":0,\"tid\":{},\"ts\":{},\"dur\":{}}}",
                       escape(s.name), escape(s.category), track_ids.at(s.track), micros(s.start),
                       micros(s.end - s.start));
  }
  out += "\n]}\n";
  return out;
}

}  // namespace switchsim::engine
