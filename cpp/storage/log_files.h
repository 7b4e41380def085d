// Every name the partition log gives a file, in one place. Segment files are named by their
// base offset in 20 zero-padded digits so that `ls` sorts them numerically, as Kafka does.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/types.h"

namespace shoal::storage::log_files {

namespace fs = std::filesystem;

inline constexpr std::string_view log_suffix = ".log";
inline constexpr std::string_view index_suffix = ".index";
inline constexpr std::string_view time_index_suffix = ".timeindex";
// Suffixes added to the above during deletion and compaction (see docs/log-layout.md).
inline constexpr std::string_view deleted_suffix = ".deleted";
inline constexpr std::string_view cleaned_suffix = ".cleaned";
inline constexpr std::string_view swap_suffix = ".swap";
inline constexpr std::string_view tmp_suffix = ".tmp";

// Written after a successful flush at close; removed at open. Its absence means the last run
// ended uncleanly and the log must be rescanned from the recovery point.
inline constexpr std::string_view clean_shutdown_file = "clean-shutdown";
// "recovery-point N\nlog-start-offset N\ncleaner-offset N\n", replaced atomically.
inline constexpr std::string_view checkpoint_file = "log-checkpoints";

// "00000000000000001234"
std::string segment_stem(offset base);
fs::path segment_file(const fs::path& dir, offset base, std::string_view suffix,
                      std::string_view extra_suffix = {});

// Parses "<20 digits><suffix>"; nullopt for any other name.
std::optional<offset> parse_segment_file(std::string_view name, std::string_view suffix);

}  // namespace shoal::storage::log_files
