#include "vigia/rules/score_stage.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "vigia/core/codec.h"
#include "vigia/core/log.h"
#include "vigia/rules/scorer.h"

namespace vigia::rules {

using namespace std::chrono_literals;

struct ScoreStage::Impl {
  Impl(RuleSetPtr r, Bus& b, MetricsRegistry& m, ScoreStageOptions o)
      : rules(std::move(r)),
        bus(b),
        options(std::move(o)),
        received(counter_family(m, "vigia_rules_items_received_total", "Items taken from the bus by the scorer").Add({})),
        scored(counter_family(m, "vigia_rules_items_scored_total", "Items scored against the rule set").Add({})),
        hits_sent(counter_family(m, "vigia_rules_hits_sent_total", "Hits published for the alert stage").Add({})),
        errors(counter_family(m, "vigia_rules_errors_total", "Scoring failures by reason")),
        discarded(counter_family(m, "vigia_rules_items_discarded_total", "Items that could not be scored, by reason")),
        matches(counter_family(m, "vigia_rules_matches_total", "Rule matches by rule, category and severity")),
        scan_seconds(histogram_family(m, "vigia_rules_scan_duration_seconds", "Time to score one item")
                         .Add({}, prometheus::Histogram::BucketBoundaries{1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3,
                                                                          2.5e-3, 1e-2, 1e-1})) {
    gauge_family(m, "vigia_rules_ruleset_info", "The loaded rule set (value 1), labelled by its version hash")
        .Add({{"version", rules->version()}})
        .Set(1);
    gauge_family(m, "vigia_rules_rules", "Enabled rules in the loaded set")
        .Add({})
        .Set(static_cast<double>(rules->enabled_rule_count()));
    gauge_family(m, "vigia_rules_expressions", "Expressions compiled into the Hyperscan database")
        .Add({})
        .Set(static_cast<double>(rules->expressions().size()));
    gauge_family(m, "vigia_rules_compile_duration_seconds", "Time the loaded rule set took to compile")
        .Add({})
        .Set(rules->compile_seconds());
    for (const auto& rule : rules->rules()) {
      if (!rule.enabled) continue;
      match_counters.emplace(rule.id, &matches.Add({{"rule", rule.id}, {"category", rule.category}, {"severity", rule.severity}}));
    }
  }

  void work(Consumer& consumer) noexcept {
    Scorer scorer(rules);
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
        process(scorer, consumer, record);
      } catch (const std::exception& e) {
        // Nothing here should throw; if it does, count it and keep the worker alive.
        errors.Add({{"reason", "exception"}}).Increment();
        log::get("rules")->error("score worker caught an exception: {}", e.what());
      }
    }
  }

  void process(Scorer& scorer, Consumer& consumer, const Record& record) {
    auto item = decode_item(record.value);
    if (!item.ok()) {
      errors.Add({{"reason", item.error().reason}}).Increment();
      discarded.Add({{"reason", item.error().reason}}).Increment();
      log::get("rules")->warn("dropping undecodable item at {} offset {}: {}", record.topic, record.offset,
                              item.error().message);
      (void)consumer.commit(record);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    ScoreResult result = scorer.score(*item);
    scan_seconds.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    scored.Increment();
    if (!result.matches.empty()) {
      for (const auto& m : result.matches) {
        if (auto it = match_counters.find(m.rule); it != match_counters.end()) it->second->Increment();
      }
      Hit hit{std::move(*item), std::move(result.matches), std::move(result.entities)};
      auto published = bus.publish(options.hits_topic, hit.item.id, encode_hit(hit));
      if (!published.ok()) {
        // Leave the record uncommitted: it is reported as pending rather than silently lost.
        errors.Add({{"reason", "publish"}}).Increment();
        log::get("rules")->error("could not publish hit for item {}: {}", hit.item.id, published.error().message);
        return;
      }
      hits_sent.Increment();
    }
    if (auto committed = consumer.commit(record); !committed.ok()) {
      errors.Add({{"reason", "commit"}}).Increment();
      log::get("rules")->error("commit failed: {}", committed.error().message);
    }
  }

  RuleSetPtr rules;
  Bus& bus;
  ScoreStageOptions options;
  prometheus::Counter& received;
  prometheus::Counter& scored;
  prometheus::Counter& hits_sent;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Counter>& discarded;
  prometheus::Family<prometheus::Counter>& matches;
  prometheus::Histogram& scan_seconds;
  std::map<std::string, prometheus::Counter*, std::less<>> match_counters;
  std::atomic<bool> aborted{false};
  std::vector<std::thread> threads;
};

ScoreStage::ScoreStage(RuleSetPtr rules, Bus& bus, MetricsRegistry& metrics, ScoreStageOptions options)
    : impl_(std::make_unique<Impl>(std::move(rules), bus, metrics, std::move(options))) {}

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
