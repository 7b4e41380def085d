// One named spdlog logger per module ("storage", "ipc", "broker", ...). Messages about a
// partition carry a "[topic/partition]" prefix, added by the caller.
//
// The level comes from SHOAL_LOG_LEVEL (trace, debug, info, warn, error, off; default info).
// Loggers write to stderr; the broker redirects stderr to its log file.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace shoal {

// Returns the module's logger, creating it on first use. Thread-safe.
spdlog::logger& logger(std::string_view module);

// Sets the level of every Shoal logger, present and future.
void set_log_level(spdlog::level::level_enum level);

}  // namespace shoal
