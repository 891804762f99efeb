// The score stage: worker threads that each own a Scorer, consume items from the bus, and
// publish a Hit for every item that fired at least one rule. A record is committed only after
// its hit was published; an undecodable record (a poisoned item) is logged, counted and
// committed so it can never stall the stream.
//
// Live reload: the stage scores with whatever set its RuleStore holds. Each worker compares the
// store's generation with its own between two items (after taking the next record, before
// scoring it) and, when it moved, rebuilds its Scorer — and with it its Hyperscan scratch — for
// the new set. An item is therefore scored entirely by one set, and the first item a worker takes
// after a swap is scored by the new one. The rule-set gauges follow every swap (the old version's
// info series is removed) and vigia_rule_matches_total gets a zero series for each new rule.
//
// Metrics:
//   vigia_rules_items_received_total, vigia_rules_items_scored_total, vigia_rules_hits_sent_total
//   vigia_rules_errors_total{reason}, vigia_rules_items_discarded_total{reason}
//   vigia_rule_matches_total{rule,category,severity}   (every enabled rule, from zero)
//   vigia_rules_entity_matches_total{list,entity,category}   (matching items per list entity, first occurrence)
//   vigia_rules_detector_signals_total{detector,category,severity}   (every enabled detector, from zero)
//   vigia_rules_scan_duration_seconds                   (histogram, per item)
//   vigia_rules_ruleset_info{version}, vigia_rules_enabled_rules, vigia_rules_expressions,
//   vigia_rules_compile_duration_seconds                (the set loaded last)
//
// Thread-safety: construct, start(), join() and abort() from one controlling thread; the store
// may be swapped from any thread at any time. Ownership: the stage shares the store; `bus` and
// `metrics` must outlive it. Failure: nothing throws out of a worker; failures are logged (logger
// "rules") and counted. A Scorer that cannot be built for a new set (out of memory) leaves the
// worker on the set it had, counted as errors_total{reason="reload"}.
#pragma once

#include <memory>
#include <string>

#include "vigia/core/bus.h"
#include "vigia/core/item_journal.h"
#include "vigia/core/metrics.h"
#include "vigia/rules/detector_state.h"
#include "vigia/rules/rule_set.h"
#include "vigia/rules/rule_store.h"

namespace vigia::rules {

struct ScoreStageOptions {
  std::size_t workers = 2;
  std::string items_topic{topics::kItems};
  std::string hits_topic{topics::kHits};
  std::string group = "vigia-score";
  // Kafka mode: one hit record per matched rule, keyed by the rule name, so that the hits of a
  // rule all land on one partition and one alert process decides all of that rule's stories.
  bool split_hits_by_rule = false;
  // Stateful detectors (novelty, spikes) run after scoring each item, with the set that scored it;
  // an item only they flag becomes a hit too. Null: none.
  std::shared_ptr<DetectorState> detectors;
  // Items that match nothing are done with here (see vigia/core/item_journal.h); null: none.
  ItemJournalPtr journal;
};

class ScoreStage {
 public:
  ScoreStage(RuleStorePtr rules, Bus& bus, MetricsRegistry& metrics, ScoreStageOptions options = {});
  // A fixed set: wraps it in a store of its own (nothing else can swap it).
  ScoreStage(RuleSetPtr rules, Bus& bus, MetricsRegistry& metrics, ScoreStageOptions options = {});
  ~ScoreStage();  // aborts and joins if still running

  void start();
  // Waits until every worker's consumer is finished (the items topic was closed and drained).
  void join();
  // Workers stop after the item in hand; records not yet consumed stay on the bus.
  void abort();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigia::rules
