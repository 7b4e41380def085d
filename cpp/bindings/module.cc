// The entry point of shoal._core: creates the submodules and registers each area.
#include <pybind11/stl.h>
#include "bindings/bindings.h"
#include "bindings/message.h"
#include "cluster/metadata.h"
#include "common/logger.h"
#include "ipc/cluster_region.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "Shoal's C++ core (private: import shoal instead)";
  m.attr("__version__") = SHOAL_VERSION;
  m.def(
      "set_log_level",
      [](const std::string& level) {
        auto l = spdlog::level::from_str(level);
        if (l == spdlog::level::off && level != "off") {
          throw pybind11::value_error("unknown log level '" + level +
                                      "' (trace, debug, info, warn, error, critical, off)");
        }
        shoal::set_log_level(l);
      },
      pybind11::arg("level"), "Sets the level of every logger of the C++ core.");
  m.def(
      "cluster_brokers",
      [](const std::string& cluster, int64_t stale_ms) {
        pybind11::list out;
        auto region = shoal::ipc::ClusterRegion::open(cluster, 0);
        if (!region) return out;
        for (const auto& b : (*region)->brokers(stale_ms)) {
          pybind11::dict d;
          d["id"] = b.id;
          d["pid"] = b.pid;
          d["state"] = static_cast<int>(b.state);
          d["alive"] = b.alive;
          d["process"] = b.process == shoal::ipc::liveness::alive  ? "alive"
                         : b.process == shoal::ipc::liveness::dead ? "dead"
                                                                   : "other pid namespace";
          d["heartbeat_age_ms"] = b.heartbeat_age_ms;
          d["storage_failed"] = b.storage_failed;
          d["host"] = b.advertised_host;
          d["port"] = b.advertised_port;
          out.append(d);
        }
        return out;
      },
      pybind11::arg("cluster"), pybind11::arg("stale_ms") = 10'000,
      "The brokers registered in a cluster's shared memory: id, pid, state (1 starting, 2 "
      "running, 3 stopping), alive, process ('alive', 'dead', or 'other pid namespace': only the "
      "heartbeat tells), heartbeat_age_ms, storage_failed, and the advertised Kafka listener "
      "(host, "
      "port; '' and -1 before the broker listens). Empty if no such cluster runs.");
  m.def(
      "cluster_remove_if_abandoned",
      [](const std::string& cluster) {
        auto r = shoal::ipc::ClusterRegion::remove_if_abandoned(cluster);
        return r ? *r : false;
      },
      pybind11::arg("cluster"),
      "Removes the shared memory of a cluster none of whose broker processes exists any more. "
      "True if it did.");
  m.def(
      "cluster_state",
      [](const std::string& cluster) -> pybind11::object {
        auto region = shoal::ipc::ClusterRegion::open(cluster, 0);
        if (!region) return pybind11::none();
        pybind11::dict d;
        auto c = (*region)->controller();
        d["controller"] = c.id;
        d["controller_epoch"] = c.epoch;
        pybind11::list live;
        pybind11::dict topics;
        pybind11::dict configs;
        auto img = (*region)->read_image(0);
        if (img) {
          auto pub = shoal::protocol::decode<shoal::cluster::PublishedImage>(img->second, 0);
          if (pub) {
            for (int32_t b : pub->live_brokers) live.append(b);
            for (const auto& t : pub->topics) {
              pybind11::list parts;
              for (const auto& p : t.partitions) {
                pybind11::dict pd;
                pd["leader"] = p.leader;
                pd["leader_epoch"] = p.leader_epoch;
                pd["replicas"] = p.replicas;
                pd["isr"] = p.isr;
                parts.append(pd);
              }
              topics[pybind11::str(t.name)] = parts;
              configs[pybind11::str(t.name)] = t.configs;
            }
            d["image_version"] = pub->version;
          }
        }
        d["live"] = live;
        d["topics"] = topics;
        d["configs"] = configs;
        return d;
      },
      pybind11::arg("cluster"),
      "What the cluster's controller last published: controller, controller_epoch, live "
      "brokers, each topic's partitions (leader, leader_epoch, replicas, isr), and each topic's "
      "config overrides (configs). None if no such cluster runs.");
  shoal::bindings::register_errors(m);
  if (!shoal::bindings::register_message_type(m.ptr())) throw pybind11::error_already_set();
  shoal::bindings::register_producer(m);
  shoal::bindings::register_consumer(m);
  shoal::bindings::register_admin(m);
  shoal::bindings::register_config(m);
  auto perf = m.def_submodule("perf", "native benchmark workloads");
  shoal::bindings::register_perf(perf);
  auto storage = m.def_submodule("storage", "the partition log");
  shoal::bindings::register_storage(storage);
}
