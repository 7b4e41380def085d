// shoal.Consumer: confluent-kafka's Consumer over client::Consumer. Messages are built in C++
// (message.cc) straight from the fetched bytes.
#include <pybind11/stl.h>

#include <set>
#include <unordered_map>

#include "bindings/bindings.h"
#include "bindings/message.h"
#include "bindings/metadata_util.h"
#include "bindings/py_util.h"
#include "client/consumer.h"
#include "client/group_member.h"

namespace py = pybind11;

namespace shoal::bindings {

namespace {

py::object make_tp_public(const std::string& topic, int32_t partition) {
  static auto* cls = leaked(py::module_::import("shoal._model").attr("TopicPartition"));
  return (*cls)(topic, partition, -1001);
}

class PyConsumer {
 public:
  PyConsumer(const py::dict& conf, const py::kwargs& kwargs) {
    py::dict merged;
    for (auto item : conf) merged[item.first] = item.second;
    for (auto item : kwargs) merged[item.first] = item.second;
    std::map<std::string, py::object> callbacks;
    auto props = config_strings(merged, &callbacks);
    if (callbacks.count("error_cb")) error_cb_ = callbacks["error_cb"];
    auto config = client::parse_client_config(props, client::client_kind::consumer);
    if (!config) throw_kafka(config.err());
    timeout_ms_ = config->socket_timeout_ms;
    result<std::unique_ptr<client::Consumer>> c = make_error(errc::fail, "");
    {
      py::gil_scoped_release release;
      c = client::Consumer::create(*config);
    }
    if (!c) throw_kafka(c.err());
    consumer_ = std::move(c).value();
  }
  ~PyConsumer() { close(); }

  client::Consumer& consumer() {
    if (!consumer_) throw py::value_error("Consumer closed");
    return *consumer_;
  }

  void close() {
    if (!consumer_) return;
    if (client::GroupMember* g = consumer_->group(); g != nullptr && self_ref_ != nullptr) {
      // As librdkafka: the application's on_revoke sees the assignment go before the member
      // commits (enable.auto.commit) and leaves.
      auto parts = g->assignment();
      if (!parts.empty() && !on_revoke_.is_none() && Py_IsInitialized()) {
        py::list l;
        for (const auto& tp : parts) l.append(make_tp_public(tp.topic, tp.partition));
        try {
          on_revoke_(py::reinterpret_borrow<py::object>(self_ref_), l);
        } catch (py::error_already_set& e) {
          e.discard_as_unraisable("on_revoke during close()");
        }
      }
    }
    {
      py::gil_scoped_release release;
      consumer_->close();
    }
    consumer_.reset();
    topic_names_.clear();
  }

  PyObject* topic_object(const std::shared_ptr<const std::string>& t) {
    auto it = topic_names_.find(t.get());
    if (it == topic_names_.end()) {
      it = topic_names_.emplace(t.get(), std::make_pair(t, py::str(*t))).first;
    }
    PyObject* s = it->second.second.ptr();
    Py_INCREF(s);
    return s;
  }

  PyObject* to_message(const client::ConsumedRecord& r) {
    PyObject* key = r.key_null
                        ? nullptr
                        : PyBytes_FromStringAndSize(reinterpret_cast<const char*>(r.key.data()),
                                                    static_cast<Py_ssize_t>(r.key.size()));
    PyObject* value = r.value_null
                          ? nullptr
                          : PyBytes_FromStringAndSize(reinterpret_cast<const char*>(r.value.data()),
                                                      static_cast<Py_ssize_t>(r.value.size()));
    PyObject* headers = nullptr;
    if (r.header_count > 0) {
      storage::RecordView view;
      view.header_count = r.header_count;
      view.headers_data = r.headers;
      auto hs = view.headers();
      headers = PyList_New(static_cast<Py_ssize_t>(hs.size()));
      for (size_t i = 0; i < hs.size(); ++i) {
        PyObject* k = PyUnicode_DecodeUTF8(hs[i].key.data(),
                                           static_cast<Py_ssize_t>(hs[i].key.size()), "replace");
        PyObject* v;
        if (hs[i].value_null) {
          v = Py_None;
          Py_INCREF(v);
        } else {
          v = PyBytes_FromStringAndSize(reinterpret_cast<const char*>(hs[i].value.data()),
                                        static_cast<Py_ssize_t>(hs[i].value.size()));
        }
        PyList_SET_ITEM(headers, static_cast<Py_ssize_t>(i), PyTuple_Pack(2, k, v));
        Py_DECREF(k);
        Py_DECREF(v);
      }
    }
    PyObject* error = nullptr;
    if (r.error != errc::none) error = kafka_error(r.error, r.error_message).release().ptr();
    return new_message(r.topic ? topic_object(r.topic) : nullptr, r.partition, r.offset, key, value,
                       headers, error, r.timestamp, r.timestamp_type);
  }

  // Up to `max` messages, waiting up to timeout_ms for `max` of them (for the first when
  // `first_only`). Rebalance callbacks run in between, on this thread, as in confluent-kafka.
  std::vector<client::ConsumedRecord> take(size_t max, int64_t timeout_ms, bool first_only) {
    std::vector<client::ConsumedRecord> out;
    client::Consumer* c = &consumer();
    serve_rebalance();  // notes the poll first: that may find max.poll.interval.ms overstayed
    if (c->group() != nullptr) {
      if (auto why = c->group()->take_poll_exceeded_error()) {
        client::ConsumedRecord r;
        r.error = errc::max_poll_exceeded;
        r.error_message = std::move(*why);
        out.push_back(std::move(r));
      }
    }
    interruptible_wait(timeout_ms, [&](int64_t slice) {
      c->consume(out, max - out.size(), std::min<int64_t>(slice, c->group() ? 20 : slice));
      return out.size() >= max || (first_only && !out.empty()) ||
             (c->group() && c->group()->has_event());
    });
    std::set<std::pair<std::string, int32_t>> changed;
    if (serve_rebalance(&changed) && !out.empty()) {
      // Records taken before a revocation must not reach the application after its
      // on_revoke ran: the partition's new owner may already be reading them.
      std::vector<client::ConsumedRecord> kept;
      for (auto& r : out) {
        if (!r.topic || !changed.count({*r.topic, r.partition})) kept.push_back(std::move(r));
      }
      out = std::move(kept);
    }
    return out;
  }

  // Runs on_assign / on_revoke / on_lost for pending rebalance events and applies them
  // (unless the callback did: assign(), unassign(), incremental_*()).
  // Returns whether an event was served; `changed` gets the partitions it touched.
  bool serve_rebalance(std::set<std::pair<std::string, int32_t>>* changed = nullptr) {
    client::GroupMember* g = consumer().group();
    if (g == nullptr) return false;
    g->note_poll();
    bool served = false;
    while (auto ev = g->take_event()) {
      served = true;
      if (changed != nullptr) {
        for (const auto& tp : ev->partitions) changed->insert({tp.topic, tp.partition});
        if (!ev->incremental) {
          for (const auto& t : consumer().assignment()) changed->insert({t.topic, t.partition});
        }
      }
      py::list parts;
      std::vector<client::TopicPartitionOffset> tpos;
      for (const auto& tp : ev->partitions) {
        parts.append(make_tp_public(tp.topic, tp.partition));
        tpos.push_back({tp.topic, tp.partition, client::offset_invalid});
      }
      py::object cb = ev->what == client::RebalanceEvent::kind::assign   ? on_assign_
                      : ev->what == client::RebalanceEvent::kind::revoke ? on_revoke_
                      : !on_lost_.is_none()                              ? on_lost_
                                                                         : on_revoke_;
      applied_in_callback_ = false;
      py::object self = self_ref_ ? py::reinterpret_borrow<py::object>(self_ref_) : py::none();
      std::optional<py::error_already_set> raised;
      if (!cb.is_none()) {
        try {
          cb(self, parts);
        } catch (py::error_already_set& e) {
          raised = std::move(e);
        }
      }
      if (!applied_in_callback_) {
        if (ev->what == client::RebalanceEvent::kind::assign) {
          auto st = ev->incremental ? consumer().incremental_assign(tpos) : consumer().assign(tpos);
          (void)st;
        } else if (ev->incremental) {
          consumer().incremental_unassign(tpos);
        } else {
          consumer().unassign();
        }
      }
      g->event_applied(ev->seq);
      if (raised) throw std::move(*raised);
    }
    return served;
  }

  std::unique_ptr<client::Consumer> consumer_;
  py::object error_cb_ = py::none();
  py::object on_assign_ = py::none();
  py::object on_revoke_ = py::none();
  py::object on_lost_ = py::none();
  PyObject* self_ref_ = nullptr;  // the Python object, for the callbacks' first argument
  bool applied_in_callback_ = false;
  int64_t timeout_ms_ = 60'000;
  std::unordered_map<const std::string*, std::pair<std::shared_ptr<const std::string>, py::str>>
      topic_names_;
};

std::vector<client::TopicPartitionOffset> to_tpos(const py::list& partitions);
py::object make_tp(const std::string& topic, int32_t partition, int64_t offset);

std::vector<client::TopicPartitionOffset> to_tpos(const py::list& partitions) {
  std::vector<client::TopicPartitionOffset> out;
  for (auto item : partitions) {
    py::object tp = py::reinterpret_borrow<py::object>(item);
    if (!py::hasattr(tp, "topic") || !py::hasattr(tp, "partition")) {
      throw py::type_error("expected a list of TopicPartition");
    }
    out.push_back({tp.attr("topic").cast<std::string>(), tp.attr("partition").cast<int32_t>(),
                   tp.attr("offset").cast<int64_t>()});
  }
  return out;
}

py::object make_tp(const std::string& topic, int32_t partition, int64_t offset) {
  static auto* cls = leaked(py::module_::import("shoal._model").attr("TopicPartition"));
  return (*cls)(topic, partition, offset);
}

}  // namespace

void register_consumer(py::module_& m) {
  py::class_<PyConsumer>(m, "Consumer", py::dynamic_attr(), R"doc(
A Kafka consumer with confluent-kafka-python's API: Consumer(conf) with librdkafka's
configuration names; bootstrap.servers is "shm://NAME".)doc")
      .def(py::init<const py::dict&, const py::kwargs&>(), py::arg("conf") = py::dict())
      .def(
          "assign",
          [](PyConsumer& c, py::list partitions) {
            c.applied_in_callback_ = true;
            auto st = c.consumer().assign(to_tpos(partitions));
            if (!st) throw_kafka(st.err());
          },
          py::arg("partitions"),
          "Sets the partitions to consume, each from its TopicPartition offset (OFFSET_BEGINNING, "
          "OFFSET_END, an offset, or OFFSET_INVALID/OFFSET_STORED: auto.offset.reset decides).")
      .def("unassign",
           [](PyConsumer& c) {
             c.applied_in_callback_ = true;
             c.consumer().unassign();
           })
      .def(
          "incremental_assign",
          [](PyConsumer& c, py::list partitions) {
            c.applied_in_callback_ = true;
            auto st = c.consumer().incremental_assign(to_tpos(partitions));
            if (!st) throw_kafka(st.err());
          },
          py::arg("partitions"), "Adds partitions to the current assignment.")
      .def(
          "incremental_unassign",
          [](PyConsumer& c, py::list partitions) {
            c.applied_in_callback_ = true;
            c.consumer().incremental_unassign(to_tpos(partitions));
          },
          py::arg("partitions"), "Removes partitions from the current assignment.")
      .def(
          "subscribe",
          [](py::object self, py::list topics, py::object on_assign, py::object on_revoke,
             py::object on_lost) {
            PyConsumer& c = self.cast<PyConsumer&>();
            std::vector<std::string> names;
            for (auto t : topics) names.push_back(t.cast<std::string>());
            c.on_assign_ = on_assign;
            c.on_revoke_ = on_revoke;
            c.on_lost_ = on_lost;
            c.self_ref_ = self.ptr();  // borrowed: the callbacks only run while self lives
            auto st = c.consumer().subscribe(names);
            if (!st) throw_kafka(st.err());
          },
          py::arg("topics"), py::arg("on_assign") = py::none(), py::arg("on_revoke") = py::none(),
          py::arg("on_lost") = py::none(),
          "Joins the consumer group (group.id) for these topics; '^regex' names are patterns. "
          "The callbacks run from poll()/consume() with (consumer, [TopicPartition]).")
      .def("unsubscribe", [](PyConsumer& c) { c.consumer().unsubscribe(); })
      .def(
          "pause",
          [](PyConsumer& c, py::list partitions) { c.consumer().pause(to_tpos(partitions)); },
          py::arg("partitions"), "Stops handing out (and fetching) messages of these partitions.")
      .def(
          "resume",
          [](PyConsumer& c, py::list partitions) { c.consumer().resume(to_tpos(partitions)); },
          py::arg("partitions"), "Resumes paused partitions from their positions.")
      .def(
          "offsets_for_times",
          [](PyConsumer& c, py::list partitions, py::object timeout) {
            auto tpos = to_tpos(partitions);
            client::Consumer* raw = &c.consumer();
            int64_t t = timeout_to_ms(timeout, -1);
            result<std::vector<client::TopicPartitionOffset>> r = make_error(errc::fail, "");
            {
              py::gil_scoped_release release;
              r = raw->offsets_for_times(tpos, t < 0 ? c.timeout_ms_ : t);
            }
            if (!r) throw_kafka(r.err());
            py::list out;
            for (const auto& x : *r) out.append(make_tp(x.topic, x.partition, x.offset));
            return out;
          },
          py::arg("partitions"), py::arg("timeout") = py::none(),
          "For each TopicPartition whose offset is a timestamp (ms), the earliest offset with a "
          "timestamp at or after it (-1: none).")
      .def("memberid",
           [](PyConsumer& c) -> py::object {
             auto* g = c.consumer().group();
             if (g == nullptr) return py::none();
             std::string id = g->member_id();
             if (id.empty()) return py::none();
             return py::str(id);
           })
      .def(
          "store_offsets",
          [](PyConsumer& c, py::object message, py::object offsets) {
            if (!message.is_none()) {
              auto st = c.consumer().store_offset(message.attr("topic")().cast<std::string>(),
                                                  message.attr("partition")().cast<int32_t>(),
                                                  message.attr("offset")().cast<int64_t>() + 1);
              if (!st) throw_kafka(st.err());
            }
            if (!offsets.is_none()) {
              for (const auto& t : to_tpos(offsets.cast<py::list>())) {
                auto st = c.consumer().store_offset(t.topic, t.partition, t.offset);
                if (!st) throw_kafka(st.err());
              }
            }
          },
          py::arg("message") = py::none(), py::arg("offsets") = py::none(),
          "Stores the offset after `message` (or the given offsets) for the next commit.")
      .def(
          "commit",
          [](PyConsumer& c, py::object message, py::object offsets,
             bool asynchronous) -> py::object {
            std::optional<std::map<client::TopicPartition, int64_t>> what;
            if (!message.is_none()) {
              what.emplace();
              (*what)[{message.attr("topic")().cast<std::string>(),
                       message.attr("partition")().cast<int32_t>()}] =
                  message.attr("offset")().cast<int64_t>() + 1;
            } else if (!offsets.is_none()) {
              what.emplace();
              for (const auto& t : to_tpos(offsets.cast<py::list>())) {
                (*what)[{t.topic, t.partition}] = t.offset;
              }
            }
            result<std::map<client::TopicPartition, errc>> r = make_error(errc::fail, "");
            client::Consumer* raw = &c.consumer();
            {
              py::gil_scoped_release release;
              r = raw->commit(what, raw->cluster()->config().request_timeout_ms);
            }
            if (!r) {
              if (asynchronous && r.code() == errc::no_offset) return py::none();
              throw_kafka(r.err());
            }
            if (asynchronous) return py::none();
            static auto* cls = leaked(py::module_::import("shoal._model").attr("TopicPartition"));
            py::list out;
            auto offs = what ? *what : raw->stored_offsets();
            for (const auto& [tp, e] : *r) {
              py::object err = e == errc::none ? py::none() : kafka_error(e, "");
              int64_t off = offs.count(tp) ? offs.at(tp) : -1001;
              out.append(
                  cls->attr("_make")(tp.topic, tp.partition, off, py::none(), py::none(), err));
            }
            return out;
          },
          py::arg("message") = py::none(), py::arg("offsets") = py::none(),
          py::arg("asynchronous") = true,
          "Commits the offset after `message`, the given offsets, or the stored offsets. "
          "Synchronous commits return the partitions with their outcome.")
      .def(
          "committed",
          [](PyConsumer& c, py::list partitions, py::object timeout) {
            std::vector<client::TopicPartition> parts;
            for (const auto& t : to_tpos(partitions)) parts.push_back({t.topic, t.partition});
            result<std::map<client::TopicPartition, int64_t>> r = make_error(errc::fail, "");
            client::Consumer* raw = &c.consumer();
            int64_t t = timeout_to_ms(timeout, -1);
            {
              py::gil_scoped_release release;
              r = raw->committed(parts, t < 0 ? c.timeout_ms_ : t);
            }
            if (!r) throw_kafka(r.err());
            py::list out;
            for (const auto& tp : parts) {
              out.append(make_tp(tp.topic, tp.partition, r->count(tp) ? r->at(tp) : -1001));
            }
            return out;
          },
          py::arg("partitions"), py::arg("timeout") = py::none(),
          "The group's committed offsets of these partitions (OFFSET_INVALID: none).")
      .def("assignment",
           [](PyConsumer& c) {
             py::list out;
             for (const auto& t : c.consumer().assignment())
               out.append(make_tp(t.topic, t.partition, -1001));
             return out;
           })
      .def(
          "poll",
          [](PyConsumer& c, py::object timeout) -> py::object {
            auto got = c.take(1, timeout_to_ms(timeout), true);
            if (got.empty()) return py::none();
            PyObject* msg = c.to_message(got.front());
            if (msg == nullptr) throw py::error_already_set();
            return py::reinterpret_steal<py::object>(msg);
          },
          py::arg("timeout") = py::none(),
          "The next message or event (check msg.error()), or None after timeout seconds.")
      .def(
          "consume",
          [](PyConsumer& c, int64_t num_messages, py::object timeout) {
            if (num_messages < 0 || num_messages > 1'000'000) {
              throw py::value_error("num_messages must be between 0 and 1000000 (1M)");
            }
            auto got = c.take(static_cast<size_t>(num_messages), timeout_to_ms(timeout), false);
            PyObject* list = PyList_New(static_cast<Py_ssize_t>(got.size()));
            if (list == nullptr) throw py::error_already_set();
            py::object owner = py::reinterpret_steal<py::object>(list);
            for (size_t i = 0; i < got.size(); ++i) {
              PyObject* msg = c.to_message(got[i]);
              if (msg == nullptr) throw py::error_already_set();
              PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), msg);
            }
            return owner;
          },
          py::arg("num_messages") = 1, py::arg("timeout") = -1,
          "Up to num_messages messages, waiting at most timeout seconds to fill the list.")
      .def(
          "seek",
          [](PyConsumer& c, py::object tp) {
            auto st = c.consumer().seek(tp.attr("topic").cast<std::string>(),
                                        tp.attr("partition").cast<int32_t>(),
                                        tp.attr("offset").cast<int64_t>());
            if (!st) throw_kafka(st.err());
          },
          py::arg("partition"), "Moves the partition's position to partition.offset.")
      .def(
          "position",
          [](PyConsumer& c, py::list partitions) {
            py::list out;
            for (const auto& t : to_tpos(partitions)) {
              out.append(
                  make_tp(t.topic, t.partition, c.consumer().position(t.topic, t.partition)));
            }
            return out;
          },
          py::arg("partitions"),
          "The offset of the next message for each partition (OFFSET_INVALID if none yet).")
      .def(
          "get_watermark_offsets",
          [](PyConsumer& c, py::object tp, py::object timeout, bool cached) {
            result<std::pair<int64_t, int64_t>> r = make_error(errc::fail, "");
            std::string topic = tp.attr("topic").cast<std::string>();
            int32_t partition = tp.attr("partition").cast<int32_t>();
            int64_t t = timeout_to_ms(timeout, -1);
            client::Consumer* raw = &c.consumer();
            {
              py::gil_scoped_release release;
              r = raw->watermarks(topic, partition, t < 0 ? c.timeout_ms_ : t, cached);
            }
            if (!r) throw_kafka(r.err());
            return py::make_tuple(r->first, r->second);
          },
          py::arg("partition"), py::arg("timeout") = py::none(), py::arg("cached") = false,
          "(low, high) offsets of the partition: its first offset and its high watermark.")
      .def(
          "list_topics",
          [](PyConsumer& c, py::object topic, py::object timeout) {
            return list_topics(*c.consumer().cluster(), topic, timeout_to_ms(timeout, 60));
          },
          py::arg("topic") = py::none(), py::arg("timeout") = -1)
      .def("close", &PyConsumer::close, "Stops fetching and releases the consumer.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyConsumer& c, py::args) {
        c.close();
        return false;
      });
}

}  // namespace shoal::bindings
