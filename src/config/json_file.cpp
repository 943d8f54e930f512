#include "config/json_file.hpp"

#include <fstream>
#include <sstream>
#include <vector>

#include "config/error.hpp"
#include "config/limits.hpp"

namespace switchsim::config {

namespace {
// JSON pointer escaping (RFC 6901): ~ -> ~0, / -> ~1.
std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// A SAX handler that builds the document itself, in one pass over the text and in time linear
// in it. Duplicate keys: the object being built is the key set (one map lookup per key, which
// also places the member; nlohmann's callback parser, used before, rescanned the parent
// container at every value end: quadratic). Size: values, arrays and objects, keys and depth
// are counted as they start and refused past limits.hpp's kMaxJson*, so a hostile file costs a
// bounded amount of work and memory. It knows the JSON pointer of the value being read (from
// the containers open), so that every error is reported at its field.
class CheckingSax {
 public:
  using json = nlohmann::json;
  CheckingSax(json& result, const std::string& name) : root_(result), name_(name) {}

  bool null() { return *place() = nullptr, true; }
  bool boolean(bool v) { return *place() = v, true; }
  bool number_integer(json::number_integer_t v) { return *place() = v, true; }
  bool number_unsigned(json::number_unsigned_t v) { return *place() = v, true; }
  bool number_float(json::number_float_t v, const json::string_t&) { return *place() = v, true; }
  bool string(json::string_t& v) { return *place() = std::move(v), true; }
  bool binary(json::binary_t& v) { return *place() = json(std::move(v)), true; }
  bool start_object(std::size_t) { return open(json::object()); }
  bool key(json::string_t& k) {
    Frame& f = stack_.back();
    if (++keys_ > kMaxJsonKeys)
      throw ConfigError(name_, path(stack_.size()) + "/" + escape_pointer_token(k),
                        "more than " + std::to_string(kMaxJsonKeys) + " object keys in one file" + kWhy);
    // try_emplace leaves k untouched when the key is already there.
    auto [it, inserted] = f.container->get_ref<json::object_t&>().try_emplace(std::move(k));
    if (!inserted) throw ConfigError(name_, path(stack_.size()) + "/" + escape_pointer_token(k), "duplicate key");
    f.key = &it->first;
    f.member = &it->second;
    return true;
  }
  bool end_object() { return stack_.pop_back(), true; }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_array() { return stack_.pop_back(), true; }
  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& e) {
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line L, column C: ".
    const auto bracket = what.find("]");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    if (e.id == 406)  // out_of_range.406: valid syntax, a number beyond the double range (1e400)
      throw ConfigError(name_, next_pointer(), "number " + token + " is out of range (beyond +-1.8e308)");
    throw ConfigError(name_, "byte " + std::to_string(position), "not valid JSON (" + what + ")");
  }

 private:
  static constexpr const char* kWhy = " (switchsim's limit, see src/config/limits.hpp)";
  struct Frame {
    json* container = nullptr;         // an array or object being filled
    const std::string* key = nullptr;  // objects: the member being read
    json* member = nullptr;
  };

  // Where the next value goes (the root, the array's new last element, the object's member
  // named by the last key), after counting it.
  json* place() {
    if (++values_ > kMaxJsonValues)
      throw ConfigError(name_, next_pointer(),
                        "more than " + std::to_string(kMaxJsonValues) + " JSON values in one file" + kWhy);
    if (stack_.empty()) return &root_;
    Frame& f = stack_.back();
    if (f.container->is_object()) return f.member;
    // Element pointers stay valid while this array grows no further: the next element starts
    // only after this one (and its own elements) are complete.
    auto& array = f.container->get_ref<json::array_t&>();
    array.emplace_back();
    return &array.back();
  }
  bool open(json&& empty) {
    if (++containers_ > kMaxJsonContainers)
      throw ConfigError(name_, next_pointer(),
                        "more than " + std::to_string(kMaxJsonContainers) + " arrays and objects in one file" + kWhy);
    if (static_cast<std::int64_t>(stack_.size()) >= kMaxJsonDepth)
      throw ConfigError(name_, next_pointer(),
                        "arrays and objects nested more than " + std::to_string(kMaxJsonDepth) + " deep" + kWhy);
    json* slot = place();
    *slot = std::move(empty);
    stack_.push_back(Frame{slot, nullptr, nullptr});
    return true;
  }
  // Pointer to the value about to start ("/" for the root): in the innermost array, the next
  // element; in the innermost object, the member of the last key.
  std::string next_pointer() const {
    std::string out = path(stack_.size());
    if (!stack_.empty() && stack_.back().container->is_array())
      out += "/" + std::to_string(stack_.back().container->size());
    else if (!stack_.empty() && stack_.back().key != nullptr)
      out += "/" + escape_pointer_token(*stack_.back().key);
    return out.empty() ? "/" : out;
  }
  // Pointer to the innermost of the first `depth` open containers ("" for the root): each
  // outer container's child being read is its last element or the member of its last key.
  std::string path(std::size_t depth) const {
    std::string out;
    for (std::size_t i = 0; i + 1 < depth; ++i) {
      const Frame& f = stack_[i];
      if (f.container->is_object())
        out += "/" + escape_pointer_token(*f.key);
      else
        out += "/" + std::to_string(f.container->size() - 1);
    }
    return out;
  }

  json& root_;
  const std::string& name_;
  std::vector<Frame> stack_;
  std::int64_t values_ = 0;
  std::int64_t containers_ = 0;
  std::int64_t keys_ = 0;
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
  // Read straight into one string of the file's size (a stringstream would hold a second copy:
  // 128 MB of memory for a 64 MB file). A file that grows meanwhile is read to its end.
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw ConfigError(name, "file", "read error");
  if (in) {
    std::ostringstream rest;
    rest << in.rdbuf();
    text += rest.str();
    if (text.size() > kMaxConfigBytes)
      throw ConfigError(name, "file",
                        "too large (grew past the limit of " + std::to_string(kMaxConfigBytes) + " bytes while read)");
  }
  return parse_json_text(text, name);
}

}  // namespace switchsim::config
