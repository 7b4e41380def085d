// shoal.Producer: confluent-kafka's Producer over client::Producer. produce() is a raw
// vectorcall-style C function (METH_FASTCALL | METH_KEYWORDS): at a million calls a second the
// generic argument handling of pybind11 would cost more than the produce itself.
#include <pybind11/stl.h>

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "bindings/binary_column.h"
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
      // As confluent-kafka: the report's key and value are bytes, whatever was produced.
      if (!as_bytes(pr.key) || !as_bytes(pr.value)) throw py::error_already_set();
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

  // Replaces a str (by its UTF-8) or another bytes-like object (by a copy) with bytes.
  static bool as_bytes(py::object& o) {
    PyObject* p = o.ptr();
    if (p == Py_None || PyBytes_CheckExact(p)) return true;
    PyObject* b = PyUnicode_Check(p) ? PyUnicode_AsUTF8String(p) : PyBytes_FromObject(p);
    if (b == nullptr) return false;
    o = py::reinterpret_steal<py::object>(b);
    return true;
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

  // Keeps what the delivery report of a queued record needs. Called with the GIL held from
  // queueing to here, so serve() cannot see the report first.
  void remember(uint64_t opaque, py::handle cb, py::handle topic, py::object key, py::object value,
                py::object headers) {
    PendingReport pr;
    pr.callback = py::reinterpret_borrow<py::object>(cb);
    pr.topic = py::reinterpret_borrow<py::object>(topic);
    pr.key = std::move(key);
    pr.value = std::move(value);
    pr.headers = std::move(headers);
    pr.produced_at = now_s();
    pending_.emplace(opaque, std::move(pr));
  }

  // Shared so that a call running with the GIL released keeps the producer alive while
  // another thread closes it (its calls then fail with _DESTROY).
  std::shared_ptr<client::Producer> producer_;
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

// Records per Producer::produce_many() call: the producer's lock is taken once per chunk, and
// released between chunks so its sender can take sealed batches away.
constexpr size_t produce_chunk = 1024;

// produce_many() over records [0, n), asking for the topic's metadata once if it is not cached
// yet (as produce() does). `fill(begin, out)` writes records [begin, begin + out.size()) into
// `out`, a chunk reused from call to call. Returns how many were queued; `stop` says why the
// rest were not.
template <typename Fill>
size_t produce_chunks(client::Producer& p, const std::string& topic, int64_t timeout_ms, size_t n,
                      status& stop, Fill&& fill) {
  std::vector<client::Producer::ProduceRecord> chunk(std::min(n, produce_chunk));
  size_t done = 0;
  bool ensured = false;
  while (done < n) {
    std::span<client::Producer::ProduceRecord> out(chunk.data(), std::min(n - done, produce_chunk));
    fill(done, out);
    auto r = p.produce_many(topic, out);
    done += r.queued;
    if (r.stopped) continue;
    if (r.stopped.code() == errc::unknown_topic && !ensured) {
      ensured = true;
      auto st = p.ensure_topic(topic, timeout_ms);
      if (st) continue;
      stop = st;
      return done;
    }
    stop = r.stopped;
    return done;
  }
  return done;
}

std::string topic_arg(const py::object& topic) {
  if (!PyUnicode_Check(topic.ptr())) throw py::type_error("produce_batch() requires topic, a str");
  return topic.cast<std::string>();
}

// confluent-kafka's produce_batch(topic, messages) with messages a list of dicts.
py::object produce_dicts(PyProducer& self, const py::object& topic, const py::list& messages,
                         int32_t default_partition, py::handle batch_cb) {
  struct Parsed {
    Payload key, value;
    std::vector<storage::RecordHeader> headers;
    py::object headers_obj = py::none();
    py::handle cb;
  };
  const size_t n = messages.size();
  std::vector<Parsed> parsed(n);
  std::vector<client::Producer::ProduceRecord> recs(n);
  // Everything is checked before anything is queued, as confluent-kafka does.
  for (size_t i = 0; i < n; ++i) {
    PyObject* d = PyList_GET_ITEM(messages.ptr(), static_cast<Py_ssize_t>(i));
    if (!PyDict_Check(d)) {
      PyErr_Format(PyExc_TypeError, "Message at index %zu must be a dict", i);
      throw py::error_already_set();
    }
    Parsed& m = parsed[i];
    auto& r = recs[i];
    auto where = [i](const char* field) { return fmt::format("messages[{}]['{}']", i, field); };
    if (!m.value.set(PyDict_GetItemString(d, "value"), where("value").c_str()) ||
        !m.key.set(PyDict_GetItemString(d, "key"), where("key").c_str())) {
      throw py::error_already_set();
    }
    r.value = m.value.view;
    r.key = m.key.view;
    r.partition = default_partition;
    if (PyObject* o = PyDict_GetItemString(d, "partition"); o != nullptr && o != Py_None) {
      if (!PyLong_Check(o)) throw py::type_error(where("partition") + " must be an int");
      r.partition = static_cast<int32_t>(PyLong_AsLong(o));
      if (PyErr_Occurred()) throw py::error_already_set();
    }
    if (PyObject* o = PyDict_GetItemString(d, "timestamp"); o != nullptr && o != Py_None) {
      if (!PyLong_Check(o)) throw py::type_error(where("timestamp") + " must be an int (ms)");
      r.timestamp = PyLong_AsLongLong(o);
      if (PyErr_Occurred()) throw py::error_already_set();
    }
    if (!parse_headers(PyDict_GetItemString(d, "headers"), m.headers, m.headers_obj)) {
      throw py::error_already_set();
    }
    r.headers = m.headers;
    PyObject* cb = PyDict_GetItemString(d, "callback");
    if (cb == nullptr || cb == Py_None) cb = PyDict_GetItemString(d, "on_delivery");
    if (cb != nullptr && cb != Py_None && !PyCallable_Check(cb)) {
      throw py::type_error(where("callback") + " must be callable");
    }
    m.cb = cb != nullptr && cb != Py_None ? py::handle(cb) : batch_cb;
    if (!m.cb.is_none()) r.opaque = self.next_opaque_++;
  }
  std::string t = topic_arg(topic);
  client::Producer& p = self.producer();
  // Records that fail get an '_error' KafkaError; the others are queued. After a full queue
  // nothing more is tried, so the records that went in are a prefix of each partition's.
  std::vector<py::object> errors(n);
  size_t begin = 0;
  size_t good = 0;
  while (begin < n) {
    status stop;
    size_t done = produce_chunks(p, t, self.timeout_ms_, n - begin, stop,
                                 [&](size_t from, std::span<client::Producer::ProduceRecord> out) {
                                   std::copy_n(recs.begin() + static_cast<ptrdiff_t>(begin + from),
                                               out.size(), out.begin());
                                 });
    for (size_t i = begin; i < begin + done; ++i) {
      Parsed& m = parsed[i];
      if (recs[i].opaque != 0) {
        PyObject* d = PyList_GET_ITEM(messages.ptr(), static_cast<Py_ssize_t>(i));
        auto get = [d](const char* k) {
          PyObject* o = PyDict_GetItemString(d, k);
          return o != nullptr ? py::reinterpret_borrow<py::object>(o) : py::object(py::none());
        };
        self.remember(recs[i].opaque, m.cb, topic, get("key"), get("value"), m.headers_obj);
      }
    }
    good += done;
    begin += done;
    if (stop) break;
    if (stop.code() == errc::message_too_large || stop.code() == errc::unknown_partition) {
      errors[begin] = kafka_error(stop.err());  // this record only
      ++begin;
      continue;
    }
    // An unknown topic or a closed producer fails the whole call, as produce() would.
    if (stop.code() != errc::queue_full && good == 0) throw_kafka(stop.err());
    py::object e = kafka_error(stop.err());
    for (size_t i = begin; i < n; ++i) errors[i] = e;
    break;
  }
  for (size_t i = 0; i < n; ++i) {
    PyObject* d = PyList_GET_ITEM(messages.ptr(), static_cast<Py_ssize_t>(i));
    if (errors[i]) {
      if (PyDict_SetItemString(d, "_error", errors[i].ptr()) != 0) throw py::error_already_set();
    } else if (PyDict_GetItemString(d, "_error") != nullptr) {
      // Queued now: an '_error' from an earlier attempt no longer applies.
      if (PyDict_DelItemString(d, "_error") != 0) throw py::error_already_set();
    }
  }
  return py::int_(good);
}

// produce_batch(topic, values, keys=...): many records from columns of bytes.
py::object produce_columns(PyProducer& self, const py::object& topic, const py::object& values_obj,
                           const py::object& keys_obj, int32_t partition, int64_t timestamp,
                           py::handle cb) {
  BinaryColumn values, keys;
  if (!values.set(values_obj.ptr(), "values")) throw py::error_already_set();
  bool keyed = !keys_obj.is_none();
  if (keyed) {
    if (!keys.set(keys_obj.ptr(), "keys")) throw py::error_already_set();
    if (keys.size() != values.size()) {
      throw py::value_error(fmt::format("keys has {} items but values has {}: one key per value",
                                        keys.size(), values.size()));
    }
  }
  std::string t = topic_arg(topic);
  self.producer();  // raises if closed
  std::shared_ptr<client::Producer> keep = self.producer_;
  client::Producer& p = *keep;
  const size_t n = values.size();
  if (n == 0) return py::int_(0);
  // Every record must fit message.max.bytes before any is queued.
  size_t bound = client::Producer::record_bytes(std::nullopt, std::nullopt, {}) +
                 values.max_item_size() + (keyed ? keys.max_item_size() : 0);
  if (!p.check_size(bound)) {
    for (size_t i = 0; i < n; ++i) {
      auto st = p.check_size(
          client::Producer::record_bytes(keyed ? keys.at(i) : std::nullopt, values.at(i), {}));
      if (!st) {
        throw_kafka(make_error(st.code(), "values[{}]: {}", i, st.err().message));
      }
    }
  }
  bool want_report = !cb.is_none();
  uint64_t first_opaque = want_report ? self.next_opaque_ : 0;
  auto fill = [&](size_t begin, std::span<client::Producer::ProduceRecord> out) {
    for (size_t j = 0; j < out.size(); ++j) {
      auto& r = out[j];
      r.value = values.at(begin + j);
      r.key = keyed ? keys.at(begin + j) : std::nullopt;
      r.partition = partition;
      r.timestamp = timestamp;
      r.opaque = want_report ? first_opaque + begin + j : 0;
    }
  };
  status stop;
  size_t done = 0;
  if (!want_report && values.raw() && (!keyed || keys.raw())) {
    py::gil_scoped_release release;  // nothing below touches a Python object
    done = produce_chunks(p, t, self.timeout_ms_, n, stop, fill);
  } else {
    // With the GIL held throughout, serve() cannot take a report before it is remembered.
    done = produce_chunks(p, t, self.timeout_ms_, n, stop, fill);
  }
  if (want_report) {
    self.next_opaque_ += n;
    for (size_t i = 0; i < done; ++i) {
      py::object k = keyed ? py::reinterpret_steal<py::object>(keys.item_object(i)) : py::none();
      py::object v = py::reinterpret_steal<py::object>(values.item_object(i));
      if (!v || !k) throw py::error_already_set();
      self.remember(first_opaque + i, cb, topic, std::move(k), std::move(v), py::none());
    }
  }
  // A full queue stops the call: the count says where to resume. Anything else fails it.
  if (!stop && stop.code() != errc::queue_full) {
    if (done == 0) throw_kafka(stop.err());
  }
  return py::int_(done);
}

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
          .def(
              "produce_batch",
              [](PyProducer& self, const py::object& topic, const py::object& messages,
                 int32_t partition, const py::object& callback, const py::object& on_delivery,
                 const py::object& keys, const py::object& timestamp) -> py::object {
                py::handle cb = !callback.is_none()      ? callback
                                : !on_delivery.is_none() ? on_delivery
                                                         : self.default_dr_;
                if (!cb.is_none() && !PyCallable_Check(cb.ptr())) {
                  throw py::type_error("on_delivery must be callable");
                }
                PyObject* m = messages.ptr();
                if (PyList_Check(m) && PyList_GET_SIZE(m) > 0 &&
                    PyDict_Check(PyList_GET_ITEM(m, 0))) {
                  if (!keys.is_none() || !timestamp.is_none()) {
                    throw py::type_error(
                        "keys= and timestamp= go with a sequence of values; message dicts carry "
                        "their own 'key' and 'timestamp'");
                  }
                  return produce_dicts(self, topic, py::reinterpret_borrow<py::list>(m), partition,
                                       cb);
                }
                int64_t ts = 0;
                if (!timestamp.is_none()) {
                  if (!PyLong_Check(timestamp.ptr())) {
                    throw py::type_error("timestamp must be an int (milliseconds since the epoch)");
                  }
                  ts = timestamp.cast<int64_t>();
                }
                return produce_columns(self, topic, messages, keys, partition, ts, cb);
              },
              py::arg("topic"), py::arg("messages"), py::arg("partition") = -1,
              py::arg("callback") = py::none(), py::arg("on_delivery") = py::none(), py::kw_only(),
              py::arg("keys") = py::none(), py::arg("timestamp") = py::none(),
              R"doc(produce_batch(topic, messages, partition=-1, callback=None, on_delivery=None, *, keys=None, timestamp=None)

Queues many records at once; returns how many were queued. Two forms:

* confluent-kafka's: `messages` is a list of dicts with optional 'value', 'key',
  'partition', 'timestamp', 'headers' and 'callback' (alias 'on_delivery'). Every dict is
  checked first (TypeError, nothing queued). A record that cannot be queued gets an '_error'
  KafkaError in its dict (_MSG_SIZE_TOO_LARGE, _UNKNOWN_PARTITION, _QUEUE_FULL); after a
  _QUEUE_FULL no later record is tried, so the ones queued keep their order. Unlike
  confluent-kafka (librdkafka's batch call), 'timestamp' and 'headers' are honoured.
* the fast path: `messages` is a column of values: a list of bytes / str / None, a numpy array
  of dtype 'S' (items as numpy reads them, trailing NULs dropped) or object, a 2-D uint8 numpy
  array (one row per record), or a pyarrow binary / large_binary / string array or chunked
  array; `keys` likewise (or None) with one key per value. No Python object is made per record
  (none at all for numpy and pyarrow input, which are read with the GIL released) unless a
  delivery callback is set. Every record gets `partition` (-1: the partitioner) and
  `timestamp` (None: now). A record over message.max.bytes raises KafkaException before
  anything is queued. A full local queue (queue.buffering.max.messages / .kbytes) is not an
  exception: the call returns how many went in, always a prefix of `messages`, and the caller
  resumes from there after poll() has made room, e.g.

      i = 0
      while i < len(values):
          i += p.produce_batch(topic, values[i:])
          if i < len(values):
              p.poll(0.1)

Delivery reports: `callback` / `on_delivery` (or the producer's on_delivery) for every record,
from poll() and flush(), as for produce().)doc")
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
  m.def(
      "murmur2",
      [](const py::object& key, int32_t partition_count) {
        if (key.is_none()) throw py::type_error("murmur2() needs a key (bytes or str), not None");
        if (partition_count <= 0) {
          throw py::value_error(
              fmt::format("partition_count must be positive, not {}", partition_count));
        }
        Payload k;
        if (!k.set(key.ptr(), "key")) throw py::error_already_set();
        return client::murmur2_partition(*k.view, partition_count);
      },
      py::arg("key"), py::arg("partition_count"),
      "The partition of `key` (bytes, or str as UTF-8) among `partition_count` partitions by "
      "the Java client's rule, toPositive(murmur2(key)) % partition_count: where the default "
      "partitioner (murmur2_random) puts a keyed record, here and on a Kafka cluster.");
  PyObject* descr = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls.ptr()), &produce_def);
  if (descr == nullptr) throw py::error_already_set();
  cls.attr("produce") = py::reinterpret_steal<py::object>(descr);
}

}  // namespace shoal::bindings
