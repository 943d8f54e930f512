#pragma once
#include <stdexcept>
#include <string>

namespace switchsim::config {

// A problem with user input. what() is the one line the CLI prints:
// "<file>: <json pointer or byte offset>: <message>".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, std::string location, std::string message)
      : std::runtime_error(file + ": " + location + ": " + message),
        file_(std::move(file)),
        location_(std::move(location)),
        message_(std::move(message)) {}
  const std::string& file() const { return file_; }
  const std::string& location() const { return location_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::string location_;
  std::string message_;
};

}  // namespace switchsim::config
