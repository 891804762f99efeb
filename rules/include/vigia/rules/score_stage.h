// The score stage: worker threads that each own a Scorer, consume items from the bus, and
// publish a Hit for every item that fired at least one rule. A record is committed only after
// its hit was published; an undecodable record (a poisoned item) is logged, counted and
// committed so it can never stall the stream.
//
// Metrics:
//   vigia_rules_items_received_total, vigia_rules_items_scored_total, vigia_rules_hits_sent_total
//   vigia_rules_errors_total{reason}, vigia_rules_items_discarded_total{reason}
//   vigia_rules_matches_total{rule,category,severity}   (every enabled rule, from zero)
//   vigia_rules_scan_duration_seconds                   (histogram, per item)
//   vigia_rules_ruleset_info{version}, vigia_rules_rules, vigia_rules_expressions,
//   vigia_rules_compile_duration_seconds
#pragma once

#include <memory>
#include <string>

#include "vigia/core/bus.h"
#include "vigia/core/metrics.h"
#include "vigia/rules/rule_set.h"

namespace vigia::rules {

struct ScoreStageOptions {
  std::size_t workers = 2;
  std::string items_topic{topics::kItems};
  std::string hits_topic{topics::kHits};
  std::string group = "vigia-score";
};

class ScoreStage {
 public:
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
