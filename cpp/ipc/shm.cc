#include "ipc/shm.h"

#include <dirent.h>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

namespace shoal::ipc {

namespace bip = boost::interprocess;

struct SharedRegion::impl {
  bip::mapped_region region;
};

SharedRegion::SharedRegion() = default;
SharedRegion::SharedRegion(SharedRegion&&) noexcept = default;
SharedRegion& SharedRegion::operator=(SharedRegion&&) noexcept = default;
SharedRegion::~SharedRegion() = default;

result<SharedRegion> SharedRegion::create(const std::string& name, size_t size, unsigned mode) {
  try {
    bip::permissions perm;
    perm.set_permissions(mode);
    bip::shared_memory_object shm(bip::create_only, name.c_str(), bip::read_write, perm);
    shm.truncate(static_cast<bip::offset_t>(size));
    SharedRegion r;
    r.impl_ = std::make_unique<impl>();
    r.impl_->region = bip::mapped_region(shm, bip::read_write);
    r.data_ = r.impl_->region.get_address();
    r.size_ = r.impl_->region.get_size();
    r.name_ = name;
    return r;
  } catch (const bip::interprocess_exception& e) {
    if (e.get_error_code() == bip::already_exists_error) {
      return make_error(errc::conflict, "shared memory {} already exists", name);
    }
    bip::shared_memory_object::remove(name.c_str());
    return make_error(errc::crit_sys_resource, "cannot create shared memory {} of {} bytes: {}",
                      name, size, e.what());
  }
}

result<SharedRegion> SharedRegion::open(const std::string& name) {
  try {
    bip::shared_memory_object shm(bip::open_only, name.c_str(), bip::read_write);
    SharedRegion r;
    r.impl_ = std::make_unique<impl>();
    r.impl_->region = bip::mapped_region(shm, bip::read_write);
    r.data_ = r.impl_->region.get_address();
    r.size_ = r.impl_->region.get_size();
    r.name_ = name;
    return r;
  } catch (const bip::interprocess_exception& e) {
    if (e.get_error_code() == bip::not_found_error) {
      return make_error(errc::noent, "no shared memory named {}", name);
    }
    return make_error(errc::crit_sys_resource, "cannot map shared memory {}: {}", name, e.what());
  }
}

bool SharedRegion::remove(const std::string& name) {
  return bip::shared_memory_object::remove(name.c_str());
}

std::vector<std::string> SharedRegion::list(const std::string& prefix) {
  std::vector<std::string> out;
  DIR* d = ::opendir("/dev/shm");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

std::string region_name(const std::string& cluster, const std::string& what) {
  return "shoal." + cluster + "." + what;
}

status validate_cluster_name(const std::string& cluster) {
  bool ok = !cluster.empty() && cluster.size() <= 64;
  for (char c : cluster) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok || cluster == "." || cluster == "..") {
    return make_error(errc::invalid_arg, "invalid cluster name '{}': use 1 to 64 of [A-Za-z0-9._-]",
                      cluster);
  }
  return {};
}

}  // namespace shoal::ipc
