// Storage-level entry points: the log-append benchmark.
#include "bindings/bindings.h"
#include "tools/perf/log_append_bench.h"

namespace py = pybind11;

namespace shoal::bindings {

void register_storage(py::module_& m) {
  m.def(
      "run_log_append_bench",
      [](const std::string& dir, int64_t records, int32_t record_size, int32_t batch_records,
         int rounds) {
        perf::LogAppendBenchOptions o{dir, records, record_size, batch_records, rounds};
        perf::LogAppendBenchResult r;
        {
          py::gil_scoped_release release;
          r = perf::run_log_append_bench(o);
        }
        py::dict d;
        d["records"] = r.records;
        d["bytes"] = r.bytes;
        d["log_seconds"] = r.log_seconds;
        d["plain_seconds"] = r.plain_seconds;
        return d;
      },
      py::arg("dir"), py::arg("records"), py::arg("record_size"), py::arg("batch_records"),
      py::arg("rounds"),
      "Appends `records` records to a Log in `dir` and writes the same bytes with write(2), "
      "batch by batch, `rounds` times; returns the totals.");
}

}  // namespace shoal::bindings
