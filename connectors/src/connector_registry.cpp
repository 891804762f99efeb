#include "file_connector.h"
#include "http_connector.h"
#include "vigia/connectors/connector.h"

namespace vigia::connectors {

void register_builtin_connectors(ConnectorRegistry& registry) {
  registry.add(http_connector_kind());
  registry.add(file_connector_kind());
}

}  // namespace vigia::connectors
