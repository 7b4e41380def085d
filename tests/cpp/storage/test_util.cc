#include "test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace shoal::storage::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/shoal-test-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  if (p == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

bytes_view as_bytes(const std::string& s) {
  return bytes_view(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string as_string(bytes_view b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

bytes make_batch(const std::vector<TestRecord>& records, compression codec) {
  RecordBatchBuilder b(codec);
  int64_t first = records.empty() ? 0 : records.front().offset;
  for (const auto& r : records) {
    std::vector<RecordHeader> headers;
    for (const auto& [k, v] : r.headers) {
      RecordHeader h{k, std::nullopt};
      if (v) h.value = bytes(v->begin(), v->end());
      headers.push_back(std::move(h));
    }
    std::optional<bytes_view> key, value;
    if (r.key) key = as_bytes(*r.key);
    if (r.value) value = as_bytes(*r.value);
    b.append(r.timestamp, key, value, headers,
             r.offset >= 0 ? std::optional<int32_t>(static_cast<int32_t>(r.offset - first))
                           : std::nullopt);
  }
  auto built = b.build();
  EXPECT_TRUE(built.has_value());
  return std::move(built).value();
}

bytes make_simple_batch(int n, int64_t ts0, compression codec, size_t value_size,
                        const std::string& key_prefix) {
  std::vector<TestRecord> recs;
  for (int i = 0; i < n; ++i) {
    TestRecord r;
    r.timestamp = ts0 + i;
    r.key = key_prefix + std::to_string(i);
    std::string v = "v" + std::to_string(i);
    if (v.size() < value_size) v.resize(value_size, 'x');
    r.value = v;
    recs.push_back(std::move(r));
  }
  return make_batch(recs, codec);
}

std::vector<TestRecord> decode_batches(bytes_view data) {
  std::vector<TestRecord> out;
  size_t pos = 0;
  bytes scratch;
  while (pos < data.size()) {
    auto total = validate_batch(data.subspan(pos));
    EXPECT_TRUE(total.has_value()) << (total ? "" : total.err().to_string());
    if (!total) break;
    RecordBatchView v(data.subspan(pos, *total));
    RecordReader reader(v, scratch);
    RecordView r;
    while (reader.next(r)) {
      TestRecord t;
      t.offset = v.base_offset()() + r.offset_delta;
      t.timestamp = v.ts_type() == timestamp_type::log_append_time
                        ? v.max_timestamp()
                        : v.base_timestamp() + r.timestamp_delta;
      if (!r.key_null) t.key = as_string(r.key);
      if (!r.value_null) t.value = as_string(r.value);
      for (const auto& h : r.headers()) {
        std::optional<std::string> hv;
        if (!h.value_null) hv = as_string(h.value);
        t.headers.emplace_back(std::string(h.key), hv);
      }
      out.push_back(std::move(t));
    }
    EXPECT_TRUE(reader.status().has_value()) << reader.status().err().to_string();
    pos += *total;
  }
  return out;
}

std::vector<TestRecord> read_all(const Log& log, size_t max_bytes) {
  std::vector<TestRecord> out;
  offset pos = log.log_start_offset();
  while (pos < log.log_end_offset()) {
    auto r = log.read(pos, max_bytes);
    EXPECT_TRUE(r.has_value()) << r.err().to_string();
    if (!r || r->records.empty()) break;
    auto recs = decode_batches(r->records);
    // Skip records before pos in the first batch (a read returns whole batches).
    for (auto& t : recs) {
      if (t.offset >= pos()) out.push_back(t);
    }
    // Continue after the last batch returned.
    size_t p = 0;
    offset next = pos;
    while (p < r->records.size()) {
      RecordBatchView v(bytes_view(r->records).subspan(p));
      next = v.next_offset();
      p += static_cast<size_t>(v.batch_length()) + batch_format::log_overhead;
    }
    pos = next;
  }
  return out;
}

int check_batches(const Log& log) {
  int batches = 0;
  offset pos = log.log_start_offset();
  offset prev_last(-1);
  while (pos < log.log_end_offset()) {
    auto r = log.read(pos, 1 << 20);
    EXPECT_TRUE(r.has_value()) << r.err().to_string();
    if (!r || r->records.empty()) break;
    size_t p = 0;
    while (p < r->records.size()) {
      auto total = validate_batch(bytes_view(r->records).subspan(p));
      EXPECT_TRUE(total.has_value()) << total.err().to_string();
      if (!total) return batches;
      RecordBatchView v(bytes_view(r->records).subspan(p, *total));
      if (prev_last() >= 0) {
        EXPECT_GT(v.base_offset(), prev_last);
      }
      prev_last = v.last_offset();
      pos = v.next_offset();
      p += *total;
      ++batches;
    }
  }
  return batches;
}

// --- FaultInjectionEnv ---

namespace {

class FaultFile final : public File {
 public:
  FaultFile(std::unique_ptr<File> inner, FaultInjectionEnv* env)
      : inner_(std::move(inner)), env_(env) {}
  result<size_t> pread(void* buf, size_t n, int64_t off) const override {
    return inner_->pread(buf, n, off);
  }
  status pwrite(const void* buf, size_t n, int64_t off) override {
    env_->on_mutation();
    if (!env_->consume(static_cast<int64_t>(n))) {
      // Like a real full disk: part of the data may land before the error.
      if (n > 1) (void)inner_->pwrite(buf, n / 2, off);
      return make_error(errc::kafka_storage_error, "write {}: {}", inner_->path().string(),
                        std::strerror(ENOSPC));
    }
    return inner_->pwrite(buf, n, off);
  }
  status truncate(int64_t size) override {
    env_->on_mutation();
    return inner_->truncate(size);
  }
  status sync() override {
    env_->on_mutation();
    return inner_->sync();
  }
  result<int64_t> size() const override { return inner_->size(); }
  result<int64_t> mtime_ms() const override { return inner_->mtime_ms(); }
  const fs::path& path() const override { return inner_->path(); }

 private:
  std::unique_ptr<File> inner_;
  FaultInjectionEnv* env_;
};

}  // namespace

void FaultInjectionEnv::on_mutation() {
  int64_t n = ops_.fetch_add(1) + 1;
  if (crash_at_.load() == n) ::_exit(0);
}

bool FaultInjectionEnv::consume(int64_t n) {
  int64_t b = budget_.load();
  if (b < 0) return true;
  if (b < n) {
    budget_.store(0);
    return false;
  }
  budget_.store(b - n);
  return true;
}

result<std::unique_ptr<File>> FaultInjectionEnv::open(const fs::path& p, open_options o) {
  if (o.create || o.truncate) on_mutation();
  SHOAL_ASSIGN_OR_RETURN(auto f, Env::posix()->open(p, o));
  return std::unique_ptr<File>(new FaultFile(std::move(f), this));
}

status FaultInjectionEnv::rename(const fs::path& from, const fs::path& to) {
  on_mutation();
  return Env::posix()->rename(from, to);
}

status FaultInjectionEnv::remove(const fs::path& p) {
  on_mutation();
  return Env::posix()->remove(p);
}

status FaultInjectionEnv::sync_dir(const fs::path& dir) {
  on_mutation();
  return Env::posix()->sync_dir(dir);
}

status FaultInjectionEnv::create_dirs(const fs::path& dir) {
  return Env::posix()->create_dirs(dir);
}

result<std::vector<std::string>> FaultInjectionEnv::list_dir(const fs::path& dir) {
  return Env::posix()->list_dir(dir);
}

bool FaultInjectionEnv::exists(const fs::path& p) {
  return Env::posix()->exists(p);
}

}  // namespace shoal::storage::testing
