// The `bus:` section of the config file: the bus kind, the memory bus's capacity, and for Kafka
// mode the librdkafka properties (secrets read from variables or files), the topics and the
// consumer groups. Read by the same two-pass scheme as the rest of the config (positions kept,
// every problem a Diagnostic, unknown keys with a suggestion); kept apart from config.cpp so that
// Kafka settings can grow without touching the feed/sink reader.
#pragma once

#include "vigia/core/yaml_doc.h"
#include "vigia/daemon/config.h"

namespace vigia::daemon {

// Reads `bus` (a node of `doc`; may be null: all defaults) into c.bus_kind, c.bus_capacity and
// c.kafka. Secret values ({env: VAR}, {file: PATH}) are read here, once; diagnostics name the
// variable or the file, never a value.
void read_bus_config(const YamlDoc& doc, const YAML::Node& bus, DaemonConfig& c);

}  // namespace vigia::daemon
