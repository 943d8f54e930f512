// `switchsim list models|hardware`

#include <fmt/format.h>

#include <memory>

#include "cli/command.hpp"
#include "config/catalog.hpp"

namespace switchsim::cli {

void setup_list(CLI::App& app, Action& action) {
  auto* list = app.add_subcommand("list",
                                  "List shipped configs.\n"
                                  "Example: switchsim list models\n"
                                  "         switchsim list hardware");
  auto what = std::make_shared<std::string>();
  list->add_option("what", *what, "models or hardware")->required()->check(CLI::IsMember({"models", "hardware"}));
  list->callback([what, &action] {
    action = [what] {
      const auto catalog = config::Catalog::from_environment();
      if (*what == "models") {
        for (const auto& name : catalog.model_names()) fmt::print("{}\n", name);
      } else {
        for (const auto& name : catalog.hardware_names())
          fmt::print("{:<24} {}\n", name, catalog.hardware_type(name));
      }
      return 0;
    };
  });
}

}  // namespace switchsim::cli
