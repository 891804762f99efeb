#include "file_connector.h"
#include "http_connector.h"
#include "vigia/connectors/connector.h"

namespace vigia::connectors {

void ConnectorRegistry::add(ConnectorKind kind) {
  for (auto& existing : kinds_) {
    if (existing.name == kind.name) {
      existing = std::move(kind);
      return;
    }
  }
  kinds_.push_back(std::move(kind));
}

const ConnectorKind* ConnectorRegistry::find(std::string_view name) const {
  for (const auto& kind : kinds_) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

void register_builtin_connectors(ConnectorRegistry& registry) {
  registry.add(http_connector_kind());
  registry.add(file_connector_kind());
}

}  // namespace vigia::connectors
