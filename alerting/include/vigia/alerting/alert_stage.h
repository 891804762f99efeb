// The alert stage: consumes hits from the bus, turns each (hit, matching rule) into an Alert,
// routes it to every sink whose filters accept it, and delivers it with retries (exponential
// backoff with jitter, honouring Retry-After). An alert that still fails after the last attempt,
// or is still pending when shutdown's grace period ends, is appended to the dead-letter file with
// the reason — never dropped silently. A hit record is committed only once all its alerts were
// delivered or dead-lettered.
//
// Metrics (labels bounded by configured sink names and rule ids):
//   vigia_alerting_hits_received_total
//   vigia_alerting_alerts_sent_total{sink}                delivered
//   vigia_alerting_alerts_failed_total{sink,reason}       dead-lettered
//   vigia_alerting_delivery_retries_total{sink}
//   vigia_alerting_errors_total{reason}                   e.g. undecodable hit records
//   vigia_alerting_alerts_discarded_total{sink,reason}    filtered by route (reason="route") or muted ("mute")
//   vigia_alerting_queue_depth{sink}                      gauge: waiting alerts, retries included
//   vigia_alerting_delivery_latency_seconds{sink}         histogram: alert creation to delivery
//   vigia_alerting_end_to_end_latency_seconds{sink}       histogram: item fetched to alert delivered
//   vigia_alerting_circuit_state{sink,state}              gauge: 1 for the current state (closed, half_open, open)
//   vigia_alerting_circuit_opens_total{sink}
//   vigia_alerting_suppressed_total{reason}               silence, mute (every receiver muted), duplicate, throttled,
//                                                         max_updates
//   vigia_alerting_stories_total{action}                  new, update, digest (alerts folded into one)
//   vigia_alerting_storm_mode{rule}                       gauge: 1 while the rule's alerts go to a digest
//   vigia_alerting_digests_sent_total                     storm digests and digest_every batches handed to sinks
//
// Per sink (RetryPolicy): an alert older than max_age is dead-lettered ("max_age") rather than
// tried again; circuit_failures retryable failures in a row open the sink's circuit, and nothing is
// attempted for circuit_cooldown, after which one trial attempt closes or re-opens it.
//
// Threads: one consumer thread (the only one that polls and commits) and one delivery thread
// per sink, so a slow or failing receiver delays only its own alerts. Backoff waits are real
// time; the injected clock stamps alerts, latencies and dead letters.
// start(), drain_and_stop() and the destructor are called from one controlling thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vigia/alerting/routing.h"
#include "vigia/alerting/silence_store.h"
#include "vigia/alerting/sink.h"
#include "vigia/alerting/story_grouper.h"
#include "vigia/core/bus.h"
#include "vigia/core/item_journal.h"
#include "vigia/core/metrics.h"

namespace vigia::alerting {

// One alert per matching rule of the hit, as if each item were its own story: id = hash(rule,
// item id). The stage's StoryGrouper (when it has one) then places it in its story.
std::vector<Alert> build_alerts(const Hit& hit, Timestamp now);

struct AlertStageOptions {
  std::string topic{topics::kHits};
  std::string group = "vigia-alert";
  std::filesystem::path dead_letter_path;  // JSONL; empty: dead letters only go to the log
  std::chrono::milliseconds shutdown_grace{10'000};  // from drain_and_stop(): how long retries may go on
  // Hit records consumed but not yet committed; at the limit the stage stops polling, so a
  // receiver that is down turns into bus backpressure instead of memory growth.
  std::size_t max_records_in_flight = 256;
  // Stories, not articles: null sends one alert per (rule, item).
  std::shared_ptr<StoryGrouper> stories;
  // Alerts of a rule in storm mode are folded into one digest per rule, sent this often.
  std::chrono::milliseconds digest_interval{std::chrono::minutes(5)};
  // Routing tree: null keeps each sink's own min_severity/categories filter.
  std::shared_ptr<const Router> router;
  // Silences, checked before anything else: a silenced alert is counted and dropped.
  std::shared_ptr<SilenceStore> silences;
  // A hit's item is done with once its record is committed (see vigia/core/item_journal.h).
  ItemJournalPtr journal;
};

class AlertStage {
 public:
  // Subscribes to options.topic at once (nothing is polled before start()). Throws
  // std::invalid_argument for a null sink, two sinks with one name, or an unknown min_severity.
  // `bus` and `metrics` must outlive the stage; a null `clock` means the system clock.
  AlertStage(std::vector<std::pair<SinkSpec, SinkPtr>> sinks, Bus& bus, MetricsRegistry& metrics, ClockPtr clock,
             AlertStageOptions options = {});
  // Without a prior drain_and_stop(): stops at once (an in-progress delivery finishes) and leaves
  // unfinished records uncommitted, for the bus to deliver again to the next run.
  ~AlertStage();

  void start();
  // Returns once the hits consumer is finished (the topic was closed and drained) and every
  // delivery completed or was dead-lettered; deliveries still retrying after `shutdown_grace`
  // are dead-lettered with reason "shutdown". Call after closing the hits topic.
  // Once the grace (counted from this call) is over, an alert not yet attempted still gets one
  // attempt if its sink's last delivery succeeded, and is dead-lettered ("shutdown") otherwise,
  // so a dead receiver cannot hold the stop for more than about one request timeout.
  void drain_and_stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigia::alerting
