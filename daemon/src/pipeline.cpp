#include "pipeline.h"

#include <cstdio>
#include <iostream>
#include <thread>

#include "vigia/alerting/alert_stage.h"
#include "vigia/connectors/ingest_stage.h"
#include "vigia/connectors/sqlite_feed_state.h"
#include "vigia/core/clock.h"
#include "vigia/core/http_client.h"
#include "vigia/core/log.h"
#include "vigia/core/memory_bus.h"
#include "vigia/daemon/admin_server.h"
#include "silence_api.h"
#include "vigia/daemon/rule_reloader.h"
#include "vigia/rules/detector_state.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/rule_store.h"
#include "vigia/rules/score_stage.h"

namespace vigia::daemon {

using namespace std::chrono_literals;

Registries::Registries() {
  connectors::register_builtin_connectors(connectors);
  alerting::register_builtin_sinks(sinks);
}

namespace {

// Stories, routing tree, silences and the API token; the first problem, if any.
std::optional<std::string> prepare_alerting(Prepared& p, const ClockPtr& clock) {
  const DaemonConfig& c = p.config;
  if (c.alerting.stories) {
    auto stories = alerting::StoryGrouper::open(c.alerting.story, clock, p.state_db);
    if (!stories.ok()) return "cannot load the alert stories: " + stories.error().message;
    p.stories = std::move(*stories);
  }
  if (c.routing) {
    auto router = alerting::Router::make(*c.routing);
    if (!router.ok()) return "routing: " + router.error().message;
    p.router = std::make_shared<const alerting::Router>(std::move(*router));
  }
  auto silences = alerting::SilenceStore::open(p.state_db);
  if (!silences.ok()) return "cannot load the silences: " + silences.error().message;
  p.silences = std::move(*silences);
  if (auto applied = p.silences->apply_config(c.silences, clock->now()); !applied.ok()) {
    return "silences: " + applied.error().message;
  }
  auto token = load_api_token(c.api);
  if (!token.ok()) return "api: " + token.error().message;
  p.api_token = std::move(*token);
  return std::nullopt;
}

}  // namespace

PrepareResult prepare(const std::filesystem::path& config_file, const Registries& registries, bool dry_run) {
  auto loaded = load_config(config_file, registries.connectors, registries.sinks);
  std::fputs(loaded.diagnostics.to_text().c_str(), stderr);
  if (!loaded.config) {
    std::fprintf(stderr, "vigia: %s has %zu error(s)\n", config_file.c_str(), loaded.diagnostics.error_count());
    return {std::nullopt, 2};
  }
  auto rules = rules::load_rule_set(loaded.config->rule_paths);
  std::fputs(rules.diagnostics.to_text().c_str(), stderr);
  if (!rules.rules) {
    std::fprintf(stderr, "vigia: rules could not be loaded (%zu error(s))\n", rules.diagnostics.error_count());
    return {std::nullopt, 2};
  }
  Prepared p{std::move(*loaded.config), std::move(rules.rules), nullptr, nullptr, {}, {}};

  if (dry_run) {
    p.feed_state = std::make_shared<connectors::MemoryFeedState>();
  } else {
    auto db = StateDb::open(p.config.state_dir / "vigia.db");
    if (!db.ok()) {
      std::fprintf(stderr, "vigia: cannot use the state directory: %s\n", db.error().message.c_str());
      return {std::nullopt, 1};
    }
    auto state = connectors::SqliteFeedState::open(*db);
    if (!state.ok()) {
      std::fprintf(stderr, "vigia: cannot use the state database: %s\n", state.error().message.c_str());
      return {std::nullopt, 1};
    }
    auto journal = ItemJournal::open(*db);
    if (!journal.ok()) {
      std::fprintf(stderr, "vigia: cannot use the state database: %s\n", journal.error().message.c_str());
      return {std::nullopt, 1};
    }
    p.state_db = *db;
    p.feed_state = *state;
    p.journal = *journal;
  }

  // Components check what a schema cannot (a URL's scheme, a file format) when they are built;
  // they throw std::invalid_argument, reported here at the component's place in the config.
  const ClockPtr clock = system_clock();
  const HttpClientPtr http = make_curl_http_client();
  Diagnostics diags;
  // Feeds share one multi-handle client: the global and per-host limits hold across all of them.
  const connectors::ConnectorServices feed_services{
      make_curl_multi_http_client({p.config.ingest.max_connections, p.config.ingest.max_per_host}), clock,
      p.feed_state};
  for (const auto& spec : p.config.feeds) {
    try {
      p.feeds.emplace_back(spec, registries.connectors.find(spec.type)->create(spec, feed_services));
    } catch (const std::invalid_argument& e) {
      diags.error("feed.invalid", e.what(), spec.where);
    }
  }
  if (auto problem = prepare_alerting(p, clock)) {
    std::fprintf(stderr, "vigia: %s\n", problem->c_str());
    return {std::nullopt, 2};
  }
  const alerting::SinkServices sink_services{http, clock, &std::cout};
  for (const auto& spec : p.config.sinks) {
    try {
      p.sinks.emplace_back(spec, registries.sinks.find(spec.type)->create(spec, sink_services));
    } catch (const std::invalid_argument& e) {
      diags.error("sink.invalid", e.what(), spec.where);
    }
  }
  if (diags.has_errors()) {
    std::fputs(diags.to_text().c_str(), stderr);
    std::fprintf(stderr, "vigia: %s has %zu error(s)\n", config_file.c_str(), diags.error_count());
    return {std::nullopt, 2};
  }
  return {std::move(p), 0};
}

struct Pipeline::Impl {
  explicit Impl(Prepared p)
      : prepared(std::move(p)),
        metrics(std::make_shared<prometheus::Registry>()),
        bus(prepared.config.bus_capacity),
        admin(*metrics, [this] { refresh_gauges(); }) {
    const DaemonConfig& c = prepared.config;

    gauge_family(*metrics, "vigia_build_info", "Build of the running daemon (value 1)")
        .Add({{"version", VIGIA_VERSION}})
        .Set(1);
    depth = &gauge_family(*metrics, "vigia_bus_queue_depth", "Records waiting on the in-process bus, by topic");

    const ClockPtr clock = system_clock();
    // Options are set field by field: each stage's options grow, and defaults must keep applying.
    alerting::AlertStageOptions alert_options;
    alert_options.dead_letter_path = c.state_dir / "dead-letters.jsonl";
    alert_options.shutdown_grace = c.shutdown_grace;
    alert_options.stories = prepared.stories;
    alert_options.digest_interval = c.alerting.digest_interval;
    alert_options.router = prepared.router;
    alert_options.silences = prepared.silences;
    alert_options.journal = prepared.journal;
    admin.enable_silence_api(prepared.silences, prepared.api_token, clock);
    alert = std::make_unique<alerting::AlertStage>(std::move(prepared.sinks), bus, *metrics, clock, alert_options);
    rules::ScoreStageOptions score_options;
    score_options.workers = c.scorer_workers;
    score_options.journal = prepared.journal;
    // Novelty and spike windows, kept in vigia.db so that restarts and reloads continue them.
    score_options.detectors = std::make_shared<rules::DetectorState>(prepared.state_db, clock, metrics.get());
    // The store is where a live reload swaps a checked set in; the score workers read it. It
    // takes the only reference, so that a set replaced by a reload is freed once workers move on.
    store = std::make_shared<rules::RuleStore>(std::move(prepared.rules));
    score = std::make_unique<rules::ScoreStage>(store, bus, *metrics, score_options);
    RuleReloaderOptions reload_options;
    reload_options.paths = c.rule_paths;
    reload_options.config_file = c.file;
    reloader = std::make_unique<RuleReloader>(store, bus, *metrics, clock, reload_options);
    connectors::IngestOptions ingest_options;
    ingest_options.workers = c.ingest.workers;
    ingest_options.dedup_capacity = c.ingest.dedup_memory;
    ingest_options.state_db = prepared.state_db;
    ingest_options.seen_ttl = c.ingest.seen_ttl;
    ingest_options.feed_state = prepared.feed_state;
    ingest_options.broken_after = c.ingest.broken_after;
    ingest_options.backoff.initial = c.ingest.backoff;
    ingest_options.backoff.max = c.ingest.max_backoff;
    ingest_options.journal = prepared.journal;
    ingest = std::make_unique<connectors::IngestStage>(std::move(prepared.feeds), bus, *metrics, clock, ingest_options);
  }

  void refresh_gauges() {
    for (auto topic : {topics::kItems, topics::kHits}) {
      depth->Add({{"topic", std::string(topic)}}).Set(static_cast<double>(bus.depth(topic)));
    }
  }

  // Waits for `topic` to be fully committed, checking `force` so a second signal cuts it short.
  bool drain(std::string_view topic, std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& force) {
    while (!force.load() && std::chrono::steady_clock::now() < deadline) {
      if (bus.wait_committed(topic, 100ms)) return true;
    }
    return bus.pending(topic) == 0;
  }

  Prepared prepared;
  MetricsRegistryPtr metrics;
  MemoryBus bus;
  AdminServer admin;
  prometheus::Family<prometheus::Gauge>* depth = nullptr;
  std::unique_ptr<alerting::AlertStage> alert;
  rules::RuleStorePtr store;
  std::unique_ptr<rules::ScoreStage> score;
  std::unique_ptr<RuleReloader> reloader;
  std::unique_ptr<connectors::IngestStage> ingest;
  bool started = false;
};

Pipeline::Pipeline(Prepared prepared) : impl_(std::make_unique<Impl>(std::move(prepared))) {}

Pipeline::~Pipeline() = default;

int Pipeline::admin_port() const { return impl_->admin.port(); }

Status Pipeline::start() {
  const DaemonConfig& c = impl_->prepared.config;
  auto log = log::get("daemon");
  if (!c.http_listen.empty()) {
    if (auto s = impl_->admin.start(c.http_listen); !s.ok()) return s;
    log->info("serving /metrics, /healthz and /readyz on {} (port {})", c.http_listen, impl_->admin.port());
  }
  if (auto s = impl_->reloader->start(); !s.ok()) return s;
  impl_->alert->start();
  impl_->score->start();
  if (const auto& journal = impl_->prepared.journal) {
    // Items a previous run took on and did not finish (it was killed): through the pipeline again
    // before anything new, so their alerts still go out.
    std::size_t replayed = 0;
    auto s = journal->replay([&](const std::string& key, const std::string& record) {
      ++replayed;
      return impl_->bus.publish(topics::kItems, key, record);
    });
    if (!s.ok()) log->error("replaying unfinished items failed: {}", s.error().message);
    if (replayed > 0) log->warn("replayed {} item(s) a previous run had not finished (their alerts go out again)", replayed);
  }
  impl_->ingest->start();
  impl_->started = true;
  impl_->admin.set_ready(true);
  const rules::RuleSetPtr rules = impl_->store->current().rules;
  log->info("running: {} feeds, {} rules (version {}), {} sinks", c.feeds.size(), rules->enabled_rule_count(),
            rules->version(), c.sinks.size());
  return ok_status();
}

void Pipeline::request_reload() { impl_->reloader->request(); }

void Pipeline::shutdown(const std::atomic<bool>& force) {
  if (!impl_->started) return;
  impl_->started = false;
  auto log = log::get("daemon");
  impl_->admin.set_ready(false);
  const auto deadline = std::chrono::steady_clock::now() + impl_->prepared.config.shutdown_grace;
  // No reload from here on (one in progress finishes first): the drain scores with the set in use.
  impl_->reloader->stop();

  // Stop taking new items; what the connectors already wrote is on the bus.
  impl_->ingest->stop();
  impl_->bus.close_topic(topics::kItems);
  if (!impl_->drain(topics::kItems, deadline, force)) impl_->score->abort();
  impl_->score->join();
  const std::size_t unscored = impl_->bus.pending(topics::kItems);

  // The alert stage delivers or dead-letters everything still pending within its own grace.
  impl_->bus.close_topic(topics::kHits);
  impl_->alert->drain_and_stop();
  const std::size_t undelivered = impl_->bus.pending(topics::kHits);

  if (unscored || undelivered) {
    log->warn("stopped with {} item(s) not scored and {} hit(s) not alerted: the grace period ({} ms) ran out",
              unscored, undelivered, impl_->prepared.config.shutdown_grace.count());
  } else {
    log->info("stopped cleanly: every accepted item was scored and every alert delivered or dead-lettered");
  }
  impl_->admin.stop();
}

}  // namespace vigia::daemon
