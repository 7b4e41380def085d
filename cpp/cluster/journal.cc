#include "cluster/journal.h"

#include "common/crc32c.h"
#include "common/endian.h"
#include "common/logger.h"

namespace shoal::cluster {

namespace {
spdlog::logger& log() { return logger("cluster"); }
constexpr size_t frame_header = 8;
constexpr uint32_t max_entry = 64u << 20;
}  // namespace

result<std::unique_ptr<Journal>> Journal::open(const std::filesystem::path& path,
                                               MetadataImage& image, storage::Env* env) {
  SHOAL_TRY(env->create_dirs(path.parent_path()));
  auto j = std::make_unique<Journal>();
  SHOAL_ASSIGN_OR_RETURN(j->file_, env->open(path, {.create = true}));
  SHOAL_ASSIGN_OR_RETURN(int64_t size, j->file_->size());
  storage::bytes data(static_cast<size_t>(size));
  SHOAL_ASSIGN_OR_RETURN(size_t got, j->file_->pread(data.data(), data.size(), 0));
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
    SHOAL_TRY(j->file_->truncate(static_cast<int64_t>(pos)));
    SHOAL_TRY(j->file_->sync());
  }
  j->size_ = static_cast<int64_t>(pos);
  log().info("metadata journal {}: {} records applied, {} ignored, {} topics", path.string(),
             applied, ignored, image.topics.size());
  return j;
}

status Journal::append(const JournalEntry& e) {
  storage::bytes payload = encode_entry(e);
  storage::bytes frame(frame_header + payload.size());
  store_be<uint32_t>(frame.data(), static_cast<uint32_t>(payload.size()));
  store_be<uint32_t>(frame.data() + 4, crc32c(payload));
  std::copy(payload.begin(), payload.end(), frame.begin() + frame_header);
  auto st = file_->pwrite(frame.data(), frame.size(), size_);
  if (st) st = file_->sync();
  if (!st) {
    (void)file_->truncate(size_);
    return st;
  }
  size_ += static_cast<int64_t>(frame.size());
  return {};
}

}  // namespace shoal::cluster
