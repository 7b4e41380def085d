#include "common/logger.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

#include "common/assert.h"

namespace shoal {
namespace {

struct registry {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  spdlog::level::level_enum level = initial_level();

  static spdlog::level::level_enum initial_level() {
    const char* env = std::getenv("SHOAL_LOG_LEVEL");
    return env != nullptr ? spdlog::level::from_str(env) : spdlog::level::info;
  }
};

registry& get_registry() {
  static registry* r = new registry();  // never destroyed: loggers may be used during exit
  return *r;
}

}  // namespace

spdlog::logger& logger(std::string_view module) {
  auto& r = get_registry();
  std::lock_guard lock(r.mu);
  auto it = r.loggers.find(module);
  if (it == r.loggers.end()) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto l = std::make_shared<spdlog::logger>(std::string(module), std::move(sink));
    l->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    l->set_level(r.level);
    it = r.loggers.emplace(std::string(module), std::move(l)).first;
  }
  return *it->second;
}

void set_log_level(spdlog::level::level_enum level) {
  auto& r = get_registry();
  std::lock_guard lock(r.mu);
  r.level = level;
  for (auto& [_, l] : r.loggers) l->set_level(level);
}

namespace detail {
void assert_failed(const char* cond, const char* file, int line, const std::string& msg) {
  logger("assert").critical("assertion failed at {}:{}: {} {}", file, line, cond, msg);
  logger("assert").flush();
  std::abort();
}
}  // namespace detail

}  // namespace shoal
