// Error-code table for the Python package: shoal.error builds KafkaError's class attributes,
// names, descriptions and retriable flags from it, so common/errc.h stays the only source.
#include "bindings/bindings.h"

#include <pybind11/stl.h>

#include <string>
#include <tuple>
#include <vector>

#include "common/errc.h"

namespace py = pybind11;

namespace shoal::bindings {

void register_errors(py::module_& m) {
  m.def(
      "error_codes",
      [] {
        std::vector<std::tuple<std::string, int, bool, std::string>> codes;
#define SHOAL_ERRC_ROW(en, code, name, retriable, description) \
  codes.emplace_back(name, code, retriable, description);
        SHOAL_ERRC_LIST(SHOAL_ERRC_ROW)
#undef SHOAL_ERRC_ROW
        return codes;
      },
      "Every error code of the core as (name, code, retriable, description): librdkafka's name "
      "and rd_kafka_err2str() text, and Kafka's retriable classification.");
}

}  // namespace shoal::bindings
