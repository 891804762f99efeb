#include "vigia/rules/score_stage.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "vigia/core/codec.h"
#include "vigia/core/log.h"
#include "vigia/rules/scorer.h"

namespace vigia::rules {

using namespace std::chrono_literals;

// vigia_rule_matches_total series by their labels (rule, category, severity): keyed by all three
// so that a reload that changes a rule's severity counts it under the new labels.
using MatchCounters = std::map<std::tuple<std::string, std::string, std::string>, prometheus::Counter*, std::less<>>;
using MatchCountersPtr = std::shared_ptr<const MatchCounters>;

// What one worker scores with: a snapshot of the store and a Scorer (owning its Hyperscan scratch)
// built for exactly that set.
struct WorkerRules {
  RuleSetPtr rules;
  std::uint64_t generation = 0;  // the store starts at 1, so a fresh worker always loads
  std::unique_ptr<Scorer> scorer;
  MatchCountersPtr counters;
};

struct ScoreStage::Impl {
  Impl(RuleStorePtr r, Bus& b, MetricsRegistry& m, ScoreStageOptions o)
      : store(std::move(r)),
        bus(b),
        options(std::move(o)),
        received(
            counter_family(m, "vigia_rules_items_received_total", "Items taken from the bus by the scorer").Add({})),
        scored(counter_family(m, "vigia_rules_items_scored_total", "Items scored against the rule set").Add({})),
        hits_sent(counter_family(m, "vigia_rules_hits_sent_total", "Hits published for the alert stage").Add({})),
        errors(counter_family(m, "vigia_rules_errors_total", "Scoring failures by reason")),
        discarded(counter_family(m, "vigia_rules_items_discarded_total", "Items that could not be scored, by reason")),
        matches(counter_family(m, "vigia_rule_matches_total", "Rule matches by rule, category and severity")),
        entity_matches(counter_family(m, "vigia_rules_entity_matches_total",
                                      "Matching items per entity of a rule-pack list (e.g. a state), by category")),
        detector_signals(counter_family(m, "vigia_rules_detector_signals_total",
                                        "Signals of the stateful detectors by detector, category and severity")),
        scan_seconds(histogram_family(m, "vigia_rules_scan_duration_seconds", "Time to score one item")
                         .Add({}, prometheus::Histogram::BucketBoundaries{1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3,
                                                                          2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.5})),
        ruleset_info(
            gauge_family(m, "vigia_rules_ruleset_info", "The loaded rule set (value 1), labelled by its version hash")),
        rule_count(gauge_family(m, "vigia_rules_enabled_rules", "Enabled rules in the loaded set").Add({})),
        expression_count(
            gauge_family(m, "vigia_rules_expressions", "Expressions compiled into the Hyperscan database").Add({})),
        compile_seconds(
            gauge_family(m, "vigia_rules_compile_duration_seconds", "Time the loaded rule set took to compile")
                .Add({})) {
    // Called at once with the current set, then before every swap becomes visible to workers.
    listener =
        store->add_listener([this](const RuleSetPtr& previous, const RuleSetPtr& next) { on_swap(previous, next); });
  }

  ~Impl() { store->remove_listener(listener); }

  // Runs on the thread that swaps the store (the reloader), never on a worker.
  void on_swap(const RuleSetPtr& previous, const RuleSetPtr& next) {
    std::lock_guard lock(counters_mu);
    if (info_series && (!previous || previous->version() != next->version())) ruleset_info.Remove(info_series);
    info_series = &ruleset_info.Add({{"version", next->version()}});
    info_series->Set(1);
    rule_count.Set(static_cast<double>(next->enabled_rule_count()));
    expression_count.Set(static_cast<double>(next->expressions().size()));
    compile_seconds.Set(next->compile_seconds());
    // Copy on write: workers keep reading the map they hold while this one is built. Series of
    // rules that went away stay (a counter must not vanish from a scrape); new rules start at 0.
    auto next_counters = std::make_shared<MatchCounters>(match_counters ? *match_counters : MatchCounters{});
    for (const auto& rule : next->rules()) {
      if (!rule.enabled) continue;
      next_counters->try_emplace(
          {rule.id, rule.category, rule.severity},
          &matches.Add({{"rule", rule.id}, {"category", rule.category}, {"severity", rule.severity}}));
    }
    match_counters = std::move(next_counters);
    // Every enabled detector's signal series from zero, like the rules' matches.
    for (const auto& d : next->novelty()) {
      if (d.enabled) detector_signals.Add({{"detector", d.id}, {"category", d.category}, {"severity", d.severity}});
    }
    for (const auto& d : next->spikes()) {
      if (d.enabled) detector_signals.Add({{"detector", d.id}, {"category", d.category}, {"severity", d.severity}});
    }
  }

  // Between two items: picks up the store's current set if it changed since this worker last
  // looked. Builds the new Scorer before dropping the old one, so a failure leaves the worker
  // scoring with the set it had.
  void refresh(WorkerRules& w) noexcept {
    if (store->generation() == w.generation) return;
    try {
      RuleStore::Snapshot next = store->current();
      auto scorer = std::make_unique<Scorer>(next.rules);
      MatchCountersPtr counters;
      {
        std::lock_guard lock(counters_mu);
        counters = match_counters;
      }
      // Order matters: the old Scorer (and its scratch) goes first, then the last reference this
      // worker had to the old set — which frees it here if every other holder moved on.
      w.scorer = std::move(scorer);
      w.rules = std::move(next.rules);
      w.generation = next.generation;
      w.counters = std::move(counters);
      log::get("rules")->debug("score worker now on rule set {} (generation {})", w.rules->version(), w.generation);
    } catch (const std::exception& e) {
      errors.Add({{"reason", "reload"}}).Increment();
      log::get("rules")->error("score worker cannot switch to the new rule set, keeps the old one: {}", e.what());
    }
  }

  void work(Consumer& consumer) noexcept {
    WorkerRules w;
    refresh(w);
    if (!w.scorer) return;  // logged and counted by refresh(): no set, nothing to score with
    while (!aborted.load()) {
      try {
        auto polled = consumer.poll(200ms);
        if (!polled.ok()) {
          errors.Add({{"reason", "bus"}}).Increment();
          log::get("rules")->warn("polling {} failed: {}", options.items_topic, polled.error().message);
          continue;
        }
        if (!polled->has_value()) {
          if (consumer.finished()) return;
          continue;
        }
        const Record& record = **polled;
        received.Increment();
        refresh(w);
        process(w, consumer, record);
      } catch (const std::exception& e) {
        // Nothing here should throw; if it does, count it and keep the worker alive.
        errors.Add({{"reason", "exception"}}).Increment();
        log::get("rules")->error("score worker caught an exception: {}", e.what());
      }
    }
  }

  // Scores one record with the worker's set, start to end: `scorer` and `rules` below are the same
  // version throughout, whatever the store does meanwhile.
  void process(WorkerRules& w, Consumer& consumer, const Record& record) {
    Scorer& scorer = *w.scorer;
    const RuleSetPtr& rules = w.rules;
    auto item = decode_item(record.value);
    if (!item.ok()) {
      errors.Add({{"reason", item.error().reason}}).Increment();
      discarded.Add({{"reason", item.error().reason}}).Increment();
      log::get("rules")->warn("setting aside undecodable item at {} partition {} offset {}: {}", record.topic,
                              record.partition, record.offset, item.error().message);
      if (options.journal) options.journal->done(record.key);
      // Kafka mode: onto the dead-letter topic with the reason; embedded mode: counted above.
      if (auto rejected = consumer.reject(record, item.error()); !rejected.ok()) {
        errors.Add({{"reason", "reject"}}).Increment();
        log::get("rules")->error("could not set the item aside: {}", rejected.error().message);
      }
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    ScoreResult result = scorer.score(*item);
    scan_seconds.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    scored.Increment();
    if (options.detectors) {
      // With this worker's set: an item is judged by one rule-set version, detectors included.
      for (const auto& s : options.detectors->apply(*rules, *item, result)) {
        detector_signals.Add({{"detector", s.detector}, {"category", s.category}, {"severity", s.severity}})
            .Increment();
      }
    }
    if (!result.matches.empty()) {
      for (const auto& m : result.matches) {
        const auto labels =
            std::make_tuple(std::string_view(m.rule), std::string_view(m.category), std::string_view(m.severity));
        if (auto it = w.counters->find(labels); it != w.counters->end()) it->second->Increment();
      }
      count_entities(result);
      Hit hit{std::move(*item), std::move(result.matches), std::move(result.entities)};
      if (auto published = publish_hits(std::move(hit)); !published.ok()) {
        if (published.error().reason == "closed") return;  // stopping: reported as pending, not lost
        // The bus refused the output for good (e.g. larger than the brokers take): the item goes
        // to the dead-letter topic with the reason, rather than a later commit skipping it.
        if (auto rejected = consumer.reject(record, published.error()); !rejected.ok()) {
          errors.Add({{"reason", "reject"}}).Increment();
          log::get("rules")->error("could not set the item aside: {}", rejected.error().message);
        }
        return;
      }
    } else if (options.journal) {
      options.journal->done(record.key);  // nothing to alert: the pipeline is finished with it
    }
    if (auto committed = consumer.commit(record); !committed.ok()) {
      errors.Add({{"reason", "commit"}}).Increment();
      log::get("rules")->error("commit failed: {}", committed.error().message);
    }
  }

  // Entity lists are pack content (states, cartels, leaders), so the labels stay bounded. An item
  // counts once per entity and category, however many of the category's rules it matched.
  void count_entities(const ScoreResult& result) {
    std::set<std::string_view> categories;
    for (const auto& m : result.matches) categories.insert(m.category);
    for (const auto& [list, names] : result.entities) {
      for (const auto& name : names) {
        for (const auto category : categories) {
          entity_matches.Add({{"list", list}, {"entity", name}, {"category", std::string(category)}}).Increment();
        }
      }
    }
  }

  // One record per item, keyed by item id; or, with split_hits_by_rule, one per matched rule,
  // keyed by the rule, so that every story of a rule is decided by one alert consumer.
  // The first failed publish, if any.
  Status publish_hits(Hit hit) {
    std::vector<std::pair<std::string, Hit>> records;
    if (options.split_hits_by_rule && hit.matches.size() > 1) {
      for (auto& m : hit.matches) {
        std::string rule = m.rule;
        records.emplace_back(std::move(rule), Hit{hit.item, {std::move(m)}, hit.entities});
      }
    } else if (options.split_hits_by_rule) {
      records.emplace_back(hit.matches.front().rule, std::move(hit));
    } else {
      std::string id = hit.item.id;
      records.emplace_back(std::move(id), std::move(hit));
    }
    for (const auto& [key, h] : records) {
      if (auto published = bus.publish(options.hits_topic, key, encode_hit(h)); !published.ok()) {
        errors.Add({{"reason", "publish"}}).Increment();
        log::get("rules")->error("could not publish hit for item {}: {}", h.item.id, published.error().message);
        return published;
      }
      hits_sent.Increment();
    }
    return ok_status();
  }

  RuleStorePtr store;
  Bus& bus;
  ScoreStageOptions options;
  prometheus::Counter& received;
  prometheus::Counter& scored;
  prometheus::Counter& hits_sent;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Counter>& discarded;
  prometheus::Family<prometheus::Counter>& matches;
  prometheus::Family<prometheus::Counter>& entity_matches;
  prometheus::Family<prometheus::Counter>& detector_signals;
  prometheus::Histogram& scan_seconds;
  prometheus::Family<prometheus::Gauge>& ruleset_info;
  prometheus::Gauge& rule_count;
  prometheus::Gauge& expression_count;
  prometheus::Gauge& compile_seconds;
  std::mutex counters_mu;  // guards the two below; taken on swaps and by workers picking one up
  prometheus::Gauge* info_series = nullptr;
  MatchCountersPtr match_counters;
  RuleStore::ListenerId listener = 0;
  std::atomic<bool> aborted{false};
  std::vector<std::thread> threads;
};

ScoreStage::ScoreStage(RuleStorePtr rules, Bus& bus, MetricsRegistry& metrics, ScoreStageOptions options)
    : impl_(std::make_unique<Impl>(std::move(rules), bus, metrics, std::move(options))) {}

ScoreStage::ScoreStage(RuleSetPtr rules, Bus& bus, MetricsRegistry& metrics, ScoreStageOptions options)
    : ScoreStage(std::make_shared<RuleStore>(std::move(rules)), bus, metrics, std::move(options)) {}

ScoreStage::~ScoreStage() {
  abort();
  join();
}

void ScoreStage::start() {
  const std::size_t n = impl_->options.workers == 0 ? 1 : impl_->options.workers;
  for (std::size_t i = 0; i < n; ++i) {
    // Subscribe on this thread so that no record published after start() can be missed.
    std::shared_ptr<Consumer> consumer = impl_->bus.subscribe(impl_->options.items_topic, impl_->options.group);
    impl_->threads.emplace_back([this, consumer] { impl_->work(*consumer); });
  }
}

void ScoreStage::join() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

void ScoreStage::abort() { impl_->aborted = true; }

}  // namespace vigia::rules
