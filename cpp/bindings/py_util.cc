#include "bindings/py_util.h"

#include <set>

namespace shoal::bindings {

py::object kafka_error(errc code, const std::string& message) {
  static auto* make = leaked(py::module_::import("shoal.error").attr("_error_for"));
  return (*make)(static_cast<int>(code),
                 message.empty() ? py::none() : py::object(py::str(message)));
}

PyObject* set_python_error(const error& e) {
  if (e.code == errc::queue_full) {
    PyErr_SetString(PyExc_BufferError, e.message.c_str());
    return nullptr;
  }
  static auto* exc = leaked(py::module_::import("shoal.error").attr("KafkaException"));
  py::object err = kafka_error(e);
  PyErr_SetObject(exc->ptr(), err.ptr());
  return nullptr;
}

void throw_kafka(const error& e) {
  set_python_error(e);
  throw py::error_already_set();
}

bool interruptible_wait(int64_t timeout_ms, const std::function<bool(int64_t)>& step) {
  auto start = std::chrono::steady_clock::now();
  while (true) {
    int64_t slice = 100;
    if (timeout_ms >= 0) {
      int64_t elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
      slice = std::min<int64_t>(slice, std::max<int64_t>(timeout_ms - elapsed, 0));
    }
    bool done;
    {
      py::gil_scoped_release release;
      done = step(slice);
    }
    if (done) return true;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (timeout_ms >= 0 &&
        std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(timeout_ms)) {
      return false;
    }
  }
}

int64_t timeout_to_ms(const py::object& timeout, double default_s) {
  double s = default_s;
  if (!timeout.is_none()) {
    if (!PyFloat_Check(timeout.ptr()) && !PyLong_Check(timeout.ptr())) {
      throw py::type_error("timeout must be a number of seconds or None");
    }
    s = timeout.cast<double>();
  }
  if (s < 0) return -1;
  return static_cast<int64_t>(s * 1000.0 + 0.5);
}

std::map<std::string, std::string> config_strings(const py::dict& conf,
                                                  std::map<std::string, py::object>* callbacks) {
  static const std::set<std::string> python_keys = {"on_delivery", "dr_cb",       "dr_msg_cb",
                                                    "error_cb",    "throttle_cb", "stats_cb",
                                                    "logger",      "on_commit",   "oauth_cb"};
  std::map<std::string, std::string> out;
  for (auto item : conf) {
    if (!py::isinstance<py::str>(item.first)) {
      throw py::type_error("configuration keys must be strings");
    }
    std::string key = item.first.cast<std::string>();
    py::handle v = item.second;
    if (python_keys.count(key)) {
      if (callbacks != nullptr) (*callbacks)[key] = py::reinterpret_borrow<py::object>(v);
      continue;
    }
    if (py::isinstance<py::bool_>(v)) {
      out[key] = v.cast<bool>() ? "true" : "false";
    } else if (py::isinstance<py::str>(v)) {
      out[key] = v.cast<std::string>();
    } else if (PyLong_Check(v.ptr()) || PyFloat_Check(v.ptr())) {
      out[key] = py::str(v).cast<std::string>();
    } else if (v.is_none()) {
      continue;
    } else {
      throw py::type_error("configuration property \"" + key +
                           "\" must be a string, number or boolean");
    }
  }
  return out;
}

}  // namespace shoal::bindings
