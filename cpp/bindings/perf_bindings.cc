// shoal._core.perf: the native workloads behind `shoal perf ... --native`.
#include <pybind11/stl.h>

#include <algorithm>
#include <numeric>

#include "bindings/bindings.h"
#include "bindings/py_util.h"
#include "storage/record_batch.h"
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
         int64_t throughput, const std::vector<py::bytes>& payloads) {
        auto props = config_strings(conf, nullptr);
        std::vector<std::vector<uint8_t>> pool;
        for (const auto& b : payloads) {
          std::string_view v = b;
          pool.emplace_back(v.begin(), v.end());
        }
        result<perf::ProducerPerfResult> r = make_error(errc::fail, "");
        {
          py::gil_scoped_release release;
          r = perf::run_producer_perf(props, topic, records, record_size, throughput, pool);
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
      py::arg("throughput") = -1, py::arg("payloads") = std::vector<py::bytes>{});
  m.def(
      "batch_sizes",
      [](const std::string& codec, const std::vector<py::bytes>& payloads, int32_t records) {
        auto c = storage::parse_compression(codec);
        if (!c) throw py::value_error("unknown compression type '" + codec + "'");
        if (payloads.empty() || records <= 0) throw py::value_error("no records");
        std::vector<std::string_view> views(payloads.begin(), payloads.end());
        storage::RecordBatchBuilder b(*c);
        for (int32_t i = 0; i < records; ++i) {
          auto v = views[static_cast<size_t>(i) % views.size()];
          b.append(0, std::nullopt,
                   storage::bytes_view(reinterpret_cast<const uint8_t*>(v.data()), v.size()));
        }
        size_t raw = b.estimated_size();
        auto built = b.build();
        if (!built) throw_kafka(built.err());
        return std::make_pair(raw, built->size());
      },
      py::arg("codec"), py::arg("payloads"), py::arg("records"),
      "(uncompressed, compressed) bytes of one record batch of `records` records cycling "
      "through `payloads`, compressed with `codec`.");
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
