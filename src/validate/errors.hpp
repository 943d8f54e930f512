#pragma once
// What the validation experiment throws, so that a front end (the CLI) can tell the user's
// mistake (exit 2) from missing hardware (exit 3) without the library knowing any front end.

#include <stdexcept>

namespace switchsim::validate {

// A request that cannot run as asked: a layer the reference rejects, a missing profile, a
// cluster with fewer ranks than the layer. The message is one line naming the input.
class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The reference's hardware is not here (no CUDA device). The message says why.
class NoDeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace switchsim::validate
