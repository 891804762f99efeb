// The config sections for routing and silences: `time_intervals`, `routing`,
// `silences` and `api`, read into DaemonConfig by the same two-pass scheme as
// the rest of the config file (positions kept, every problem a Diagnostic,
// unknown keys with a suggestion). Kept apart from config.cpp so the sections
// can grow without touching the feed/sink reader.
#pragma once

#include "vigia/core/yaml_doc.h"
#include "vigia/daemon/config.h"

namespace vigia::daemon {

// The top-level keys this reader owns, for config.cpp's unknown-key check.
const std::vector<std::string>& routing_config_keys();

// Reads the sections from `doc`'s root into `c`. Runs after the sinks were
// read: receivers name sinks, and a route to a sink that is not defined is an
// error (one that is disabled, a warning, and the name is dropped from that
// route).
void read_routing_config(const YamlDoc& doc, DaemonConfig& c);

}  // namespace vigia::daemon
