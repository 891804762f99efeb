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
#include "vigia/core/item_journal.h"
#include "vigia/core/result.h"
#include "vigia/core/state_db.h"
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
  StateDbPtr state_db;                       // null for a dry run
  connectors::FeedStatePtr feed_state;       // on state_db, or in memory for a dry run
  std::vector<std::pair<connectors::FeedSpec, connectors::ConnectorPtr>> feeds;
  std::vector<std::pair<alerting::SinkSpec, alerting::SinkPtr>> sinks;
  // Alerting state and routing (null when not configured; stories and silences in memory for a
  // dry run).
  std::shared_ptr<alerting::StoryGrouper> stories;
  std::shared_ptr<const alerting::Router> router;
  std::shared_ptr<alerting::SilenceStore> silences;
  std::string api_token;  // "" keeps the silences API closed
  ItemJournalPtr journal;  // items taken on but not finished (null for a dry run)
};

struct PrepareResult {
  std::optional<Prepared> prepared;
  int exit_code = 0;  // when not prepared: 2 for bad config or rules, 1 for an unusable state dir
};

// Loads and validates the config and the rules it names, opens the state database (unless
// `dry_run`: `config check` must not create files) and builds the connectors and sinks of
// `role` (a score process needs no receiver secrets), printing diagnostics to stderr. A role
// other than kAll needs bus.kind kafka (exit code 2 otherwise).
PrepareResult prepare(const std::filesystem::path& config_file, const Registries& registries, bool dry_run,
                      Role role = Role::kAll);

class Pipeline {
 public:
  explicit Pipeline(Prepared prepared);
  ~Pipeline();

  // Starts the admin endpoints and every stage, consumers first. Fails if the admin port cannot
  // be bound.
  Status start();
  // Drains and stops. `force` cuts the drain short (a second SIGTERM).
  void shutdown(const std::atomic<bool>& force);
  // Asks for a live reload of the rule files (SIGHUP): returns at once, the reload runs on the
  // reloader's own thread (see vigia/daemon/rule_reloader.h). Safe from any thread.
  void request_reload();
  int admin_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigia::daemon
