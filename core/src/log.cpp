#include "vigia/core/log.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace vigia::log {
namespace {

std::mutex& registry_mutex() {
  static std::mutex mu;
  return mu;
}

spdlog::level::level_enum& current_level() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

bool set_level(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") return false;
  std::lock_guard lock(registry_mutex());
  current_level() = parsed;
  spdlog::set_level(parsed);
  return true;
}

std::shared_ptr<spdlog::logger> get(const std::string& stage) {
  std::lock_guard lock(registry_mutex());
  if (auto existing = spdlog::get(stage)) return existing;
  auto logger = spdlog::stderr_color_mt(stage);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ [%n] %v", spdlog::pattern_time_type::utc);
  logger->set_level(current_level());
  return logger;
}

}  // namespace vigia::log
