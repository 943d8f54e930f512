#include "config/json_file.hpp"

#include <fstream>
#include <unordered_set>
#include <sstream>
#include <vector>

#include "config/error.hpp"

namespace switchsim::config {

namespace {
// JSON pointer escaping (RFC 6901): ~ -> ~0, / -> ~1.
std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

// A SAX handler that builds the document (through nlohmann's own DOM builder) and refuses
// duplicate keys on the way, in time linear in the text: each open object keeps the set of
// its keys, dropped when the object ends. (nlohmann's callback parser, used before, rescans
// the parent container at every value end: quadratic in the length of an array of objects.)
// It also knows the JSON pointer of the value being read, so that a number that does not
// fit in a double is reported at its field.
class CheckingSax {
 public:
  using json = nlohmann::json;
  CheckingSax(json& result, const std::string& name) : dom_(result, /*allow_exceptions=*/true), name_(name) {}

  bool null() { return value(), dom_.null(); }
  bool boolean(bool v) { return value(), dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return value(), dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return value(), dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& text) { return value(), dom_.number_float(v, text); }
  bool string(json::string_t& v) { return value(), dom_.string(v); }
  bool binary(json::binary_t& v) { return value(), dom_.binary(v); }
  bool start_object(std::size_t n) {
    value();
    open(true);
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    Frame& f = frames_[depth_ - 1];
    if (!f.keys.insert(k).second) throw ConfigError(name_, path(depth_ - 1) + "/" + escape_pointer_token(k), "duplicate key");
    f.key = k;
    return dom_.key(k);
  }
  bool end_object() {
    close();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    value();
    open(false);
    return dom_.start_array(n);
  }
  bool end_array() {
    close();
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& e) {
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line L, column C: ".
    const auto bracket = what.find("]");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    if (e.id == 406)  // out_of_range.406: valid syntax, a number beyond the double range (1e400)
      throw ConfigError(name_, pointer(depth_), "number " + token + " is out of range (beyond +-1.8e308)");
    throw ConfigError(name_, "byte " + std::to_string(position), "not valid JSON (" + what + ")");
  }

 private:
  struct Frame {
    bool is_object = false;
    std::unordered_set<std::string> keys;
    std::string key;         // the key being read (objects)
    std::size_t values = 0;  // elements started so far (arrays)
  };
  // A value starts: counts as the next element of an enclosing array.
  void value() {
    if (depth_ > 0 && !frames_[depth_ - 1].is_object) ++frames_[depth_ - 1].values;
  }
  void open(bool is_object) {
    if (frames_.size() <= depth_) frames_.emplace_back();
    Frame& f = frames_[depth_++];
    f.is_object = is_object;
    // A set that once held many keys is replaced, not cleared: clear() costs its bucket count.
    if (f.keys.bucket_count() > 64) f.keys = {};
    else f.keys.clear();
    f.key.clear();
    f.values = 0;
  }
  void close() { --depth_; }
  // Pointer to the value being read in the first `depth` frames (inner arrays: their current
  // element; the innermost array when a value is about to start: the next element).
  std::string pointer(std::size_t depth) const {
    const std::string out = path(depth);
    return out.empty() ? "/" : out;
  }
  // The same, "" for the root.
  std::string path(std::size_t depth) const {
    std::string out;
    for (std::size_t i = 0; i < depth; ++i) {
      const Frame& f = frames_[i];
      if (f.is_object) out += "/" + escape_pointer_token(f.key);
      else out += "/" + std::to_string(i + 1 == depth_ && depth == depth_ ? f.values : f.values - 1);
    }
    return out;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const std::string& name_;
  std::vector<Frame> frames_;
  std::size_t depth_ = 0;
};
}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& name) {
  // A NUL byte is never part of JSON text; some readers stop at it, hiding what follows.
  if (const auto nul = text.find('\0'); nul != std::string::npos)
    throw ConfigError(name, "byte " + std::to_string(nul), "not valid JSON (a NUL byte; JSON text never contains one)");
  nlohmann::json result;
  CheckingSax sax(result, name);
  // Duplicate keys are silently resolved "last wins" by most parsers; in a config they are
  // almost always a copy-paste mistake, so CheckingSax refuses them.
  nlohmann::json::sax_parse(text, &sax, nlohmann::json::input_format_t::json, /*strict=*/true,
                            /*ignore_comments=*/false);
  return result;
}

nlohmann::json load_json_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw ConfigError(name, "file", "no such file");
  if (std::filesystem::is_directory(status)) throw ConfigError(name, "file", "is a directory, expected a JSON file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw ConfigError(name, "file", "cannot read size: " + ec.message());
  if (size > kMaxConfigBytes)
    throw ConfigError(name, "file",
                      "too large (" + std::to_string(size) + " bytes; limit " + std::to_string(kMaxConfigBytes) + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(name, "file", "cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw ConfigError(name, "file", "read error");
  return parse_json_text(buffer.str(), name);
}

}  // namespace switchsim::config
