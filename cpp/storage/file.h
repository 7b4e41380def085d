// The one interface through which the storage layer touches the file system, so that tests
// can inject faults (disk full, failed renames, a crash at the n-th step). Errors carry the
// path and errno text and map to KAFKA_STORAGE_ERROR.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace shoal::storage {

namespace fs = std::filesystem;

// An open file. Thread safety: pread may be called concurrently with anything; the other
// methods must be serialized by the caller.
class File {
 public:
  virtual ~File() = default;
  // Reads up to n bytes at `off`; fewer only at end of file.
  virtual result<size_t> pread(void* buf, size_t n, int64_t off) const = 0;
  // Writes all n bytes at `off` or fails. A failure may leave some of the bytes written.
  virtual status pwrite(const void* buf, size_t n, int64_t off) = 0;
  virtual status truncate(int64_t size) = 0;
  // fdatasync: the bytes written so far survive a power loss.
  virtual status sync() = 0;
  virtual result<int64_t> size() const = 0;
  // Last modification time in ms since the epoch.
  virtual result<int64_t> mtime_ms() const = 0;
  virtual const fs::path& path() const = 0;
};

struct open_options {
  bool create = false;    // create if missing (mode 0600)
  bool truncate = false;  // drop existing content
  bool read_only = false;
};

// File-system operations. Thread-safe.
class Env {
 public:
  virtual ~Env() = default;
  virtual result<std::unique_ptr<File>> open(const fs::path& p, open_options o) = 0;
  // Atomic replace of `to` by `from` (rename(2)).
  virtual status rename(const fs::path& from, const fs::path& to) = 0;
  // Removes a file; success if it did not exist.
  virtual status remove(const fs::path& p) = 0;
  // fsync of a directory, making renames and creations in it durable.
  virtual status sync_dir(const fs::path& dir) = 0;
  // Creates the directory and its parents with mode 0700.
  virtual status create_dirs(const fs::path& dir) = 0;
  virtual result<std::vector<std::string>> list_dir(const fs::path& dir) = 0;
  virtual bool exists(const fs::path& p) = 0;

  // The real file system. Never destroyed.
  static Env* posix();
};

// Writes `data` to `path` so that a crash leaves either the old or the new content:
// write to path + ".tmp", fsync, rename, fsync the directory.
status write_file_atomically(Env* env, const fs::path& path, std::string_view data);
// Reads a whole small file.
result<std::string> read_small_file(Env* env, const fs::path& path);

}  // namespace shoal::storage
