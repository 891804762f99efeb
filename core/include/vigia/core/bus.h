// The bus: the only way stages meet. Records are opaque bytes with a key; a consumer sees the
// records of a topic for its group and commits each one once its output is safely published,
// which is what makes the pipeline at-least-once (DESIGN.md, "The bus").
//
// Implementations: MemoryBus (in-process, bounded, the default) and, in Kafka mode, KafkaBus.
// Both must pass tests/unit/core/bus_conformance.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vigia/core/result.h"

namespace vigia {

struct Record {
  std::string topic;
  std::string key;
  std::string value;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  // Set by the bus, to be handed back unchanged: which assignment of its partition delivered the
  // record, so that a commit arriving after a rebalance or a rewind is recognised as stale.
  std::uint64_t lease = 0;
};

// Used by one thread at a time. Records arrive in publish order per key.
class Consumer {
 public:
  virtual ~Consumer() = default;
  // Waits up to `timeout` for the next record. nullopt means "nothing yet" — or, once
  // `finished()` is true, "nothing ever again".
  virtual Result<std::optional<Record>> poll(std::chrono::milliseconds timeout) = 0;
  // Marks `record` done. Call it only after everything derived from it was published. On a
  // partitioned bus, a record of a partition this consumer no longer owns (a rebalance moved it)
  // is not committed: its new owner sees it again.
  virtual Status commit(const Record& record) = 0;
  // A poisoned record (undecodable, wrong contract version): sets it aside on the dead-letter
  // topic with `why` (KafkaBus: vigia.dlq, with headers naming the reason and where it came
  // from; MemoryBus keeps no copy), then commits it so that it never stalls its partition.
  virtual Status reject(const Record& record, const Error& why) = 0;
  // For a stage that cannot take another record now (its outputs are backed up) but is alive:
  // sends what commits are ready and keeps the consumer's place in its group without taking
  // records (Kafka: the partitions are paused, so a long wait is not mistaken for a dead member).
  // The next poll() takes records again.
  virtual void idle() {}
  // True when the bus was closed and every record for this consumer was delivered.
  virtual bool finished() const = 0;
};
using ConsumerPtr = std::unique_ptr<Consumer>;

// Thread-safe. publish() applies backpressure: it blocks while the bus is full.
class Bus {
 public:
  virtual ~Bus() = default;
  virtual Status publish(std::string_view topic, std::string_view key, std::string_view value) = 0;
  // Consumers with the same group share a topic's records; each group sees every record.
  virtual ConsumerPtr subscribe(std::string_view topic, std::string_view group) = 0;
  // Waits until every record published so far is durably on the bus (acknowledged by the
  // brokers); false on timeout. MemoryBus publishes synchronously, so it is always done.
  virtual bool flush(std::chrono::milliseconds timeout) = 0;
};

// Topic names, configurable in Kafka mode; the defaults are these.
namespace topics {
inline constexpr std::string_view kItems = "vigia.items";
inline constexpr std::string_view kHits = "vigia.hits";
inline constexpr std::string_view kDeadLetters = "vigia.dlq";
}  // namespace topics

}  // namespace vigia
