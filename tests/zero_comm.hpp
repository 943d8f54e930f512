#pragma once
// A communication model in which every exchange is free: the layer predictions' compute phases
// alone, to be compared with hand-computed kernel times.

#include <string>

#include "model/comm_model.hpp"

namespace switchsim::test {

class ZeroComm final : public model::CommModel {
 public:
  Picoseconds time(const model::CommRequest&) override { return Picoseconds(0); }
  std::string name() const override { return "zero"; }
};

}  // namespace switchsim::test
