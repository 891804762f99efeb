// The ingest stage: polls every feed on its interval from a small pool of worker threads, drops
// items already seen (by Item::id), stamps `fetched`, and publishes each new item as JSON to the
// items topic, keyed by id. A failing feed backs off and is retried; it never stops the others.
//
// Metrics (labels bounded by the configured feed names):
//   vigia_connectors_items_received_total{feed}          items the connector produced
//   vigia_connectors_items_sent_total{feed}              items published to the bus
//   vigia_connectors_items_discarded_total{feed,reason}  reason="duplicate" (id seen before),
//                                                        "invalid" (unreadable source record,
//                                                        PollReport::skipped) or "publish" (the bus
//                                                        refused it)
//   vigia_connectors_errors_total{feed,reason}           failed polls by Error::reason; "exception"
//                                                        when a connector threw
//   vigia_connectors_polls_total{feed,result}            result="ok"|"not_modified"|"error"
//
// Scheduling: every feed is polled at start(), then every `interval` with ±10% jitter so feeds
// configured together drift apart. A failed poll is retried with exponential backoff
// (IngestOptions::backoff), and never sooner than a Retry-After the source sent. One feed is
// never polled by two workers at once. A poll that fails once stop() was called counts as
// neither ok nor error (it was most likely cut short).
//
// Dedup memory is shared by all feeds (the same story syndicated by two feeds is published once),
// bounded by dedup_capacity, and kept in memory only: it starts empty on every start-up.
//
// Thread-safety: construct, start() and stop() from one controlling thread. Ownership: the stage
// owns the connectors; `bus` and `metrics` must outlive it. Failure: nothing in here throws
// past a worker loop; failures are logged (logger "connectors", naming the feed) and counted.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "vigia/connectors/connector.h"
#include "vigia/connectors/poll_schedule.h"
#include "vigia/core/bus.h"
#include "vigia/core/metrics.h"

namespace vigia::connectors {

struct IngestOptions {
  std::size_t workers = 4;
  std::size_t dedup_capacity = 200'000;  // ids remembered (oldest forgotten first)
  std::string topic{topics::kItems};
  BackoffPolicy backoff;  // retry timing after a failed poll
};

class IngestStage {
 public:
  IngestStage(std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds, Bus& bus, MetricsRegistry& metrics,
              ClockPtr clock, IngestOptions options = {});
  ~IngestStage();  // stops if still running
  IngestStage(const IngestStage&) = delete;
  IngestStage& operator=(const IngestStage&) = delete;

  // Polls every feed once right away, then every `interval` (with jitter). Calling it again while
  // running does nothing; a stopped stage does not restart.
  void start();
  // No new polls; polls in progress are asked to stop and joined. Items already written are on
  // the bus. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigia::connectors
