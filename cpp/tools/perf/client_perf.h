// The native halves of `shoal perf producer --native` and `shoal perf consumer --native`:
// the same workloads as the Python commands, driving the C++ clients directly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace shoal::perf {

struct ProducerPerfResult {
  int64_t records = 0;
  int64_t bytes = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;  // produce() to delivery report, every record
  int64_t errors = 0;
};

// Produces `records` records to `topic`, at most `throughput` records/s (-1: unlimited), and
// waits for every delivery report. The records are `payloads` in turn, or, when it is empty,
// Kafka's producer-perf-test payload: one record of `record_size` random uppercase letters.
result<ProducerPerfResult> run_producer_perf(const std::map<std::string, std::string>& props,
                                             const std::string& topic, int64_t records,
                                             int32_t record_size, int64_t throughput,
                                             const std::vector<std::vector<uint8_t>>& payloads);

struct ConsumerPerfResult {
  int64_t records = 0;
  int64_t bytes = 0;
  double seconds = 0;        // from the first record to the last
  double fetch_seconds = 0;  // from assign() to the last record
};

// Reads `records` records of `topic` (every partition, from the beginning).
result<ConsumerPerfResult> run_consumer_perf(const std::map<std::string, std::string>& props,
                                             const std::string& topic, int64_t records,
                                             int64_t timeout_ms);

}  // namespace shoal::perf
