#include "storage/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shoal::storage {
namespace {

error io_error(std::string_view op, const fs::path& p, int err) {
  return make_error(errc::kafka_storage_error, "{} {}: {}", op, p.string(), std::strerror(err));
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, fs::path p) : fd_(fd), path_(std::move(p)) {}
  ~PosixFile() override { ::close(fd_); }

  result<size_t> pread(void* buf, size_t n, int64_t off) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, static_cast<char*>(buf) + done, n - done, off + done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return io_error("read", path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

  status pwrite(const void* buf, size_t n, int64_t off) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pwrite(fd_, static_cast<const char*>(buf) + done, n - done, off + done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return io_error("write", path_, errno);
      }
      done += static_cast<size_t>(r);
    }
    return {};
  }

  status truncate(int64_t size) override {
    while (::ftruncate(fd_, size) != 0) {
      if (errno != EINTR) return io_error("truncate", path_, errno);
    }
    return {};
  }

  status sync() override {
    if (::fdatasync(fd_) != 0) return io_error("fsync", path_, errno);
    return {};
  }

  result<int64_t> size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return io_error("stat", path_, errno);
    return static_cast<int64_t>(st.st_size);
  }

  result<int64_t> mtime_ms() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return io_error("stat", path_, errno);
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  }

  const fs::path& path() const override { return path_; }

 private:
  int fd_;
  fs::path path_;
};

class PosixEnv final : public Env {
 public:
  result<std::unique_ptr<File>> open(const fs::path& p, open_options o) override {
    int flags = O_CLOEXEC | (o.read_only ? O_RDONLY : O_RDWR);
    if (o.create) flags |= O_CREAT;
    if (o.truncate) flags |= O_TRUNC;
    int fd = ::open(p.c_str(), flags, 0600);
    if (fd < 0) return io_error("open", p, errno);
    return std::unique_ptr<File>(new PosixFile(fd, p));
  }

  status rename(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return make_error(errc::kafka_storage_error, "rename {} to {}: {}", from.string(),
                        to.string(), std::strerror(errno));
    }
    return {};
  }

  status remove(const fs::path& p) override {
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return io_error("remove", p, errno);
    return {};
  }

  status sync_dir(const fs::path& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("open directory", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return io_error("fsync directory", dir, err);
    return {};
  }

  status create_dirs(const fs::path& dir) override {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return io_error("create directory", dir, ec.value());
    ::chmod(dir.c_str(), 0700);
    return {};
  }

  result<std::vector<std::string>> list_dir(const fs::path& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return io_error("list directory", dir, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    return names;
  }

  bool exists(const fs::path& p) override {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0;
  }
};

}  // namespace

Env* Env::posix() {
  static Env* env = new PosixEnv();
  return env;
}

status write_file_atomically(Env* env, const fs::path& path, std::string_view data) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    SHOAL_ASSIGN_OR_RETURN(auto f, env->open(tmp, {.create = true, .truncate = true}));
    SHOAL_TRY(f->pwrite(data.data(), data.size(), 0));
    SHOAL_TRY(f->sync());
  }
  SHOAL_TRY(env->rename(tmp, path));
  return env->sync_dir(path.parent_path());
}

result<std::string> read_small_file(Env* env, const fs::path& path) {
  SHOAL_ASSIGN_OR_RETURN(auto f, env->open(path, {.read_only = true}));
  SHOAL_ASSIGN_OR_RETURN(int64_t size, f->size());
  std::string s(static_cast<size_t>(size), '\0');
  SHOAL_ASSIGN_OR_RETURN(size_t n, f->pread(s.data(), s.size(), 0));
  s.resize(n);
  return s;
}

}  // namespace shoal::storage
