// The C++ half of shoal.AdminClient: synchronous calls that release the GIL. The Python
// AdminClient (admin.py) turns them into confluent-kafka's dicts of futures.
#include <pybind11/stl.h>

#include "bindings/bindings.h"
#include "bindings/metadata_util.h"
#include "bindings/py_util.h"
#include "client/admin.h"
#include "client/assignor.h"

namespace py = pybind11;

namespace shoal::bindings {

namespace {

class PyAdmin {
 public:
  explicit PyAdmin(const py::dict& conf) {
    auto props = config_strings(conf, nullptr);
    auto config = client::parse_client_config(props, client::client_kind::admin);
    if (!config) throw_kafka(config.err());
    timeout_ms_ = config->socket_timeout_ms;
    result<std::unique_ptr<client::Admin>> a = make_error(errc::fail, "");
    {
      py::gil_scoped_release release;
      a = client::Admin::create(*config);
    }
    if (!a) throw_kafka(a.err());
    admin_ = std::move(a).value();
  }
  ~PyAdmin() {
    if (admin_) {
      py::gil_scoped_release release;
      admin_->close();
    }
  }
  std::unique_ptr<client::Admin> admin_;
  int64_t timeout_ms_;
};

using topic_result = std::tuple<std::string, int, std::string>;

// Runs an admin call with the GIL released; a request-level failure raises KafkaException.
template <typename F>
auto released(F&& f) {
  py::gil_scoped_release release;
  return f();
}

int64_t ms_or(const PyAdmin& a, double timeout_s) {
  return timeout_s > 0 ? static_cast<int64_t>(timeout_s * 1000) : a.timeout_ms_;
}

// A member's assignment as [(topic, partition)], decoded from the consumer protocol (other
// protocol types, e.g. Kafka Connect's, are opaque: no partitions).
std::vector<std::pair<std::string, int32_t>> member_partitions(const std::string& protocol_type,
                                                               const protocol::bytes& assignment) {
  std::vector<std::pair<std::string, int32_t>> out;
  if (protocol_type != "consumer" || assignment.empty()) return out;
  auto a = client::decode_assignment(protocol::bytes_view(assignment.data(), assignment.size()));
  if (!a) return out;
  for (const auto& tp : a->assigned_partitions) {
    for (int32_t p : tp.partitions) out.emplace_back(tp.topic, p);
  }
  return out;
}

}  // namespace

void register_admin(py::module_& m) {
  py::class_<PyAdmin>(m, "_Admin")
      .def(py::init<const py::dict&>())
      .def(
          "create_topics",
          // Each topic: (name, partitions, replication factor, assignment, configs).
          [](PyAdmin& a,
             const std::vector<
                 std::tuple<std::string, int32_t, int32_t, std::vector<std::vector<int32_t>>,
                            std::map<std::string, std::string>>>& topics,
             bool validate_only, double timeout_s) {
            protocol::CreateTopicsRequest req;
            req.validate_only = validate_only;
            req.timeout_ms = static_cast<int32_t>(timeout_s * 1000);
            for (const auto& [name, parts, rf, assignment, configs] : topics) {
              auto& t = req.topics.emplace_back();
              t.name = name;
              t.num_partitions = parts;
              t.replication_factor = static_cast<int16_t>(rf);
              for (size_t i = 0; i < assignment.size(); ++i) {
                auto& as = t.assignments.emplace_back();
                as.partition_index = partition_id(static_cast<int32_t>(i));
                for (int32_t b : assignment[i]) as.broker_ids.push_back(node_id(b));
              }
              for (const auto& [k, v] : configs) {
                auto& c = t.configs.emplace_back();
                c.name = k;
                c.value = v;
              }
            }
            result<protocol::CreateTopicsResponse> resp = make_error(errc::fail, "");
            {
              py::gil_scoped_release release;
              resp = a.admin_->create_topics(
                  req, timeout_s > 0 ? static_cast<int64_t>(timeout_s * 1000) : a.timeout_ms_);
            }
            if (!resp) throw_kafka(resp.err());
            std::vector<topic_result> out;
            for (const auto& t : resp->topics) {
              out.emplace_back(t.name, static_cast<int>(t.error_code),
                               t.error_message.value_or(""));
            }
            return out;
          },
          py::arg("topics"), py::arg("validate_only"), py::arg("timeout"))
      .def(
          "delete_topics",
          [](PyAdmin& a, const std::vector<std::string>& names, double timeout_s) {
            protocol::DeleteTopicsRequest req;
            req.topic_names = names;                                         // versions 1 to 5
            for (const auto& n : names) req.topics.emplace_back().name = n;  // version 6
            req.timeout_ms = static_cast<int32_t>(timeout_s * 1000);
            result<protocol::DeleteTopicsResponse> resp = make_error(errc::fail, "");
            {
              py::gil_scoped_release release;
              resp = a.admin_->delete_topics(
                  req, timeout_s > 0 ? static_cast<int64_t>(timeout_s * 1000) : a.timeout_ms_);
            }
            if (!resp) throw_kafka(resp.err());
            std::vector<topic_result> out;
            for (const auto& r : resp->responses) {
              out.emplace_back(r.name.value_or(""), static_cast<int>(r.error_code),
                               r.error_message.value_or(""));
            }
            return out;
          },
          py::arg("topics"), py::arg("timeout"))
      .def(
          "list_topics",
          [](PyAdmin& a, py::object topic, py::object timeout) {
            return list_topics(*a.admin_->cluster(), topic, timeout_to_ms(timeout, 60));
          },
          py::arg("topic") = py::none(), py::arg("timeout") = -1)
      .def(
          "describe_group",
          // (group_id, error, message, state, protocol_type, assignor,
          //  [(member_id, instance_id, client_id, host, [(topic, partition)])],
          //  (coordinator id, host, port))
          [](PyAdmin& a, const std::string& group, double timeout_s) {
            int64_t ms = ms_or(a, timeout_s);
            auto g = released([&] { return a.admin_->describe_group(group, ms); });
            if (!g) throw_kafka(g.err());
            auto coordinator = released([&] { return a.admin_->coordinator(group, ms); });
            int32_t cid = coordinator ? *coordinator : -1;
            // The coordinator's address, as Metadata gives it.
            std::string host;
            int32_t port = -1;
            if (cid >= 0) {
              auto md = released([&] {
                return a.admin_->cluster()->fetch_metadata(std::vector<std::string>{}, false, ms);
              });
              if (md) {
                for (const auto& b : md->brokers) {
                  if (b.id == cid) std::tie(host, port) = std::make_pair(b.host, b.port);
                }
              }
            }
            py::list members;
            for (const auto& m : g->members) {
              members.append(py::make_tuple(
                  m.member_id, m.group_instance_id ? py::cast(*m.group_instance_id) : py::none(),
                  m.client_id, m.client_host,
                  member_partitions(g->protocol_type, m.member_assignment)));
            }
            return py::make_tuple(g->group_id, static_cast<int>(g->error_code),
                                  g->error_message.value_or(""), g->group_state, g->protocol_type,
                                  g->protocol_data, members, py::make_tuple(cid, host, port));
          },
          py::arg("group"), py::arg("timeout"))
      .def(
          "offset_fetch",
          // topics: [(topic, [partition])] or None (all the group committed).
          // Returns (group error, [(topic, partition, offset, leader epoch, metadata, error)]).
          [](PyAdmin& a, const std::string& group,
             const std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>& topics,
             bool require_stable, double timeout_s) {
            int64_t ms = ms_or(a, timeout_s);
            auto resp =
                released([&] { return a.admin_->offset_fetch(group, topics, require_stable, ms); });
            if (!resp) throw_kafka(resp.err());
            std::vector<
                std::tuple<std::string, int32_t, int64_t, int32_t, std::optional<std::string>, int>>
                out;
            for (const auto& t : resp->topics) {
              for (const auto& p : t.partitions) {
                out.emplace_back(t.name, p.partition_index(), p.committed_offset(),
                                 p.committed_leader_epoch(), p.metadata,
                                 static_cast<int>(p.error_code));
              }
            }
            return std::make_pair(static_cast<int>(resp->error_code), out);
          },
          py::arg("group"), py::arg("topics"), py::arg("require_stable"), py::arg("timeout"))
      .def(
          "offset_commit",
          // offsets: [(topic, partition, offset, metadata)]; returns [(topic, partition, error)].
          [](PyAdmin& a, const std::string& group,
             const std::vector<
                 std::tuple<std::string, int32_t, int64_t, std::optional<std::string>>>& offsets,
             double timeout_s) {
            protocol::OffsetCommitRequest req;
            req.group_id = group;
            for (const auto& [t, p, off, md] : offsets) {
              if (req.topics.empty() || req.topics.back().name != t) {
                req.topics.emplace_back().name = t;
              }
              auto& rp = req.topics.back().partitions.emplace_back();
              rp.partition_index = partition_id(p);
              rp.committed_offset = offset(off);
              rp.committed_metadata = md;
            }
            int64_t ms = ms_or(a, timeout_s);
            auto resp = released([&] { return a.admin_->offset_commit(req, ms); });
            if (!resp) throw_kafka(resp.err());
            std::vector<std::tuple<std::string, int32_t, int>> out;
            for (const auto& t : resp->topics) {
              for (const auto& p : t.partitions) {
                out.emplace_back(t.name, p.partition_index(), static_cast<int>(p.error_code));
              }
            }
            return out;
          },
          py::arg("group"), py::arg("offsets"), py::arg("timeout"))
      .def(
          "delete_group",
          [](PyAdmin& a, const std::string& group, double timeout_s) {
            int64_t ms = ms_or(a, timeout_s);
            auto r = released([&] { return a.admin_->delete_group(group, ms); });
            if (!r) throw_kafka(r.err());
            return static_cast<int>(*r);
          },
          py::arg("group"), py::arg("timeout"))
      .def(
          "list_groups",
          // Returns ([(group_id, protocol_type, state, type)], [(error, message)]).
          [](PyAdmin& a, const std::vector<std::string>& states, double timeout_s) {
            protocol::ListGroupsRequest req;
            req.states_filter = states;
            int64_t ms = ms_or(a, timeout_s);
            std::vector<std::pair<int32_t, error>> failed;
            auto groups = released([&] { return a.admin_->list_groups(req, ms, &failed); });
            std::vector<std::tuple<std::string, std::string, std::string, std::string>> out;
            for (const auto& g : groups) {
              out.emplace_back(g.group_id, g.protocol_type, g.group_state, g.group_type);
            }
            std::vector<std::pair<int, std::string>> errors;
            for (const auto& [id, e] : failed) {
              errors.emplace_back(static_cast<int>(e.code),
                                  fmt::format("broker {}: {}", id, e.message));
            }
            return std::make_pair(out, errors);
          },
          py::arg("states"), py::arg("timeout"))
      .def(
          "list_offsets",
          // partitions: [(topic, partition, timestamp or -1 latest / -2 earliest / -3 max)].
          // Returns [(topic, partition, error, offset, timestamp, leader epoch)].
          [](PyAdmin& a, const std::vector<std::tuple<std::string, int32_t, int64_t>>& parts,
             int isolation, double timeout_s) {
            protocol::ListOffsetsRequest req;
            req.replica_id = node_id(-1);  // a client, not a broker
            req.isolation_level = isolation == 1 ? protocol::isolation_level::read_committed
                                                 : protocol::isolation_level::read_uncommitted;
            for (const auto& [t, p, ts] : parts) {
              auto it = std::find_if(req.topics.begin(), req.topics.end(),
                                     [&](const auto& x) { return x.name == t; });
              if (it == req.topics.end()) {
                it = req.topics.emplace(req.topics.end());
                it->name = t;
              }
              auto& rp = it->partitions.emplace_back();
              rp.partition_index = partition_id(p);
              rp.timestamp = timestamp_ms(ts);
            }
            int64_t ms = ms_or(a, timeout_s);
            auto resp = released([&] { return a.admin_->list_offsets(req, ms); });
            if (!resp) throw_kafka(resp.err());
            std::vector<std::tuple<std::string, int32_t, int, int64_t, int64_t, int32_t>> out;
            for (const auto& t : resp->topics) {
              for (const auto& p : t.partitions) {
                out.emplace_back(t.name, p.partition_index(), static_cast<int>(p.error_code),
                                 p.offset(), p.timestamp(), p.leader_epoch());
              }
            }
            return out;
          },
          py::arg("partitions"), py::arg("isolation_level"), py::arg("timeout"))
      .def(
          "create_partitions",
          // Each: (topic, new total, assignment of the new partitions or None).
          // Returns [(topic, error, message)].
          [](PyAdmin& a,
             const std::vector<std::tuple<
                 std::string, int32_t, std::optional<std::vector<std::vector<int32_t>>>>>& topics,
             bool validate_only, double timeout_s) {
            protocol::CreatePartitionsRequest req;
            req.validate_only = validate_only;
            req.timeout_ms = static_cast<int32_t>(timeout_s * 1000);
            for (const auto& [name, count, assignment] : topics) {
              auto& t = req.topics.emplace_back();
              t.name = name;
              t.count = count;
              if (assignment) {
                t.assignments.emplace();
                for (const auto& reps : *assignment) {
                  auto& as = t.assignments->emplace_back();
                  for (int32_t b : reps) as.broker_ids.push_back(node_id(b));
                }
              } else {
                t.assignments = std::nullopt;
              }
            }
            int64_t ms = ms_or(a, timeout_s);
            auto resp = released([&] { return a.admin_->create_partitions(req, ms); });
            if (!resp) throw_kafka(resp.err());
            std::vector<topic_result> out;
            for (const auto& r : resp->results) {
              out.emplace_back(r.name, static_cast<int>(r.error_code),
                               r.error_message.value_or(""));
            }
            return out;
          },
          py::arg("topics"), py::arg("validate_only"), py::arg("timeout"))
      .def(
          "describe_configs",
          // Returns (error, message, [(name, value, read_only, source, sensitive, type,
          //          documentation, [(name, value, source)])]).
          [](PyAdmin& a, int resource_type, const std::string& name,
             std::optional<std::vector<std::string>> keys, bool synonyms, bool documentation,
             double timeout_s) {
            protocol::DescribeConfigsRequest::DescribeConfigsResource r;
            r.resource_type = static_cast<protocol::config_resource_type>(resource_type);
            r.resource_name = name;
            r.configuration_keys = std::move(keys);
            int64_t ms = ms_or(a, timeout_s);
            auto res = released(
                [&] { return a.admin_->describe_configs(r, synonyms, documentation, ms); });
            if (!res) throw_kafka(res.err());
            py::list configs;
            for (const auto& c : res->configs) {
              py::list syns;
              for (const auto& sy : c.synonyms) {
                syns.append(py::make_tuple(sy.name, sy.value, static_cast<int>(sy.source)));
              }
              configs.append(py::make_tuple(
                  c.name, c.value, c.read_only, static_cast<int>(c.config_source), c.is_sensitive,
                  static_cast<int>(c.config_type), c.documentation, syns));
            }
            return py::make_tuple(static_cast<int>(res->error_code),
                                  res->error_message.value_or(""), configs);
          },
          py::arg("resource_type"), py::arg("name"), py::arg("keys"), py::arg("synonyms"),
          py::arg("documentation"), py::arg("timeout"))
      .def(
          "incremental_alter_configs",
          // Each resource: (type, name, [(key, op, value)]). Returns [(type, name, error, msg)].
          [](PyAdmin& a,
             const std::vector<std::tuple<
                 int, std::string,
                 std::vector<std::tuple<std::string, int, std::optional<std::string>>>>>& resources,
             bool validate_only, double timeout_s) {
            protocol::IncrementalAlterConfigsRequest req;
            req.validate_only = validate_only;
            for (const auto& [type, name, configs] : resources) {
              auto& r = req.resources.emplace_back();
              r.resource_type = static_cast<protocol::config_resource_type>(type);
              r.resource_name = name;
              for (const auto& [k, op, v] : configs) {
                auto& c = r.configs.emplace_back();
                c.name = k;
                c.config_operation = static_cast<protocol::config_operation>(op);
                c.value = v;
              }
            }
            int64_t ms = ms_or(a, timeout_s);
            auto resp = released([&] { return a.admin_->incremental_alter_configs(req, ms); });
            if (!resp) throw_kafka(resp.err());
            std::vector<std::tuple<int, std::string, int, std::string>> out;
            for (const auto& r : resp->responses) {
              out.emplace_back(static_cast<int>(r.resource_type), r.resource_name,
                               static_cast<int>(r.error_code), r.error_message.value_or(""));
            }
            return out;
          },
          py::arg("resources"), py::arg("validate_only"), py::arg("timeout"))
      .def(
          "elect_leaders",
          // partitions: [(topic, partition)] or None (all). Returns (error,
          // [(topic, partition, error, message)]).
          [](PyAdmin& a, bool unclean,
             const std::optional<std::vector<std::pair<std::string, int32_t>>>& partitions,
             double timeout_s) {
            protocol::ElectLeadersRequest req;
            req.election_type =
                unclean ? protocol::election_type::unclean : protocol::election_type::preferred;
            req.timeout_ms = static_cast<int32_t>(timeout_s * 1000);
            if (partitions) {
              req.topic_partitions.emplace();
              for (const auto& [t, p] : *partitions) {
                auto& v = *req.topic_partitions;
                if (v.empty() || v.back().topic != t) v.emplace_back().topic = t;
                v.back().partitions.push_back(p);
              }
            }
            int64_t ms = ms_or(a, timeout_s);
            auto resp = released([&] { return a.admin_->elect_leaders(req, ms); });
            if (!resp) throw_kafka(resp.err());
            std::vector<std::tuple<std::string, int32_t, int, std::string>> out;
            for (const auto& r : resp->replica_election_results) {
              for (const auto& p : r.partition_result) {
                out.emplace_back(r.topic, p.partition_id(), static_cast<int>(p.error_code),
                                 p.error_message.value_or(""));
              }
            }
            return std::make_pair(static_cast<int>(resp->error_code), out);
          },
          py::arg("unclean"), py::arg("partitions"), py::arg("timeout"))
      .def(
          "delete_records",
          // partitions: [(topic, partition, before offset)]. Returns [(topic, partition, error,
          // low watermark)].
          [](PyAdmin& a, const std::vector<std::tuple<std::string, int32_t, int64_t>>& parts,
             double timeout_s) {
            protocol::DeleteRecordsRequest req;
            req.timeout_ms = static_cast<int32_t>(timeout_s * 1000);
            for (const auto& [t, p, off] : parts) {
              auto it = std::find_if(req.topics.begin(), req.topics.end(),
                                     [&](const auto& x) { return x.name == t; });
              if (it == req.topics.end()) {
                it = req.topics.emplace(req.topics.end());
                it->name = t;
              }
              auto& rp = it->partitions.emplace_back();
              rp.partition_index = partition_id(p);
              rp.offset = offset(off);
            }
            int64_t ms = ms_or(a, timeout_s);
            auto resp = released([&] { return a.admin_->delete_records(req, ms); });
            if (!resp) throw_kafka(resp.err());
            std::vector<std::tuple<std::string, int32_t, int, int64_t>> out;
            for (const auto& t : resp->topics) {
              for (const auto& p : t.partitions) {
                out.emplace_back(t.name, p.partition_index(), static_cast<int>(p.error_code),
                                 p.low_watermark());
              }
            }
            return out;
          },
          py::arg("partitions"), py::arg("timeout"))
      .def(
          "append_if_log_end",
          // records: [(key bytes, value bytes or None)]. Returns (error, message, base offset);
          // error _CONFLICT when the partition's log does not end at `expected_end`.
          [](PyAdmin& a, const std::string& topic, int32_t partition, int64_t expected_end,
             const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
             double timeout_s) {
            int64_t ms = ms_or(a, timeout_s);
            auto resp = released([&] {
              return a.admin_->append_if_log_end(topic, partition, expected_end, records, ms);
            });
            if (!resp) throw_kafka(resp.err());
            return std::make_tuple(static_cast<int>(resp->error_code),
                                   resp->error_message.value_or(""), resp->base_offset());
          },
          py::arg("topic"), py::arg("partition"), py::arg("expected_end"), py::arg("records"),
          py::arg("timeout"))
      .def("close", [](PyAdmin& a) {
        if (a.admin_) {
          py::gil_scoped_release release;
          a.admin_->close();
        }
      });
}

}  // namespace shoal::bindings
