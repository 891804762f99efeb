// Embedded mode: every stage in one process, meeting only through a MemoryBus.
//   ingest (connectors) -> vigia.items -> score (rules) -> vigia.hits -> alert (sinks)
// Start-up is an ordered list of small steps; shutdown drains the bus stage by stage so that
// items already accepted are scored and their alerts delivered or dead-lettered — and whatever
// the grace period could not finish is counted and logged, never silently dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "vigia/alerting/sink.h"
#include "vigia/connectors/connector.h"
#include "vigia/core/result.h"
#include "vigia/daemon/config.h"
#include "vigia/rules/rule_set.h"

namespace vigia::daemon {

struct Registries {
  connectors::ConnectorRegistry connectors;
  alerting::SinkRegistry sinks;
  Registries();
};

// Everything `run` needs, built and validated but not started.
struct Prepared {
  DaemonConfig config;
  rules::RuleSetPtr rules;
  std::vector<std::pair<connectors::FeedSpec, connectors::ConnectorPtr>> feeds;
  std::vector<std::pair<alerting::SinkSpec, alerting::SinkPtr>> sinks;
};

// Loads and validates the config and the rules it names and builds every connector and sink,
// printing diagnostics to stderr. `config check` stops here; `run` goes on.
std::optional<Prepared> prepare(const std::filesystem::path& config_file, const Registries& registries);

class Pipeline {
 public:
  explicit Pipeline(Prepared prepared);
  ~Pipeline();

  // Starts the admin endpoints and every stage, consumers first. Fails if the admin port cannot
  // be bound.
  Status start();
  // Drains and stops. `force` cuts the drain short (a second SIGTERM).
  void shutdown(const std::atomic<bool>& force);
  int admin_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigia::daemon
