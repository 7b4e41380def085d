// shoal.Producer: confluent-kafka's Producer over client::Producer. produce() is a raw
// vectorcall-style C function (METH_FASTCALL | METH_KEYWORDS): at a million calls a second the
// generic argument handling of pybind11 would cost more than the produce itself.
#include <pybind11/stl.h>

#include <deque>
#include <unordered_map>

#include "bindings/bindings.h"
#include "bindings/message.h"
#include "bindings/metadata_util.h"
#include "bindings/py_util.h"
#include "client/producer.h"

namespace py = pybind11;

namespace shoal::bindings {

namespace {

struct PendingReport {
  py::object callback;
  py::object topic, key, value, headers;
  double produced_at;
};

class PyProducer {
 public:
  PyProducer(const py::dict& conf, const py::kwargs& kwargs) {
    py::dict merged;
    for (auto item : conf) merged[item.first] = item.second;
    for (auto item : kwargs) merged[item.first] = item.second;
    std::map<std::string, py::object> callbacks;
    auto props = config_strings(merged, &callbacks);
    for (const char* k : {"on_delivery", "dr_cb", "dr_msg_cb"}) {
      if (callbacks.count(k)) default_dr_ = callbacks[k];
    }
    if (callbacks.count("error_cb")) error_cb_ = callbacks["error_cb"];
    auto config = client::parse_client_config(props, client::client_kind::producer);
    if (!config) throw_kafka(config.err());
    timeout_ms_ = config->socket_timeout_ms;
    result<std::unique_ptr<client::Producer>> p = make_error(errc::fail, "");
    {
      py::gil_scoped_release release;
      p = client::Producer::create(*config);
    }
    if (!p) throw_kafka(p.err());
    producer_ = std::move(p).value();
  }
  ~PyProducer() {
    if (producer_) {
      py::gil_scoped_release release;
      producer_->close();
    }
  }

  client::Producer& producer() {
    if (!producer_) throw_kafka(make_error(errc::destroy, "the producer is closed"));
    return *producer_;
  }

  // Serves delivery reports; returns how many callbacks ran.
  int serve(int64_t timeout_ms) {
    int served = 0;
    bool waited = false;
    while (true) {
      if (backlog_.empty()) {
        std::vector<client::DeliveryReport> got;
        producer().take_reports(got, 1024);
        for (auto& r : got) backlog_.push_back(std::move(r));
      }
      if (backlog_.empty()) {
        if (served > 0 || waited || timeout_ms == 0) return served;
        waited = true;
        client::Producer* p = &producer();
        interruptible_wait(timeout_ms, [p](int64_t slice) {
          p->wait_for_reports(slice);
          return true;  // one wait, then look again
        });
        continue;
      }
      client::DeliveryReport r = std::move(backlog_.front());
      backlog_.pop_front();
      auto it = pending_.find(r.opaque);
      if (it == pending_.end()) continue;
      PendingReport pr = std::move(it->second);
      pending_.erase(it);
      ++served;
      if (pr.callback.is_none()) continue;
      py::object err = r.error == errc::none ? py::none() : kafka_error(r.error, r.message);
      PyObject* msg =
          new_message(pr.topic.release().ptr(), r.partition, r.offset, pr.key.release().ptr(),
                      pr.value.release().ptr(), pr.headers.release().ptr(), err.inc_ref().ptr(),
                      r.timestamp, r.timestamp_type);
      if (msg == nullptr) throw py::error_already_set();
      reinterpret_cast<MessageObject*>(msg)->latency = now_s() - pr.produced_at;
      py::object m = py::reinterpret_steal<py::object>(msg);
      pr.callback(err, m);  // an exception here reaches the caller of poll()/flush()
    }
  }

  static double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  size_t len() { return producer_ ? producer_->outstanding() + backlog_.size() : 0; }

  int flush(int64_t timeout_ms) {
    producer().flush_now();
    auto start = std::chrono::steady_clock::now();
    while (true) {
      serve(0);
      if (len() == 0) return 0;
      int64_t left = -1;
      if (timeout_ms >= 0) {
        left = timeout_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count();
        if (left <= 0) return static_cast<int>(len());
      }
      producer().flush_now();
      serve(std::min<int64_t>(left < 0 ? 100 : left, 100));
      if (len() == 0) return 0;
    }
  }

  void close_producer() {
    if (!producer_) return;
    {
      py::gil_scoped_release release;
      producer_->close();
    }
    producer_.reset();
  }

  std::unique_ptr<client::Producer> producer_;
  py::object default_dr_ = py::none();
  py::object error_cb_ = py::none();
  std::unordered_map<uint64_t, PendingReport> pending_;
  std::deque<client::DeliveryReport> backlog_;
  uint64_t next_opaque_ = 1;
  int64_t timeout_ms_ = 60'000;
};

// Bytes of a key or value: bytes, str (UTF-8), any buffer, or None.
struct Payload {
  std::optional<storage::bytes_view> view;
  Py_buffer buffer{};
  bool has_buffer = false;
  ~Payload() {
    if (has_buffer) PyBuffer_Release(&buffer);
  }
  bool set(PyObject* o, const char* what) {
    if (o == nullptr || o == Py_None) return true;
    if (PyBytes_Check(o)) {
      view = storage::bytes_view(reinterpret_cast<const uint8_t*>(PyBytes_AS_STRING(o)),
                                 static_cast<size_t>(PyBytes_GET_SIZE(o)));
      return true;
    }
    if (PyUnicode_Check(o)) {
      Py_ssize_t n = 0;
      const char* s = PyUnicode_AsUTF8AndSize(o, &n);
      if (s == nullptr) return false;
      view = storage::bytes_view(reinterpret_cast<const uint8_t*>(s), static_cast<size_t>(n));
      return true;
    }
    if (PyObject_CheckBuffer(o) && PyObject_GetBuffer(o, &buffer, PyBUF_SIMPLE) == 0) {
      has_buffer = true;
      view = storage::bytes_view(static_cast<const uint8_t*>(buffer.buf),
                                 static_cast<size_t>(buffer.len));
      return true;
    }
    PyErr_Format(PyExc_TypeError, "%s must be bytes, str or None, not %s", what,
                 Py_TYPE(o)->tp_name);
    return false;
  }
};

// Headers: a list of (str, value) pairs or a dict; values bytes, str or None.
bool parse_headers(PyObject* o, std::vector<storage::RecordHeader>& out, py::object& normalized) {
  if (o == nullptr || o == Py_None) return true;
  py::list list;
  auto add = [&](PyObject* k, PyObject* v) -> bool {
    if (!PyUnicode_Check(k)) {
      PyErr_SetString(PyExc_TypeError, "header keys must be str");
      return false;
    }
    storage::RecordHeader h;
    h.key = PyUnicode_AsUTF8(k);
    Payload p;
    if (!p.set(v, "a header value")) return false;
    if (p.view) h.value = storage::bytes(p.view->begin(), p.view->end());
    out.push_back(std::move(h));
    py::object value =
        p.view
            ? py::object(py::bytes(reinterpret_cast<const char*>(p.view->data()), p.view->size()))
            : py::object(py::none());
    list.append(py::make_tuple(py::reinterpret_borrow<py::str>(k), value));
    return true;
  };
  if (PyDict_Check(o)) {
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(o, &pos, &k, &v)) {
      if (!add(k, v)) return false;
    }
  } else if (PyList_Check(o) || PyTuple_Check(o)) {
    Py_ssize_t n = PySequence_Size(o);
    for (Py_ssize_t i = 0; i < n; ++i) {
      PyObject* item = PySequence_Fast_GET_ITEM(o, i);
      if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
        PyErr_SetString(PyExc_TypeError, "headers must be a list of (key, value) tuples or a dict");
        return false;
      }
      if (!add(PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1))) return false;
    }
  } else {
    PyErr_SetString(PyExc_TypeError, "headers must be a list of (key, value) tuples or a dict");
    return false;
  }
  normalized = std::move(list);
  return true;
}

PyObject* produce_impl(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static const char* names[] = {"topic",       "value",     "key",    "partition",
                                "on_delivery", "timestamp", "headers"};
  PyObject* a[7] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  if (nargs > 7) {
    PyErr_SetString(PyExc_TypeError, "produce() takes at most 7 positional arguments");
    return nullptr;
  }
  for (Py_ssize_t i = 0; i < nargs; ++i) a[i] = args[i];
  if (kwnames != nullptr) {
    Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t j = 0; j < nk; ++j) {
      PyObject* name = PyTuple_GET_ITEM(kwnames, j);
      const char* s = PyUnicode_AsUTF8(name);
      int idx = -1;
      for (int k = 0; k < 7; ++k) {
        if (std::strcmp(s, names[k]) == 0) idx = k;
      }
      if (idx < 0 && std::strcmp(s, "callback") == 0) idx = 4;
      if (idx < 0) {
        PyErr_Format(PyExc_TypeError, "produce() got an unexpected keyword argument '%s'", s);
        return nullptr;
      }
      if (a[idx] != nullptr) {
        PyErr_Format(PyExc_TypeError, "produce() got multiple values for argument '%s'", s);
        return nullptr;
      }
      a[idx] = args[nargs + j];
    }
  }
  PyObject* topic = a[0];
  if (topic == nullptr || !PyUnicode_Check(topic)) {
    PyErr_SetString(PyExc_TypeError, "produce() requires topic, a str");
    return nullptr;
  }
  Py_ssize_t topic_len = 0;
  const char* topic_s = PyUnicode_AsUTF8AndSize(topic, &topic_len);
  if (topic_s == nullptr) return nullptr;
  int32_t partition = -1;
  if (a[3] != nullptr && a[3] != Py_None) {
    if (!PyLong_Check(a[3])) {
      PyErr_SetString(PyExc_TypeError, "partition must be an int");
      return nullptr;
    }
    long v = PyLong_AsLong(a[3]);
    if (v == -1 && PyErr_Occurred()) return nullptr;
    partition = static_cast<int32_t>(v);
  }
  int64_t timestamp = 0;
  if (a[5] != nullptr && a[5] != Py_None) {
    if (!PyLong_Check(a[5])) {
      PyErr_SetString(PyExc_TypeError, "timestamp must be an int (milliseconds since the epoch)");
      return nullptr;
    }
    timestamp = PyLong_AsLongLong(a[5]);
    if (timestamp == -1 && PyErr_Occurred()) return nullptr;
  }
  PyObject* cb = a[4];
  if (cb != nullptr && cb != Py_None && !PyCallable_Check(cb)) {
    PyErr_SetString(PyExc_TypeError, "on_delivery must be callable");
    return nullptr;
  }
  Payload value, key;
  if (!value.set(a[1], "value") || !key.set(a[2], "key")) return nullptr;
  std::vector<storage::RecordHeader> headers;
  py::object headers_obj = py::none();
  if (!parse_headers(a[6], headers, headers_obj)) return nullptr;

  auto* self_p = py::handle(self).cast<PyProducer*>();
  if (!self_p->producer_) {
    return set_python_error(make_error(errc::destroy, "the producer is closed"));
  }
  bool want_report = (cb != nullptr && cb != Py_None) || !self_p->default_dr_.is_none();
  uint64_t opaque = want_report ? self_p->next_opaque_++ : 0;
  std::string topic_str(topic_s, static_cast<size_t>(topic_len));
  auto st = self_p->producer_->produce(topic_str, partition, key.view, value.view, timestamp,
                                       headers, opaque);
  if (!st && st.code() == errc::unknown_topic) {
    status ensured;
    {
      py::gil_scoped_release release;
      ensured = self_p->producer_->ensure_topic(topic_str, self_p->timeout_ms_);
    }
    if (!ensured) return set_python_error(ensured.err());
    st = self_p->producer_->produce(topic_str, partition, key.view, value.view, timestamp, headers,
                                    opaque);
  }
  if (!st) return set_python_error(st.err());
  if (want_report) {
    PendingReport pr;
    pr.callback = py::reinterpret_borrow<py::object>(
        cb != nullptr && cb != Py_None ? cb : self_p->default_dr_.ptr());
    pr.topic = py::reinterpret_borrow<py::object>(topic);
    pr.key = a[2] != nullptr ? py::reinterpret_borrow<py::object>(a[2]) : py::none();
    pr.value = a[1] != nullptr ? py::reinterpret_borrow<py::object>(a[1]) : py::none();
    pr.headers = headers_obj;
    pr.produced_at = PyProducer::now_s();
    self_p->pending_.emplace(opaque, std::move(pr));
  }
  Py_RETURN_NONE;
}

PyMethodDef produce_def = {
    "produce", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(produce_impl)),
    METH_FASTCALL | METH_KEYWORDS,
    "produce(topic, value=None, key=None, partition=-1, on_delivery=None, timestamp=0, "
    "headers=None)\n\nQueues a record for delivery. Raises BufferError when the local queue is "
    "full, KafkaException on bad input or an unknown topic. Delivery reports come from poll() "
    "and flush()."};

}  // namespace

void register_producer(py::module_& m) {
  auto cls =
      py::class_<PyProducer>(m, "Producer", py::dynamic_attr(), R"doc(
A Kafka producer with confluent-kafka-python's API: Producer(conf) with librdkafka's
configuration names; bootstrap.servers is "shm://NAME".)doc")
          .def(py::init<const py::dict&, const py::kwargs&>(), py::arg("conf") = py::dict())
          .def(
              "poll",
              [](PyProducer& p, py::object timeout) { return p.serve(timeout_to_ms(timeout)); },
              py::arg("timeout") = py::none(),
              "Serves delivery reports (calling their callbacks); waits up to timeout seconds for "
              "the first. Returns how many were served.")
          .def(
              "flush",
              [](PyProducer& p, py::object timeout) { return p.flush(timeout_to_ms(timeout)); },
              py::arg("timeout") = py::none(),
              "Waits until every queued record is delivered (or timeout seconds pass), serving "
              "delivery reports. Returns the number of records still waiting (0: all delivered).")
          .def("__len__", &PyProducer::len)
          .def(
              "purge",
              [](PyProducer& p, bool in_queue, bool in_flight, bool blocking) {
                p.producer().purge(in_queue, in_flight);
              },
              py::arg("in_queue") = true, py::arg("in_flight") = true, py::arg("blocking") = true,
              "Fails queued (and in-flight) records with _PURGE_QUEUE / _PURGE_INFLIGHT; their "
              "reports come from the next poll() or flush().")
          .def(
              "list_topics",
              [](PyProducer& p, py::object topic, py::object timeout) {
                return list_topics(*p.producer().cluster(), topic, timeout_to_ms(timeout, 60));
              },
              py::arg("topic") = py::none(), py::arg("timeout") = -1,
              "Cluster metadata (ClusterMetadata): brokers, topics, partitions with leaders, "
              "replicas and in-sync replicas.")
          .def(
              "close",
              [](PyProducer& p, py::object timeout) {
                int left = p.producer_ ? p.flush(timeout_to_ms(timeout, 30)) : 0;
                p.close_producer();
                return left;
              },
              py::arg("timeout") = py::none(),
              "Flushes (up to timeout seconds), then releases the producer. Returns the records "
              "left undelivered.")
          .def("__enter__", [](py::object self) { return self; })
          .def("__exit__", [](PyProducer& p, py::args) {
            if (p.producer_) p.flush(-1);
            p.close_producer();
            return false;
          });
  PyObject* descr = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls.ptr()), &produce_def);
  if (descr == nullptr) throw py::error_already_set();
  cls.attr("produce") = py::reinterpret_steal<py::object>(descr);
}

}  // namespace shoal::bindings
