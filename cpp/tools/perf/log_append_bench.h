// The storage benchmark behind `python -m shoal.bench log-append`: appends batches of
// fixed-size records to a Log and writes the same bytes with plain write(2) calls to a file,
// batch by batch, so the two throughputs can be compared in one run.
#pragma once

#include <cstdint>
#include <string>

namespace shoal::perf {

struct LogAppendBenchOptions {
  std::string dir;  // scratch directory (must exist)
  int64_t records = 2'000'000;
  int32_t record_size = 100;    // value bytes per record
  int32_t batch_records = 100;  // records per batch
  int rounds = 3;               // each measurement repeated; the best round is reported
};

struct LogAppendBenchResult {
  int64_t records = 0;
  int64_t bytes = 0;         // bytes written per round (batch framing included)
  double log_seconds = 0;    // best round
  double plain_seconds = 0;  // best round
};

// Throws std::runtime_error if the log or the file cannot be written.
LogAppendBenchResult run_log_append_bench(const LogAppendBenchOptions& opts);

}  // namespace shoal::perf
