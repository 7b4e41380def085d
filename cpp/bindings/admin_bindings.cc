// The C++ half of shoal.AdminClient: synchronous calls that release the GIL. The Python
// AdminClient (admin.py) turns them into confluent-kafka's dicts of futures.
#include <pybind11/stl.h>

#include "bindings/bindings.h"
#include "bindings/metadata_util.h"
#include "bindings/py_util.h"
#include "client/admin.h"

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
              protocol::CreateTopicsRequest::Topic t;
              t.name = name;
              t.num_partitions = parts;
              t.replication_factor = static_cast<int16_t>(rf);
              for (size_t i = 0; i < assignment.size(); ++i) {
                protocol::CreateTopicsRequest::Assignment as;
                as.partition_index = partition_id(static_cast<int32_t>(i));
                for (int32_t b : assignment[i]) as.broker_ids.push_back(node_id(b));
                t.assignments.push_back(std::move(as));
              }
              t.configs = configs;
              req.topics.push_back(std::move(t));
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
              out.emplace_back(t.name, static_cast<int>(t.error), t.error_message.value_or(""));
            }
            return out;
          },
          py::arg("topics"), py::arg("validate_only"), py::arg("timeout"))
      .def(
          "delete_topics",
          [](PyAdmin& a, const std::vector<std::string>& names, double timeout_s) {
            protocol::DeleteTopicsRequest req;
            req.topic_names = names;
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
              out.emplace_back(r.name, static_cast<int>(r.error), r.error_message.value_or(""));
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
      .def("close", [](PyAdmin& a) {
        if (a.admin_) {
          py::gil_scoped_release release;
          a.admin_->close();
        }
      });
}

}  // namespace shoal::bindings
