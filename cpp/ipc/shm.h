// Named POSIX shared-memory regions (Boost.Interprocess), created readable and writable by the
// owning user only. The one place Shoal maps shared memory.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace shoal::ipc {

class SharedRegion {
 public:
  SharedRegion();
  SharedRegion(SharedRegion&&) noexcept;
  SharedRegion& operator=(SharedRegion&&) noexcept;
  ~SharedRegion();

  // Creates a zero-filled region; fails with _CONFLICT if the name exists.
  static result<SharedRegion> create(const std::string& name, size_t size, unsigned mode = 0600);
  // Maps an existing region whole; fails with _NOENT if there is none.
  static result<SharedRegion> open(const std::string& name);
  // Unlinks the name; mappings stay valid until unmapped. Returns false if it did not exist.
  static bool remove(const std::string& name);
  // Names of the regions under /dev/shm that start with `prefix`.
  static std::vector<std::string> list(const std::string& prefix);

  void* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& name() const { return name_; }
  explicit operator bool() const { return data_ != nullptr; }

  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  void* data_ = nullptr;
  size_t size_ = 0;
  std::string name_;
};

// A shared-memory name for Boost ("shoal.<cluster>.<what>"): cluster names are checked
// elsewhere to be [A-Za-z0-9._-]{1,64}.
std::string region_name(const std::string& cluster, const std::string& what);
// Checks a cluster name; the error says what is allowed.
status validate_cluster_name(const std::string& cluster);

}  // namespace shoal::ipc
