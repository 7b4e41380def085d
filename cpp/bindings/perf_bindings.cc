// shoal._core.perf: the native workloads behind `shoal perf ... --native`.
#include <pybind11/stl.h>

#include <algorithm>
#include <numeric>

#include "bindings/bindings.h"
#include "bindings/py_util.h"
#include "tools/perf/client_perf.h"

namespace py = pybind11;

namespace shoal::bindings {

namespace {

py::dict latency_summary(std::vector<double>& lat) {
  py::dict d;
  if (lat.empty()) return d;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    size_t i = std::min(lat.size() - 1, static_cast<size_t>(p * static_cast<double>(lat.size())));
    return lat[i];
  };
  d["avg"] = std::accumulate(lat.begin(), lat.end(), 0.0) / static_cast<double>(lat.size());
  d["max"] = lat.back();
  d["p50"] = pct(0.50);
  d["p95"] = pct(0.95);
  d["p99"] = pct(0.99);
  d["p999"] = pct(0.999);
  return d;
}

}  // namespace

void register_perf(py::module_& m) {
  m.def(
      "producer",
      [](const py::dict& conf, const std::string& topic, int64_t records, int32_t record_size,
         int64_t throughput) {
        auto props = config_strings(conf, nullptr);
        result<perf::ProducerPerfResult> r = make_error(errc::fail, "");
        {
          py::gil_scoped_release release;
          r = perf::run_producer_perf(props, topic, records, record_size, throughput);
        }
        if (!r) throw_kafka(r.err());
        py::dict d;
        d["records"] = r->records;
        d["bytes"] = r->bytes;
        d["seconds"] = r->seconds;
        d["errors"] = r->errors;
        d["latency_ms"] = latency_summary(r->latencies_ms);
        return d;
      },
      py::arg("conf"), py::arg("topic"), py::arg("records"), py::arg("record_size"),
      py::arg("throughput") = -1);
  m.def(
      "consumer",
      [](const py::dict& conf, const std::string& topic, int64_t records, int64_t timeout_ms) {
        auto props = config_strings(conf, nullptr);
        result<perf::ConsumerPerfResult> r = make_error(errc::fail, "");
        {
          py::gil_scoped_release release;
          r = perf::run_consumer_perf(props, topic, records, timeout_ms);
        }
        if (!r) throw_kafka(r.err());
        py::dict d;
        d["records"] = r->records;
        d["bytes"] = r->bytes;
        d["seconds"] = r->seconds;
        d["fetch_seconds"] = r->fetch_seconds;
        return d;
      },
      py::arg("conf"), py::arg("topic"), py::arg("records"), py::arg("timeout_ms") = 120'000);
}

}  // namespace shoal::bindings
