// Which pipeline stages this process runs (`vigia run --role`). Embedded mode (bus.kind: memory)
// runs them all in one process; Kafka mode can split them so that each scales on its own:
// ingest publishes items, score turns items into hits, alert delivers hits to the sinks.
#pragma once

#include <optional>
#include <string_view>

namespace vigia::daemon {

enum class Role { kAll, kIngest, kScore, kAlert };

// "all", "ingest", "score" or "alert": the spelling of --role.
constexpr std::string_view role_name(Role role) {
  switch (role) {
    case Role::kAll:
      return "all";
    case Role::kIngest:
      return "ingest";
    case Role::kScore:
      return "score";
    case Role::kAlert:
      return "alert";
  }
  return "all";
}

// The inverse of role_name; nullopt for anything else.
constexpr std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::kAll, Role::kIngest, Role::kScore, Role::kAlert}) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

}  // namespace vigia::daemon
