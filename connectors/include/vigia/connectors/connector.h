// Connectors turn a source (a feed URL, a folder of files, later news APIs) into normalised
// Items. One Connector instance serves one configured feed. Connectors never see the bus: they
// hand items to an ItemWriter, which the ingest stage backs with dedup and bus publishing.
//
// Failure behaviour: a broken or unreachable source is a returned Error (reason is a metric
// label), never an exception and never fatal to the daemon.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/connectors/feed_state.h"
#include "vigia/core/clock.h"
#include "vigia/core/config_schema.h"
#include "vigia/core/diagnostics.h"
#include "vigia/core/http_client.h"
#include "vigia/core/kind_registry.h"
#include "vigia/core/model.h"
#include "vigia/core/result.h"

namespace vigia::connectors {

struct FeedSpec {
  std::string name;  // unique across the config; used as Item::source and as a metric label
  std::string type;  // the connector kind: "http", "file", "gdelt", "json_api"
  std::chrono::milliseconds interval{std::chrono::minutes(15)};
  // Reported stale when no new item arrived for this long (0: never); see IngestStage.
  std::chrono::milliseconds stale_after{0};
  ConfigValues settings;  // the kind's own keys, validated against ConnectorKind::schema
  SourceLocation where;   // where the feed was declared, for messages
};

// Receives items from a connector. write() fails only when the pipeline refuses more items
// (shutdown); a connector should then stop and return.
class ItemWriter {
 public:
  virtual ~ItemWriter() = default;
  virtual Status write(Item item) = 0;
};

struct PollReport {
  std::size_t items = 0;      // items handed to the writer
  bool not_modified = false;  // the source said nothing changed (HTTP 304)
  std::optional<std::chrono::milliseconds> retry_after;  // the source asked us to wait
  std::size_t skipped = 0;    // source records dropped as unreadable (e.g. a bad JSONL line); each is logged
  std::size_t bytes = 0;      // bytes read from the source (decompressed), for metrics
};

// Called from one thread at a time (the scheduler never polls a feed twice concurrently).
// A connector keeps whatever it needs between polls (e.g. HTTP validators) in memory.
class Connector {
 public:
  virtual ~Connector() = default;
  // Fetches the source once and writes its items. Returns promptly once `stop` is requested
  // (between items at least; a transfer in flight ends at its timeout).
  virtual Result<PollReport> poll(ItemWriter& out, std::stop_token stop) = 0;
  // The wait the source asked for with the outcome of the last poll() — chiefly an HTTP 429/503
  // Retry-After, which a returned Error cannot carry. Read by the scheduler right after poll()
  // returns, from the same thread. nullopt: the source asked for nothing.
  virtual std::optional<std::chrono::milliseconds> retry_after() const { return std::nullopt; }
  // The feed's FeedState entries were replaced from outside (Kafka mode: the feed came back to
  // this process with its previous owner's checkpoint): whatever the connector caches of them in
  // memory is stale, so read them again before the next request. Called between polls, from the
  // thread that polls next.
  virtual void reload_state() {}
};
using ConnectorPtr = std::unique_ptr<Connector>;

struct ConnectorServices {
  HttpClientPtr http;
  ClockPtr clock;
  FeedStatePtr state;  // validators and cursors that outlive a poll; null: kept in memory only
};

// `create` never fails and never returns null: settings were validated against `schema`, and a
// source that turns out to be unusable (a missing file, a bad URL) is an Error from poll().
// Null services fall back to defaults (libcurl client, system clock).
struct ConnectorKind {
  std::string name;
  std::string description;
  ConfigSchema schema;
  ConnectorPtr (*create)(const FeedSpec& feed, const ConnectorServices& services);
};

// The connector kinds the daemon knows, by name. Filled once at start-up, then read-only (reads
// are then safe from any thread). Adding a name twice throws std::invalid_argument.
using ConnectorRegistry = KindRegistry<ConnectorKind>;

// Adds "http", "file", "gdelt" and "json_api". Called from daemon/; no static self-registration.
void register_builtin_connectors(ConnectorRegistry& registry);

}  // namespace vigia::connectors
