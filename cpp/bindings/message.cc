#include "bindings/message.h"

#include <structmember.h>

#include <initializer_list>
#include <utility>

namespace shoal::bindings {

namespace {

PyObject* or_none(PyObject* o) {
  PyObject* r = o != nullptr ? o : Py_None;
  Py_INCREF(r);
  return r;
}

void message_dealloc(MessageObject* self) {
  Py_XDECREF(self->topic);
  Py_XDECREF(self->key);
  Py_XDECREF(self->value);
  Py_XDECREF(self->headers);
  Py_XDECREF(self->error);
  Py_TYPE(self)->tp_free(reinterpret_cast<PyObject*>(self));
}

PyObject* m_error(MessageObject* self, PyObject*) {
  return or_none(self->error);
}
PyObject* m_value(MessageObject* self, PyObject*) {
  return or_none(self->value);
}
PyObject* m_key(MessageObject* self, PyObject*) {
  return or_none(self->key);
}
PyObject* m_topic(MessageObject* self, PyObject*) {
  return or_none(self->topic);
}
PyObject* m_headers(MessageObject* self, PyObject*) {
  return or_none(self->headers);
}
PyObject* m_partition(MessageObject* self, PyObject*) {
  if (self->partition < 0) Py_RETURN_NONE;
  return PyLong_FromLong(self->partition);
}
PyObject* m_offset(MessageObject* self, PyObject*) {
  if (self->offset < 0) Py_RETURN_NONE;
  return PyLong_FromLongLong(self->offset);
}
PyObject* m_timestamp(MessageObject* self, PyObject*) {
  return Py_BuildValue("(iL)", self->timestamp_type,
                       static_cast<long long>(self->timestamp_type == 0 ? 0 : self->timestamp));
}
PyObject* m_latency(MessageObject* self, PyObject*) {
  if (self->latency < 0) Py_RETURN_NONE;
  return PyFloat_FromDouble(self->latency);
}
PyObject* m_leader_epoch(MessageObject* self, PyObject*) {
  if (self->leader_epoch < 0) Py_RETURN_NONE;
  return PyLong_FromLong(self->leader_epoch);
}

int replace(PyObject** slot, PyObject* v) {
  Py_XDECREF(*slot);
  *slot = v == Py_None ? nullptr : v;
  Py_XINCREF(*slot);
  return 0;
}

PyObject* m_set_value(MessageObject* self, PyObject* v) {
  replace(&self->value, v);
  Py_RETURN_NONE;
}
PyObject* m_set_key(MessageObject* self, PyObject* v) {
  replace(&self->key, v);
  Py_RETURN_NONE;
}
PyObject* m_set_headers(MessageObject* self, PyObject* v) {
  replace(&self->headers, v);
  Py_RETURN_NONE;
}
PyObject* m_set_topic(MessageObject* self, PyObject* v) {
  if (v != Py_None && !PyUnicode_Check(v)) {
    PyErr_SetString(PyExc_TypeError, "topic must be a str");
    return nullptr;
  }
  replace(&self->topic, v);
  Py_RETURN_NONE;
}
PyObject* m_set_error(MessageObject* self, PyObject* v) {
  replace(&self->error, v);
  Py_RETURN_NONE;
}

Py_ssize_t m_len(MessageObject* self) {
  if (self->value == nullptr) return 0;
  return PyObject_Size(self->value);
}

PyObject* m_reduce(MessageObject* self, PyObject*) {
  // Every item is a new reference ("N" steals it).
  PyObject* args = Py_BuildValue(
      "(NNNNNNNNNN)", or_none(self->topic), m_partition(self, nullptr), m_offset(self, nullptr),
      or_none(self->key), or_none(self->value), or_none(self->headers), or_none(self->error),
      m_timestamp(self, nullptr), m_latency(self, nullptr), m_leader_epoch(self, nullptr));
  if (args == nullptr) return nullptr;
  return Py_BuildValue("(ON)", Py_TYPE(self), args);
}

PyObject* m_richcompare(PyObject* a, PyObject* b, int op) {
  if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(b, &MessageType)) {
    Py_RETURN_NOTIMPLEMENTED;
  }
  auto* x = reinterpret_cast<MessageObject*>(a);
  auto* y = reinterpret_cast<MessageObject*>(b);
  auto same = [](PyObject* p, PyObject* q) -> int {
    if (p == q) return 1;
    if (p == nullptr || q == nullptr) return 0;
    return PyObject_RichCompareBool(p, q, Py_EQ);
  };
  int eq = x->partition == y->partition && x->offset == y->offset && x->timestamp == y->timestamp &&
           x->timestamp_type == y->timestamp_type;
  for (auto [p, q] : {std::pair{x->topic, y->topic},
                      {x->key, y->key},
                      {x->value, y->value},
                      {x->headers, y->headers},
                      {x->error, y->error}}) {
    if (!eq) break;
    int r = same(p, q);
    if (r < 0) return nullptr;
    eq = r;
  }
  if (op == Py_NE) eq = !eq;
  return PyBool_FromLong(eq);
}

int message_init(MessageObject* self, PyObject* args, PyObject* kwds) {
  static const char* kwlist[] = {"topic",   "partition",    "offset", "key",
                                 "value",   "headers",      "error",  "timestamp",
                                 "latency", "leader_epoch", nullptr};
  PyObject *topic = Py_None, *partition = Py_None, *offset = Py_None, *key = Py_None,
           *value = Py_None, *headers = Py_None, *error = Py_None, *timestamp = Py_None,
           *latency = Py_None, *leader_epoch = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOOOOOOOOO", const_cast<char**>(kwlist), &topic,
                                   &partition, &offset, &key, &value, &headers, &error, &timestamp,
                                   &latency, &leader_epoch)) {
    return -1;
  }
  if (topic != Py_None && !PyUnicode_Check(topic)) {
    PyErr_SetString(PyExc_TypeError, "topic must be a str or None");
    return -1;
  }
  replace(&self->topic, topic);
  replace(&self->key, key);
  replace(&self->value, value);
  replace(&self->headers, headers);
  replace(&self->error, error);
  self->partition = partition == Py_None ? -1 : static_cast<int32_t>(PyLong_AsLong(partition));
  self->offset = offset == Py_None ? -1001 : PyLong_AsLongLong(offset);
  self->timestamp_type = 0;
  self->timestamp = 0;
  if (timestamp != Py_None) {
    if (!PyTuple_Check(timestamp) || PyTuple_Size(timestamp) != 2) {
      PyErr_SetString(PyExc_TypeError, "timestamp must be a (type, timestamp) tuple");
      return -1;
    }
    self->timestamp_type = static_cast<int32_t>(PyLong_AsLong(PyTuple_GetItem(timestamp, 0)));
    self->timestamp = PyLong_AsLongLong(PyTuple_GetItem(timestamp, 1));
  }
  self->latency = latency == Py_None ? -1 : PyFloat_AsDouble(latency);
  self->leader_epoch =
      leader_epoch == Py_None ? -1 : static_cast<int32_t>(PyLong_AsLong(leader_epoch));
  return PyErr_Occurred() ? -1 : 0;
}

PyMethodDef message_methods[] = {
    {"error", reinterpret_cast<PyCFunction>(m_error), METH_NOARGS,
     "The message's KafkaError, or None for a message that carries data."},
    {"value", reinterpret_cast<PyCFunction>(m_value), METH_NOARGS, "The value (bytes or None)."},
    {"key", reinterpret_cast<PyCFunction>(m_key), METH_NOARGS, "The key (bytes or None)."},
    {"topic", reinterpret_cast<PyCFunction>(m_topic), METH_NOARGS, "The topic name."},
    {"partition", reinterpret_cast<PyCFunction>(m_partition), METH_NOARGS,
     "The partition, or None if not known."},
    {"offset", reinterpret_cast<PyCFunction>(m_offset), METH_NOARGS,
     "The offset, or None if not known."},
    {"timestamp", reinterpret_cast<PyCFunction>(m_timestamp), METH_NOARGS,
     "(timestamp type, milliseconds since the epoch); the type is TIMESTAMP_NOT_AVAILABLE, "
     "TIMESTAMP_CREATE_TIME or TIMESTAMP_LOG_APPEND_TIME."},
    {"headers", reinterpret_cast<PyCFunction>(m_headers), METH_NOARGS,
     "The headers as a list of (str, bytes) tuples, or None."},
    {"latency", reinterpret_cast<PyCFunction>(m_latency), METH_NOARGS,
     "Seconds from produce() to the delivery report, or None."},
    {"leader_epoch", reinterpret_cast<PyCFunction>(m_leader_epoch), METH_NOARGS,
     "The leader epoch of the record, or None."},
    {"set_value", reinterpret_cast<PyCFunction>(m_set_value), METH_O, "Replaces the value."},
    {"set_key", reinterpret_cast<PyCFunction>(m_set_key), METH_O, "Replaces the key."},
    {"set_headers", reinterpret_cast<PyCFunction>(m_set_headers), METH_O, "Replaces the headers."},
    {"set_topic", reinterpret_cast<PyCFunction>(m_set_topic), METH_O, "Replaces the topic."},
    {"set_error", reinterpret_cast<PyCFunction>(m_set_error), METH_O, "Replaces the error."},
    {"__reduce__", reinterpret_cast<PyCFunction>(m_reduce), METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PySequenceMethods message_sequence = {reinterpret_cast<lenfunc>(m_len)};

}  // namespace

PyTypeObject MessageType = [] {
  PyTypeObject t{PyVarObject_HEAD_INIT(nullptr, 0)};
  t.tp_name = "shoal.Message";
  t.tp_basicsize = sizeof(MessageObject);
  t.tp_dealloc = reinterpret_cast<destructor>(message_dealloc);
  t.tp_as_sequence = &message_sequence;
  t.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE;
  t.tp_doc =
      "A record read by a Consumer, or given to a delivery report callback: confluent-kafka's "
      "Message. Check error() first: an event such as _PARTITION_EOF is a Message with an error.";
  t.tp_richcompare = m_richcompare;
  t.tp_methods = message_methods;
  t.tp_init = reinterpret_cast<initproc>(message_init);
  t.tp_new = PyType_GenericNew;
  return t;
}();

bool register_message_type(PyObject* module) {
  if (PyType_Ready(&MessageType) < 0) return false;
  Py_INCREF(&MessageType);
  if (PyModule_AddObject(module, "Message", reinterpret_cast<PyObject*>(&MessageType)) < 0) {
    Py_DECREF(&MessageType);
    return false;
  }
  return true;
}

PyObject* new_message(PyObject* topic, int32_t partition, int64_t offset, PyObject* key,
                      PyObject* value, PyObject* headers, PyObject* error, int64_t timestamp,
                      int32_t timestamp_type) {
  auto* m = PyObject_New(MessageObject, &MessageType);
  if (m == nullptr) return nullptr;
  auto take = [](PyObject* o) -> PyObject* {
    if (o != Py_None) return o;
    Py_DECREF(o);
    return nullptr;
  };
  m->topic = topic != nullptr ? take(topic) : nullptr;
  m->key = key != nullptr ? take(key) : nullptr;
  m->value = value != nullptr ? take(value) : nullptr;
  m->headers = headers != nullptr ? take(headers) : nullptr;
  m->error = error != nullptr ? take(error) : nullptr;
  m->partition = partition;
  m->offset = offset;
  m->timestamp = timestamp;
  m->timestamp_type = timestamp_type;
  m->leader_epoch = -1;
  m->latency = -1;
  return reinterpret_cast<PyObject*>(m);
}

}  // namespace shoal::bindings
