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
#include "vigia/core/kafka_bus.h"
#include "vigia/core/kafka_key_ownership.h"
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

PrepareResult prepare(const std::filesystem::path& config_file, const Registries& registries, bool dry_run,
                      Role role) {
  auto loaded = load_config(config_file, registries.connectors, registries.sinks);
  std::fputs(loaded.diagnostics.to_text().c_str(), stderr);
  if (!loaded.config) {
    std::fprintf(stderr, "vigia: %s has %zu error(s)\n", config_file.c_str(), loaded.diagnostics.error_count());
    return {std::nullopt, 2};
  }
  if (role != Role::kAll && loaded.config->bus_kind != "kafka") {
    std::fprintf(stderr, "vigia: --role %s needs bus.kind: kafka (embedded mode runs every stage in one process)\n",
                 std::string(role_name(role)).c_str());
    return {std::nullopt, 2};
  }
  loaded.config->role = role;
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
    // Kafka mode: a feed's validators and cursors travel in its checkpoint on the feeds topic,
    // written once its items are acknowledged; a local copy could run ahead of what Kafka has.
    p.feed_state = p.config.bus_kind == "kafka" ? connectors::FeedStatePtr(std::make_shared<connectors::MemoryFeedState>())
                                                : connectors::FeedStatePtr(*state);
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
  const bool ingests = role == Role::kAll || role == Role::kIngest;
  const bool alerts = role == Role::kAll || role == Role::kAlert;
  for (const auto& spec : p.config.feeds) {
    if (!ingests) break;
    try {
      p.feeds.emplace_back(spec, registries.connectors.find(spec.type)->create(spec, feed_services));
    } catch (const std::invalid_argument& e) {
      diags.error("feed.invalid", e.what(), spec.where);
    }
  }
  if (!alerts) {
    // Nothing to deliver in this process: no receiver secrets needed, no story state opened.
  } else if (auto problem = prepare_alerting(p, clock)) {
    std::fprintf(stderr, "vigia: %s\n", problem->c_str());
    return {std::nullopt, 2};
  }
  const alerting::SinkServices sink_services{http, clock, &std::cout};
  for (const auto& spec : p.config.sinks) {
    if (!alerts) break;
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

namespace {

bool runs(Role role, Role stage) { return role == Role::kAll || role == stage; }

KafkaBusOptions kafka_bus_options(const KafkaConfig& k, MetricsRegistry* metrics) {
  KafkaBusOptions o;
  o.properties = k.properties;
  for (const auto* t : {&k.items, &k.hits, &k.dlq, &k.feeds}) {
    if (t->linger_ms >= 0) o.linger_ms[t->name] = t->linger_ms;
  }
  o.dead_letter_topic = k.dlq.name;
  o.metrics = metrics;
  return o;
}

// The topics a Kafka deployment needs; vigia.feeds is compacted: only each feed's last checkpoint matters.
std::vector<KafkaTopicSpec> kafka_topics(const KafkaConfig& k) {
  std::vector<KafkaTopicSpec> specs;
  for (const auto* t : {&k.items, &k.hits, &k.dlq}) specs.push_back({t->name, t->partitions, k.replication_factor, {}});
  specs.push_back({k.feeds.name, k.feeds.partitions, k.replication_factor, {{"cleanup.policy", "compact"}}});
  return specs;
}

}  // namespace

struct Pipeline::Impl {
  explicit Impl(Prepared p)
      : prepared(std::move(p)), metrics(std::make_shared<MetricsRegistry>()), admin(*metrics, [this] {
          refresh_gauges();
        }) {}

  // Builds the stages of this process's role on the configured bus. Fails on a Kafka config
  // librdkafka refuses or topics that cannot be created.
  Status build() {
    const DaemonConfig& c = prepared.config;
    const Role role = c.role;
    gauge_family(*metrics, "vigia_build_info", "Build of the running daemon (value 1)")
        .Add({{"version", VIGIA_VERSION}, {"role", std::string(role_name(role))}, {"bus", c.bus_kind}})
        .Set(1);
    std::string items_topic{topics::kItems};
    std::string hits_topic{topics::kHits};
    const bool kafka = c.bus_kind == "kafka";
    if (kafka) {
      items_topic = c.kafka.items.name;
      hits_topic = c.kafka.hits.name;
      if (c.kafka.create_topics) {
        if (auto s = create_kafka_topics(c.kafka.properties, kafka_topics(c.kafka), std::chrono::seconds(30)); !s.ok()) {
          return s;
        }
      }
      auto created = KafkaBus::create(kafka_bus_options(c.kafka, metrics.get()));
      if (!created.ok()) return created.error();
      kafka_bus = std::move(*created);
      bus = kafka_bus.get();
      in_flight = &gauge_family(*metrics, "vigia_kafka_records_in_flight",
                                "Records sent to Kafka and not yet acknowledged by the brokers")
                       .Add({});
    } else {
      memory_bus = std::make_unique<MemoryBus>(c.bus_capacity);
      bus = memory_bus.get();
      depth = &gauge_family(*metrics, "vigia_bus_queue_depth", "Records waiting on the in-process bus, by topic");
    }
    // Kafka offsets carry at-least-once between processes; the journal is embedded mode's.
    ItemJournalPtr journal = kafka ? nullptr : prepared.journal;
    const ClockPtr clock = system_clock();

    if (runs(role, Role::kAlert)) {
      // Options are set field by field: each stage's options grow, and defaults must keep applying.
      alerting::AlertStageOptions alert_options;
      alert_options.topic = hits_topic;
      if (kafka) alert_options.group = c.kafka.group_prefix + "-alert";
      alert_options.dead_letter_path = c.state_dir / "dead-letters.jsonl";
      alert_options.shutdown_grace = c.shutdown_grace;
      alert_options.stories = prepared.stories;
      alert_options.digest_interval = c.alerting.digest_interval;
      alert_options.router = prepared.router;
      alert_options.silences = prepared.silences;
      alert_options.journal = journal;
      admin.enable_silence_api(prepared.silences, prepared.api_token, clock);
      alert = std::make_unique<alerting::AlertStage>(std::move(prepared.sinks), *bus, *metrics, clock, alert_options);
    }
    // The store is where a live reload swaps a checked set in; the score workers read it. It
    // takes the only reference, so that a set replaced by a reload is freed once workers move on.
    store = std::make_shared<rules::RuleStore>(std::move(prepared.rules));
    if (runs(role, Role::kScore)) {
      rules::ScoreStageOptions score_options;
      score_options.workers = c.scorer_workers;
      score_options.journal = journal;
      score_options.items_topic = items_topic;
      score_options.hits_topic = hits_topic;
      if (kafka) {
        score_options.group = c.kafka.group_prefix + "-score";
        score_options.split_hits_by_rule = true;
      }
      // Novelty and spike windows, kept in vigia.db so that restarts and reloads continue them.
      score_options.detectors = std::make_shared<rules::DetectorState>(prepared.state_db, clock, metrics.get());
      score = std::make_unique<rules::ScoreStage>(store, *bus, *metrics, score_options);
      RuleReloaderOptions reload_options;
      reload_options.paths = c.rule_paths;
      reload_options.config_file = c.file;
      reload_options.events_topic = hits_topic;
      reloader = std::make_unique<RuleReloader>(store, *bus, *metrics, clock, reload_options);
    }
    if (runs(role, Role::kIngest)) {
      connectors::IngestOptions ingest_options;
      ingest_options.workers = c.ingest.workers;
      ingest_options.dedup_capacity = c.ingest.dedup_memory;
      ingest_options.seen_ttl = c.ingest.seen_ttl;
      ingest_options.broken_after = c.ingest.broken_after;
      ingest_options.backoff.initial = c.ingest.backoff;
      ingest_options.backoff.max = c.ingest.max_backoff;
      ingest_options.topic = items_topic;
      ingest_options.events_topic = hits_topic;
      if (kafka) {
        // A feed's dedup state lives in its checkpoint on the feeds topic, written only once its
        // items are acknowledged: a local database could say "seen" for an item Kafka never got.
        ingest_options.feed_state = prepared.feed_state;  // in memory (prepare())
        KafkaKeyOwnershipOptions owner_options;
        owner_options.topic = c.kafka.feeds.name;
        owner_options.group = c.kafka.group_prefix + "-ingest";
        for (const auto& [spec, connector] : prepared.feeds) owner_options.keys.push_back(spec.name);
        auto ownership = std::make_shared<KafkaKeyOwnership>(kafka_bus_options(c.kafka, metrics.get()), owner_options);
        if (auto connected = ownership->connect(); !connected.ok()) return connected;
        ingest_options.ownership = ownership;
      } else {
        ingest_options.state_db = prepared.state_db;
        ingest_options.feed_state = prepared.feed_state;
        ingest_options.journal = journal;
      }
      ingest = std::make_unique<connectors::IngestStage>(std::move(prepared.feeds), *bus, *metrics, clock, ingest_options);
    }
    return ok_status();
  }

  void refresh_gauges() {
    if (memory_bus) {
      for (auto topic : {topics::kItems, topics::kHits}) {
        depth->Add({{"topic", std::string(topic)}}).Set(static_cast<double>(memory_bus->depth(topic)));
      }
    }
    if (kafka_bus) in_flight->Set(static_cast<double>(kafka_bus->in_flight()));
  }

  // Waits for `topic` to be fully committed, checking `force` so a second signal cuts it short.
  bool drain(std::string_view topic, std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& force) {
    while (!force.load() && std::chrono::steady_clock::now() < deadline) {
      if (memory_bus->wait_committed(topic, 100ms)) return true;
    }
    return memory_bus->pending(topic) == 0;
  }

  void shutdown_embedded(const std::atomic<bool>& force, std::chrono::steady_clock::time_point deadline);
  void shutdown_kafka(std::chrono::steady_clock::time_point deadline);

  Prepared prepared;
  MetricsRegistryPtr metrics;
  std::unique_ptr<MemoryBus> memory_bus;
  std::unique_ptr<KafkaBus> kafka_bus;
  Bus* bus = nullptr;
  AdminServer admin;
  prometheus::Family<prometheus::Gauge>* depth = nullptr;
  prometheus::Gauge* in_flight = nullptr;
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
  // Built before the admin server serves anything: a scrape reads the gauges build() creates.
  if (auto built = impl_->build(); !built.ok()) return built;
  if (!c.http_listen.empty()) {
    if (auto s = impl_->admin.start(c.http_listen); !s.ok()) return s;
    log->info("serving /metrics, /healthz and /readyz on {} (port {})", c.http_listen, impl_->admin.port());
  }
  if (impl_->reloader) {
    if (auto s = impl_->reloader->start(); !s.ok()) return s;
  }
  if (impl_->alert) impl_->alert->start();
  if (impl_->score) impl_->score->start();
  if (const auto& journal = impl_->prepared.journal; journal && impl_->memory_bus) {
    // Items a previous run took on and did not finish (it was killed): through the pipeline again
    // before anything new, so their alerts still go out.
    std::size_t replayed = 0;
    auto s = journal->replay([&](const std::string& key, const std::string& record) {
      ++replayed;
      return impl_->bus->publish(topics::kItems, key, record);
    });
    if (!s.ok()) log->error("replaying unfinished items failed: {}", s.error().message);
    if (replayed > 0) log->warn("replayed {} item(s) a previous run had not finished (their alerts go out again)", replayed);
  }
  if (impl_->ingest) impl_->ingest->start();
  impl_->started = true;
  impl_->admin.set_ready(true);
  const rules::RuleSetPtr rules = impl_->store->current().rules;
  log->info("running as {} on the {} bus: {} feeds, {} rules (version {}), {} sinks", role_name(c.role), c.bus_kind,
            impl_->ingest ? c.feeds.size() : 0, impl_->score ? rules->enabled_rule_count() : 0, rules->version(),
            impl_->alert ? c.sinks.size() : 0);
  return ok_status();
}

void Pipeline::request_reload() {
  if (impl_->reloader) impl_->reloader->request();
}

void Pipeline::shutdown(const std::atomic<bool>& force) {
  if (!impl_->started) return;
  impl_->started = false;
  impl_->admin.set_ready(false);
  const auto deadline = std::chrono::steady_clock::now() + impl_->prepared.config.shutdown_grace;
  // No reload from here on (one in progress finishes first): the drain scores with the set in use.
  if (impl_->reloader) impl_->reloader->stop();
  if (impl_->memory_bus) {
    impl_->shutdown_embedded(force, deadline);
  } else {
    impl_->shutdown_kafka(deadline);
  }
  impl_->admin.stop();
}

void Pipeline::Impl::shutdown_embedded(const std::atomic<bool>& force, std::chrono::steady_clock::time_point deadline) {
  auto log = log::get("daemon");
  // Stop taking new items; what the connectors already wrote is on the bus.
  ingest->stop();
  memory_bus->close_topic(topics::kItems);
  if (!drain(topics::kItems, deadline, force)) score->abort();
  score->join();
  const std::size_t unscored = memory_bus->pending(topics::kItems);

  // The alert stage delivers or dead-letters everything still pending within its own grace.
  memory_bus->close_topic(topics::kHits);
  alert->drain_and_stop();
  const std::size_t undelivered = memory_bus->pending(topics::kHits);

  if (unscored || undelivered) {
    log->warn("stopped with {} item(s) not scored and {} hit(s) not alerted: the grace period ({} ms) ran out",
              unscored, undelivered, prepared.config.shutdown_grace.count());
  } else {
    log->info("stopped cleanly: every accepted item was scored and every alert delivered or dead-lettered");
  }
}

// Kafka mode: each stage finishes the records it holds, commits them and leaves its group; what
// it had not taken stays on Kafka for the group's other members (or for this one's restart).
void Pipeline::Impl::shutdown_kafka(std::chrono::steady_clock::time_point deadline) {
  auto log = log::get("daemon");
  const auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  };
  const DaemonConfig& c = prepared.config;
  if (ingest) ingest->stop();  // releases its feeds: each stores its checkpoint first
  if (score) {
    kafka_bus->close_topic(c.kafka.items.name);
    score->join();  // workers finish their record; each consumer commits and leaves
  }
  if (alert) {
    kafka_bus->close_topic(c.kafka.hits.name);
    alert->drain_and_stop();
    alert.reset();  // its consumer commits the delivered records and leaves
  }
  if (kafka_bus->flush(left())) {
    log->info("stopped cleanly: everything this process produced is acknowledged by Kafka");
  } else {
    log->warn("stopped with {} record(s) not acknowledged by Kafka: the grace period ({} ms) ran out; their "
              "inputs were not committed and will be read again",
              kafka_bus->in_flight(), c.shutdown_grace.count());
  }
}

}  // namespace vigia::daemon
