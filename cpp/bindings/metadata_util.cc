#include "bindings/metadata_util.h"

#include <pybind11/stl.h>

#include "bindings/py_util.h"

namespace py = pybind11;

namespace shoal::bindings {

py::object list_topics(client::ClusterClient& cluster, const py::object& topic,
                       int64_t timeout_ms) {
  std::optional<std::vector<std::string>> topics;
  if (!topic.is_none()) topics = std::vector<std::string>{topic.cast<std::string>()};
  result<client::ClusterInfo> info = make_error(errc::fail, "");
  {
    py::gil_scoped_release release;
    info = cluster.fetch_metadata(topics, false, timeout_ms < 0 ? 60'000 : timeout_ms);
  }
  if (!info) throw_kafka(info.err());
  py::module_ model = py::module_::import("shoal._model");
  py::object md = model.attr("ClusterMetadata")();
  md.attr("cluster_id") = info->cluster_id;
  md.attr("controller_id") = info->controller_id;
  md.attr("orig_broker_id") = info->orig_broker_id;
  // librdkafka names a broker "host:port/id"; over shared memory the host part is shm://NAME.
  std::string where = cluster.over_tcp() ? cluster.broker_address(info->orig_broker_id)
                                         : "shm://" + cluster.config().cluster;
  md.attr("orig_broker_name") = where + "/" + std::to_string(info->orig_broker_id);
  py::dict brokers;
  for (const auto& b : info->brokers) {
    py::object bm = model.attr("BrokerMetadata")();
    bm.attr("id") = b.id;
    bm.attr("host") = b.host;
    bm.attr("port") = b.port;
    brokers[py::int_(b.id)] = bm;
  }
  md.attr("brokers") = brokers;
  py::dict tops;
  for (const auto& [name, t] : info->topics) {
    py::object tm = model.attr("TopicMetadata")();
    tm.attr("topic") = name;
    tm.attr("error") = t.error == errc::none ? py::none() : kafka_error(t.error, t.error_message);
    py::dict parts;
    for (const auto& p : t.partitions) {
      py::object pm = model.attr("PartitionMetadata")();
      pm.attr("id") = p.id;
      pm.attr("leader") = p.leader;
      pm.attr("replicas") = p.replicas;
      pm.attr("isrs") = p.isr;
      pm.attr("error") = p.error == errc::none ? py::none() : kafka_error(p.error, "");
      parts[py::int_(p.id)] = pm;
    }
    tm.attr("partitions") = parts;
    // Beyond confluent-kafka's TopicMetadata, for AdminClient.describe_topics().
    // Kafka's topic id: its two halves as Java's Uuid gives them (signed 64-bit integers).
    tm.attr("_topic_id") = t.topic_id.is_zero()
                               ? py::object(py::none())
                               : py::object(py::make_tuple(static_cast<int64_t>(t.topic_id.hi),
                                                           static_cast<int64_t>(t.topic_id.lo)));
    tm.attr("_is_internal") = t.internal;
    tops[py::str(name)] = tm;
  }
  md.attr("topics") = tops;
  return md;
}

}  // namespace shoal::bindings
