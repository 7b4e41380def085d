#include "tools/perf/log_append_bench.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "storage/log.h"

namespace shoal::perf {

namespace {

using clock_type = std::chrono::steady_clock;

}  // namespace

LogAppendBenchResult run_log_append_bench(const LogAppendBenchOptions& opts) {
  namespace fs = std::filesystem;
  // A few distinct batches, cycled: random values so nothing compresses or dedups by accident.
  constexpr int distinct = 16;
  std::mt19937_64 rng(42);
  std::vector<storage::bytes> batches;
  for (int i = 0; i < distinct; ++i) {
    storage::RecordBatchBuilder b;
    storage::bytes value(static_cast<size_t>(opts.record_size));
    for (int r = 0; r < opts.batch_records; ++r) {
      for (auto& c : value) c = static_cast<uint8_t>(rng());
      b.append(1'700'000'000'000 + r, std::nullopt, storage::bytes_view(value));
    }
    auto built = b.build();
    if (!built) throw std::runtime_error(built.err().to_string());
    batches.push_back(std::move(built).value());
  }
  int64_t nbatches = (opts.records + opts.batch_records - 1) / opts.batch_records;
  LogAppendBenchResult res;
  res.records = nbatches * opts.batch_records;
  for (int64_t i = 0; i < nbatches; ++i)
    res.bytes += static_cast<int64_t>(batches[i % distinct].size());

  // Each batch goes to the log and then, as plain bytes, to a file next to it, timed
  // separately: both see the same page cache, writeback and CPU conditions, which on a shared
  // machine vary more than the difference being measured.
  for (int round = 0; round < opts.rounds; ++round) {
    fs::path log_dir = fs::path(opts.dir) / ("log-" + std::to_string(round));
    fs::path plain = fs::path(opts.dir) / ("plain-" + std::to_string(round));
    auto lg = storage::Log::open(log_dir, storage::LogConfig{});
    if (!lg) throw std::runtime_error(lg.err().to_string());
    int fd = ::open(plain.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + plain.string());
    clock_type::duration log_time{}, plain_time{};
    for (int64_t i = 0; i < nbatches; ++i) {
      auto& b = batches[i % distinct];
      // Whichever goes second finds the batch in the CPU cache: alternate the order.
      result<storage::LogAppendInfo> r = storage::LogAppendInfo{};
      ssize_t w = 0;
      clock_type::duration dl{}, dp{};
      if (i % 2 == 0) {
        auto t0 = clock_type::now();
        r = (*lg)->append_as_leader(std::span<uint8_t>(b), leader_epoch(0));
        auto t1 = clock_type::now();
        w = ::write(fd, b.data(), b.size());
        auto t2 = clock_type::now();
        dl = t1 - t0;
        dp = t2 - t1;
      } else {
        auto t0 = clock_type::now();
        w = ::write(fd, b.data(), b.size());
        auto t1 = clock_type::now();
        r = (*lg)->append_as_leader(std::span<uint8_t>(b), leader_epoch(0));
        auto t2 = clock_type::now();
        dp = t1 - t0;
        dl = t2 - t1;
      }
      if (!r) {
        ::close(fd);
        throw std::runtime_error(r.err().to_string());
      }
      if (w != static_cast<ssize_t>(b.size())) {
        ::close(fd);
        throw std::runtime_error("write failed on " + plain.string());
      }
      log_time += dl;
      plain_time += dp;
    }
    ::close(fd);
    auto st = (*lg)->close();
    if (!st) throw std::runtime_error(st.err().to_string());
    res.log_seconds += std::chrono::duration<double>(log_time).count();
    res.plain_seconds += std::chrono::duration<double>(plain_time).count();
    fs::remove_all(log_dir);
    fs::remove(plain);
  }
  res.records *= opts.rounds;
  res.bytes *= opts.rounds;
  return res;
}

}  // namespace shoal::perf
