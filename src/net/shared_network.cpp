#include "net/shared_network.hpp"

#include <memory>

namespace switchsim::net {

SharedNetwork::SharedNetwork(const topology::Topology& topo, engine::EventQueue& queue, NetworkOptions options)
    : network_(topo, queue, options) {}

engine::ExternalStart SharedNetwork::collective_task(std::vector<CollectiveSpec> specs) {
  return [this, specs = std::move(specs)](engine::TaskId, std::function<void()> done) {
    if (specs.empty()) {  // nothing to move: end from an event at the current time
      network_.transfer(std::vector<Flow>{}, std::move(done));
      return;
    }
    auto outstanding = std::make_shared<std::size_t>(specs.size());
    auto finish = std::make_shared<std::function<void()>>(std::move(done));
    network_.run_coalesced([&] {
      for (const auto& spec : specs) {
        ++started_;
        run_collective(network_, spec, [this, outstanding, finish] {
          ++finished_;
          if (--*outstanding == 0) (*finish)();
        });
      }
    });
  };
}

}  // namespace switchsim::net
