// The ingest stage: polls every feed on its interval from a pool of worker threads, drops items
// already published (by Item::id, remembered across restarts when a StateDb is given), stamps
// `fetched`, and publishes each new item as JSON to the items topic, keyed by id. A failing feed
// backs off and is retried; it never stops the others.
//
// Scheduling: every feed is polled at start(), then every `interval` with ±10% jitter so feeds
// configured together drift apart. A failed poll is retried with exponential backoff
// (IngestOptions::backoff), and never sooner than a Retry-After the source sent. One feed is
// never polled by two workers at once. A poll that fails once stop() was called counts as
// neither ok nor error (it was most likely cut short).
//
// Feed health, reported in the log, in metrics and as events on `events_topic` (a Hit with
// category "ops" that the alert stage routes like any other, so an ops receiver can subscribe):
//   broken     `broken_after` failed polls in a row (rule "vigia-feed-broken", severity high)
//   recovered  the first success after being broken (rule "vigia-feed-recovered", info)
//   stale      no new item for the feed's `stale_after` (rule "vigia-feed-stale", medium); the
//              time of the last new item is kept in FeedState, so restarts do not hide it
//
// Metrics (labels bounded by the configured feed names):
//   vigia_connectors_fetches_total{feed,result}           result = ok | not_modified | http_error |
//                                                         timeout | parse_error | refused |
//                                                         too_large | network_error | error
//   vigia_connectors_items_received_total{feed}           items the connector produced
//   vigia_connectors_items_sent_total{feed}               items published to the bus
//   vigia_connectors_items_discarded_total{feed,reason}   duplicate | invalid | publish
//   vigia_connectors_errors_total{feed,reason}            failed polls by Error::reason
//   vigia_connectors_received_bytes_total{feed}           bytes read from the source
//   vigia_connectors_fetch_duration_seconds{feed}         histogram of poll durations
//   vigia_connectors_last_success_timestamp_seconds{feed} last poll that worked (0: never)
//   vigia_connectors_last_item_timestamp_seconds{feed}    last new item published (0: never)
//   vigia_connectors_consecutive_failures{feed}           failed polls in a row
//   vigia_connectors_feed_broken{feed}, vigia_connectors_feed_stale{feed}   1 while the state holds
//   vigia_connectors_feed_owned{feed}                     Kafka mode: 1 while this process owns it
//
// Kafka mode (IngestOptions::ownership set): several ingest processes share the feed list, and a
// KeyOwnership (vigia/core/key_ownership.h; key = feed name) says which feeds this one polls.
// Every feed is then polled by exactly one process, also while processes join and leave — and
// because dedup state is per process, a feed's dedup state must follow the feed, or its new owner
// would publish everything still in the feed's window again. So:
//   start()     joins (ownership->start()); every feed starts inactive, not polled, owned = 0.
//   acquired    the feed's checkpoint is restored — its recently published ids are marked seen
//               (with their first-seen times) and its FeedState becomes the checkpoint's — then
//               the feed is polled right away and on its interval; owned = 1. A checkpoint that
//               does not decode (or has another "v") is logged, counted as
//               errors_total{feed,reason="checkpoint"} and ignored: the feed starts fresh and at
//               worst publishes its window once more. Names not configured here are ignored.
//   each poll   that published items or changed the feed's FeedState is followed, once
//               bus.flush() says every item is acknowledged, by a new checkpoint. A checkpoint
//               never names an unacknowledged id; if flush times out no checkpoint is written
//               (counted as reason="checkpoint") and the next owner may publish those items again:
//               at-least-once, never lost.
//   released    the feed is no longer polled and its poll in progress is asked to stop (only that
//               poll: the stage carries on) and awaited for up to `handover_timeout` (logged if
//               cut short); then bus.flush(), the final checkpoint, owned = 0. Only after that
//               may another process acquire the feed.
//   stop()      ownership->stop() first (which releases every owned feed as above), then as
//               without ownership.
// The checkpoint (vigia/connectors/feed_checkpoint.h) holds the feed's last 2,000 published ids
// younger than `seen_ttl` and its FeedState entries, so `feed_state` must be the store the
// connectors were given. Connectors re-read their cached state (Connector::reload_state) before
// the first poll after an acquire. An id two feeds both carry is recorded for the feed that
// published it first: if the two feeds end up in different processes, it may be published twice.
//
// Thread-safety: construct, start() and stop() from one controlling thread. Ownership: the stage
// owns the connectors; `bus` and `metrics` must outlive it. Failure: nothing in here throws
// past a worker loop; failures are logged (logger "connectors", naming the feed) and counted.
#pragma once

#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "vigia/connectors/connector.h"
#include "vigia/connectors/poll_schedule.h"
#include "vigia/core/bus.h"
#include "vigia/core/item_journal.h"
#include "vigia/core/key_ownership.h"
#include "vigia/core/metrics.h"
#include "vigia/core/state_db.h"

namespace vigia::connectors {

struct IngestOptions {
  std::size_t workers = 4;
  std::size_t dedup_capacity = 200'000;  // ids kept in memory (oldest forgotten first)
  StateDbPtr state_db;                   // durable dedup; null: dedup lasts until restart
  std::chrono::milliseconds seen_ttl{std::chrono::hours(24 * 30)};  // how long a published id is kept
  FeedStatePtr feed_state;               // where the last-new-item time is kept; null: memory
  std::string topic{topics::kItems};
  std::string events_topic{topics::kHits};  // feed-health events; "" to send none
  int broken_after = 5;                     // failed polls in a row that make a feed "broken"
  BackoffPolicy backoff;                    // retry timing after a failed poll
  // Items taken on but not finished (see vigia/core/item_journal.h); null: none kept.
  ItemJournalPtr journal;
  // Kafka mode: which feeds this process polls, and where their checkpoints are kept (see above).
  // null: every feed is polled here from start().
  KeyOwnershipPtr ownership;
  // Kafka mode: how long a handover waits for the feed's poll in progress to end, and how long a
  // checkpoint waits for the bus to acknowledge the feed's items.
  std::chrono::milliseconds handover_timeout{std::chrono::seconds(30)};
};

class IngestStage {
 public:
  IngestStage(std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds, Bus& bus, MetricsRegistry& metrics,
              ClockPtr clock, IngestOptions options = {});
  ~IngestStage();  // stops if still running
  IngestStage(const IngestStage&) = delete;
  IngestStage& operator=(const IngestStage&) = delete;

  // Polls every feed once right away, then every `interval` (with jitter) — with ownership, every
  // feed this process acquires, from when it is acquired. Calling it again while running does
  // nothing; a stopped stage does not restart.
  void start();
  // With ownership, first releases every owned feed (final checkpoints). No new polls; polls in
  // progress are asked to stop and joined. Items already written are on the bus. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The health event the ingest stage publishes, as a Hit (exposed for tests and tools).
Hit feed_health_event(std::string_view feed, std::string_view rule, std::string_view severity, std::string title,
                      std::string detail, double score, Timestamp now);

}  // namespace vigia::connectors
