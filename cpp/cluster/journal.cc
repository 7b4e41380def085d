#include "cluster/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/crc32c.h"
#include "common/endian.h"
#include "common/logger.h"

namespace shoal::cluster {

namespace {

spdlog::logger& log() {
  return logger("cluster");
}
constexpr size_t frame_header = 8;
constexpr uint32_t max_entry = 64u << 20;

error io_error(const char* op, const std::filesystem::path& p) {
  return make_error(errc::kafka_storage_error, "{} {}: {}", op, p.string(), std::strerror(errno));
}

class FileLockGuard {
 public:
  explicit FileLockGuard(int fd) : fd_(fd) { ::flock(fd_, LOCK_EX); }
  ~FileLockGuard() { ::flock(fd_, LOCK_UN); }

 private:
  int fd_;
};

}  // namespace

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

result<std::unique_ptr<Journal>> Journal::open(const std::filesystem::path& path,
                                               MetadataImage& image) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  auto j = std::unique_ptr<Journal>(new Journal());
  j->path_ = path;
  j->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (j->fd_ < 0) return io_error("open", path);
  FileLockGuard lock(j->fd_);
  struct stat st;
  if (::fstat(j->fd_, &st) != 0) return io_error("stat", path);
  storage::bytes data(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::pread(j->fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  size_t pos = 0;
  int applied = 0, ignored = 0;
  std::string stop;
  while (pos < data.size()) {
    if (data.size() - pos < frame_header) {
      stop = "a partial frame header";
      break;
    }
    uint32_t len = load_be<uint32_t>(data.data() + pos);
    uint32_t crc = load_be<uint32_t>(data.data() + pos + 4);
    if (len > max_entry || len > data.size() - pos - frame_header) {
      stop = fmt::format("a frame of {} bytes runs past the end", len);
      break;
    }
    storage::bytes_view payload(data.data() + pos + frame_header, len);
    if (crc32c(payload) != crc) {
      stop = "a CRC mismatch";
      break;
    }
    auto entry = decode_entry(payload);
    if (!entry) {
      stop = entry.err().message;
      break;
    }
    if (image.apply(*entry)) {
      ++applied;
    } else {
      ++ignored;  // from a deposed controller, or not applicable: harmless by design
    }
    pos += frame_header + len;
  }
  if (pos < data.size()) {
    log().warn("metadata journal {}: cutting {} bytes at position {} ({})", path.string(),
               data.size() - pos, pos, stop);
    if (::ftruncate(j->fd_, static_cast<off_t>(pos)) != 0 || ::fdatasync(j->fd_) != 0) {
      return io_error("truncate", path);
    }
  }
  log().debug("metadata journal {}: {} records applied, {} ignored, {} topics", path.string(),
              applied, ignored, image.topics.size());
  return j;
}

status Journal::append(const std::vector<JournalEntry>& entries) {
  storage::bytes frames;
  for (const auto& e : entries) {
    storage::bytes payload = encode_entry(e);
    size_t at = frames.size();
    frames.resize(at + frame_header + payload.size());
    store_be<uint32_t>(frames.data() + at, static_cast<uint32_t>(payload.size()));
    store_be<uint32_t>(frames.data() + at + 4, crc32c(payload));
    std::memcpy(frames.data() + at + frame_header, payload.data(), payload.size());
  }
  FileLockGuard lock(fd_);
  struct stat st;
  if (::fstat(fd_, &st) != 0) return io_error("stat", path_);
  off_t end = st.st_size;
  size_t done = 0;
  while (done < frames.size()) {
    ssize_t n =
        ::pwrite(fd_, frames.data() + done, frames.size() - done, end + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto e = io_error("write", path_);
      (void)!::ftruncate(fd_, end);
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    auto e = io_error("fsync", path_);
    (void)!::ftruncate(fd_, end);
    return e;
  }
  return {};
}

}  // namespace shoal::cluster
