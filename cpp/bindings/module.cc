// The entry point of shoal._core: creates the submodules and registers each area.
#include "bindings/bindings.h"
#include "common/logger.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "Shoal's C++ core (private: import shoal instead)";
  m.attr("__version__") = SHOAL_VERSION;
  m.def(
      "set_log_level",
      [](const std::string& level) {
        auto l = spdlog::level::from_str(level);
        if (l == spdlog::level::off && level != "off") {
          throw pybind11::value_error("unknown log level '" + level +
                                      "' (trace, debug, info, warn, error, critical, off)");
        }
        shoal::set_log_level(l);
      },
      pybind11::arg("level"), "Sets the level of every logger of the C++ core.");
  auto storage = m.def_submodule("storage", "the partition log");
  shoal::bindings::register_storage(storage);
}
