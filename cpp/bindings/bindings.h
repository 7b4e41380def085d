// One register_<area>() per area of the core; module.cc calls them all.
#pragma once

#include <pybind11/pybind11.h>

namespace shoal::bindings {

void register_admin(pybind11::module_& m);
void register_config(pybind11::module_& m);
void register_consumer(pybind11::module_& m);
void register_errors(pybind11::module_& m);
void register_perf(pybind11::module_& m);
void register_producer(pybind11::module_& m);
void register_storage(pybind11::module_& m);

}  // namespace shoal::bindings
