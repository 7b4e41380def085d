// ClusterMetadata (shoal._model) from a metadata request: what list_topics() returns on every
// client.
#pragma once

#include <pybind11/pybind11.h>

#include "client/cluster_client.h"

namespace shoal::bindings {

pybind11::object list_topics(client::ClusterClient& cluster, const pybind11::object& topic,
                             int64_t timeout_ms);

}  // namespace shoal::bindings
