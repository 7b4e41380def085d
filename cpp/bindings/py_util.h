// What every binding shares: errors to Python exceptions (the one place that mapping lives),
// GIL-free waits that Ctrl+C interrupts within 100 ms, and configuration dicts.
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "common/result.h"

namespace shoal::bindings {

namespace py = pybind11;

// Keeps a Python object for the life of the process and never releases it: a function-local
// `static py::object` would be destroyed by a C++ exit handler after the interpreter is gone,
// aborting the process at exit when it drops the last reference.
inline py::object* leaked(py::object o) {
  return new py::object(std::move(o));
}

// A KafkaError (shoal.error) for a code, with Kafka's retriable flag.
py::object kafka_error(errc code, const std::string& message);
inline py::object kafka_error(const error& e) {
  return kafka_error(e.code, e.message);
}

// Sets the Python exception for `e`: BufferError for _QUEUE_FULL (as confluent-kafka),
// KafkaException(KafkaError) otherwise. Returns nullptr for C-API callers.
PyObject* set_python_error(const error& e);
// Throws it as a pybind11 error_already_set.
[[noreturn]] void throw_kafka(const error& e);

// Waits with the GIL released in slices of at most 100 ms, checking for signals between them,
// until `ready()` (called with the GIL released) is true or timeout_ms passes (< 0: forever).
// Returns false on timeout; throws error_already_set if a signal handler raised (Ctrl+C).
bool interruptible_wait(int64_t timeout_ms, const std::function<bool(int64_t slice_ms)>& step);

// Seconds (confluent-kafka's float timeouts, None or < 0: forever) to milliseconds (-1: forever).
int64_t timeout_to_ms(const py::object& timeout, double default_s = -1);

// A configuration dict (plus keyword arguments) as strings, leaving out the keys the Python
// layer handles itself (callbacks), which go to `callbacks`.
std::map<std::string, std::string> config_strings(const py::dict& conf,
                                                  std::map<std::string, py::object>* callbacks);

}  // namespace shoal::bindings
