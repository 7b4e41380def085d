#include "storage/log_files.h"

#include <fmt/format.h>

namespace shoal::storage::log_files {

std::string segment_stem(offset base) {
  return fmt::format("{:020d}", base());
}

fs::path segment_file(const fs::path& dir, offset base, std::string_view suffix,
                      std::string_view extra_suffix) {
  std::string name = segment_stem(base);
  name += suffix;
  name += extra_suffix;
  return dir / name;
}

std::optional<offset> parse_segment_file(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (INT64_MAX - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return offset(v);
}

}  // namespace shoal::storage::log_files
