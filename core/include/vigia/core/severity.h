// Severities, ordered: info < low < medium < high < critical. Rules assign one; routes and
// sinks filter on "at least".
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace vigia {

inline constexpr std::array<std::string_view, 5> kSeverities{"info", "low", "medium", "high", "critical"};

// 0 for "info" up to 4 for "critical"; nullopt for anything else.
inline std::optional<int> severity_rank(std::string_view name) {
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    if (kSeverities[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

}  // namespace vigia
