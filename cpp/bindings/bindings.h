// One register_<area>() per area of the core; module.cc calls them all.
#pragma once

#include <pybind11/pybind11.h>

namespace shoal::bindings {

void register_storage(pybind11::module_& m);

}  // namespace shoal::bindings
