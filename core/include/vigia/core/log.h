// Logging: one named spdlog logger per stage ("core", "connectors", "rules", "alerting",
// "daemon"), all writing to stderr so stdout stays free for command output (vigia scan).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace vigia::log {

// Sets the level for every logger ("trace".."critical", "off"); unknown levels are rejected.
bool set_level(std::string_view level);

// The logger for `stage`, created on first use.
std::shared_ptr<spdlog::logger> get(const std::string& stage);

}  // namespace vigia::log
