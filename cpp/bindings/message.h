// shoal.Message: confluent-kafka's Message, as a small CPython type (not a pybind11 class) so
// that a consumer can hand out millions of them a second.
#pragma once

#include <Python.h>

#include <cstdint>

namespace shoal::bindings {

struct MessageObject {
  PyObject_HEAD PyObject* topic;  // str or None
  PyObject* key;                  // bytes, None, or whatever set_key() was given
  PyObject* value;
  PyObject* headers;  // list of (str, bytes|None), or None
  PyObject* error;    // KafkaError or None
  int32_t partition;  // < 0: None
  int64_t offset;     // < 0: None
  int64_t timestamp;
  int32_t timestamp_type;  // TIMESTAMP_NOT_AVAILABLE / CREATE_TIME / LOG_APPEND_TIME
  int32_t leader_epoch;    // < 0: None
  double latency;          // < 0: None
};

extern PyTypeObject MessageType;

// Registers the type in `module` as "Message". Returns false with an exception set on failure.
bool register_message_type(PyObject* module);

// A new message; steals the references passed (nullptr means None).
PyObject* new_message(PyObject* topic, int32_t partition, int64_t offset, PyObject* key,
                      PyObject* value, PyObject* headers, PyObject* error, int64_t timestamp,
                      int32_t timestamp_type);

}  // namespace shoal::bindings
