// A registry of component kinds (connector kinds, sink kinds, ...): a name -> Kind table that
// the daemon fills explicitly at start-up (no static self-registration) and config loading
// resolves `type:` keys against. Kind is any struct with a `std::string name`.
// Not thread-safe for writes; read-only once filled.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vigia {

template <typename Kind>
class KindRegistry {
 public:
  // Throws std::invalid_argument for a name already registered: two kinds with one name would
  // make config resolution depend on registration order, which is a bug, not a feature.
  void add(Kind kind) {
    if (find(kind.name) != nullptr) throw std::invalid_argument("kind '" + kind.name + "' registered twice");
    kinds_.push_back(std::move(kind));
  }

  const Kind* find(std::string_view name) const {
    for (const auto& kind : kinds_) {
      if (kind.name == name) return &kind;
    }
    return nullptr;
  }

  const std::vector<Kind>& kinds() const { return kinds_; }

 private:
  std::vector<Kind> kinds_;
};

}  // namespace vigia
