#include "file_connector.h"
#include "gdelt_connector.h"
#include "http_connector.h"
#include "json_api_connector.h"
#include "vigia/connectors/connector.h"

namespace vigia::connectors {

void register_builtin_connectors(ConnectorRegistry& registry) {
  registry.add(http_connector_kind());
  registry.add(file_connector_kind());
  registry.add(gdelt_connector_kind());
  registry.add(json_api_connector_kind());
}

}  // namespace vigia::connectors
