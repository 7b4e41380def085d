// Helpers shared by the storage tests: scratch directories, batch builders, a whole-log
// reader, and a fault-injecting Env.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/file.h"
#include "storage/log.h"
#include "storage/record_batch.h"

namespace shoal::storage::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& s) const { return path_ / s; }

 private:
  fs::path path_;
};

struct TestRecord {
  int64_t offset = -1;
  int64_t timestamp = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  bool operator==(const TestRecord&) const = default;
};

bytes_view as_bytes(const std::string& s);
std::string as_string(bytes_view b);

// A batch of `records` (offset and timestamp of each are taken from the record; offsets are
// deltas from the first).
bytes make_batch(const std::vector<TestRecord>& records, compression codec = compression::none);
// A batch of n records "k<i>" -> "v<i>" (value padded to value_size), timestamps ts0 + i.
bytes make_simple_batch(int n, int64_t ts0 = 1000, compression codec = compression::none,
                        size_t value_size = 0, const std::string& key_prefix = "k");

// Decodes every record of every batch in `data`; fails the test on corruption.
std::vector<TestRecord> decode_batches(bytes_view data);
// Reads the whole log (from its start) and decodes it.
std::vector<TestRecord> read_all(const Log& log, size_t max_bytes = 1 << 20);
// Reads the raw batches of the whole log, checking each batch's CRC and that offsets increase.
// Returns the number of batches; adds a gtest failure on any violation.
int check_batches(const Log& log);

// An Env over the real file system that can fail writes once a byte budget is spent
// (disk full) and can crash the process (_exit) at the n-th mutating operation.
class FaultInjectionEnv final : public Env {
 public:
  FaultInjectionEnv() = default;

  // Writes fail with ENOSPC once this many more bytes have been written (-1: never).
  void set_write_budget(int64_t bytes) { budget_.store(bytes); }
  // _exit(0) just before the n-th mutating operation (1-based; 0: never).
  void crash_at_op(int64_t n) { crash_at_.store(n); }
  int64_t mutating_ops() const { return ops_.load(); }

  result<std::unique_ptr<File>> open(const fs::path& p, open_options o) override;
  status rename(const fs::path& from, const fs::path& to) override;
  status remove(const fs::path& p) override;
  status sync_dir(const fs::path& dir) override;
  status create_dirs(const fs::path& dir) override;
  result<std::vector<std::string>> list_dir(const fs::path& dir) override;
  bool exists(const fs::path& p) override;

  // Counts one mutating operation, crashing if it is the chosen one.
  void on_mutation();
  // Takes n bytes from the budget; false when the disk is "full".
  bool consume(int64_t n);

 private:
  std::atomic<int64_t> budget_{-1};
  std::atomic<int64_t> crash_at_{0};
  std::atomic<int64_t> ops_{0};
};

// A clock tests can move.
struct ManualClock {
  std::atomic<int64_t> now{1'700'000'000'000};
  clock_fn fn() {
    return [this] { return now.load(); };
  }
};

}  // namespace shoal::storage::testing
