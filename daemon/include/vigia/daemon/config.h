// The daemon's configuration file (config/vigia.yaml is the embedded default). Loaded in two
// passes like rule files: YAML with positions, then validation into typed structs, where every
// problem is a Diagnostic at file:line:col and unknown keys come with a suggestion. Relative
// paths are taken from the config file's folder, so `vigia run --config X` works from anywhere.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vigia/alerting/sink.h"
#include "vigia/connectors/connector.h"
#include "vigia/core/diagnostics.h"

namespace vigia::daemon {

struct DaemonConfig {
  std::filesystem::path file;
  std::string log_level = "info";
  std::string http_listen = "127.0.0.1:9464";  // "" disables /metrics, /healthz and /readyz
  std::filesystem::path state_dir;             // dead letters live here
  std::size_t bus_capacity = 1024;
  std::vector<std::filesystem::path> rule_paths;
  std::size_t scorer_workers = 2;
  std::size_t ingest_workers = 4;
  std::chrono::milliseconds shutdown_grace{10'000};
  std::vector<connectors::FeedSpec> feeds;  // enabled feeds only
  std::vector<alerting::SinkSpec> sinks;    // enabled sinks only
};

struct ConfigLoad {
  std::optional<DaemonConfig> config;  // nullopt when any error was found
  Diagnostics diagnostics;
};

ConfigLoad load_config(const std::filesystem::path& file, const connectors::ConnectorRegistry& connectors,
                       const alerting::SinkRegistry& sinks);

// Same, from text (tests); relative paths resolve against `file`'s folder.
ConfigLoad load_config_text(const std::string& file, const std::string& text,
                            const connectors::ConnectorRegistry& connectors, const alerting::SinkRegistry& sinks);

}  // namespace vigia::daemon
