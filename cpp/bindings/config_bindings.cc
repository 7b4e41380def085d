// The configuration definitions of brokers, topics and clients, for the generated reference
// (python -m shoal.cli.config_reference writes docs/configuration.md from them).
#include <pybind11/stl.h>

#include "bindings/bindings.h"
#include "broker/broker_config.h"
#include "client/client_config.h"
#include "cluster/topic_config.h"

namespace py = pybind11;

namespace shoal::bindings {

void register_config(py::module_& m) {
  m.def(
      "config_definitions",
      [] {
        py::dict out;
        py::list brokers;
        for (const auto& d : broker::broker_config_definitions()) {
          py::dict e;
          e["name"] = d.name;
          e["type"] = d.type;
          e["default"] = d.default_value;
          e["doc"] = d.doc;
          e["topic_synonym"] = d.topic_synonym;
          e["dynamic"] = broker::BrokerConfig::is_dynamic(d.name);
          brokers.append(e);
        }
        py::list topics;
        for (const auto& d : cluster::topic_config_definitions()) {
          py::dict e;
          e["name"] = d.name;
          e["type"] = d.type;
          e["default"] = d.default_value;
          e["valid_values"] = d.valid_values;
          e["doc"] = d.doc;
          topics.append(e);
        }
        py::list clients;
        for (const auto& d : client::client_config_definitions()) {
          py::dict e;
          e["name"] = d.name;
          e["alias_of"] = d.alias_of;
          e["producer"] = d.producer;
          e["consumer"] = d.consumer;
          e["admin"] = d.admin;
          e["default"] = d.default_value;
          e["valid_values"] = d.valid_values;
          e["doc"] = d.doc;
          e["ignored"] = d.ignored;
          clients.append(e);
        }
        out["broker"] = brokers;
        out["topic"] = topics;
        out["client"] = clients;
        return out;
      },
      "Every broker, topic and client configuration property the code defines: "
      "{'broker': [...], 'topic': [...], 'client': [...]}, each a list of dicts.");
}

}  // namespace shoal::bindings
