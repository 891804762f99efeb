// KafkaBus: the Bus over Apache Kafka (librdkafka), for Kafka mode, where each stage runs as its
// own process (`vigia run --role ...`) and scales by consumer-group partitions.
//
// Guarantees (at-least-once end to end):
// - Producers are idempotent (enable.idempotence=true, acks=all): a retried send is never doubled
//   on the broker. publish() blocks while the local send queue is full (backpressure).
// - Consumers are in consumer groups with auto-commit off. commit(record) does not commit at
//   once: the offset is committed only when every record this process published before the call
//   (the record's output) has been acknowledged by the brokers. If one of those sends fails for
//   good, nothing after it is committed and the consumer rewinds its partitions to the first
//   uncommitted record, so the output is produced again.
// - On a rebalance, a revoked partition's finished records are committed (after waiting for
//   their outputs) before it goes to another member; commits of records of a partition no longer
//   owned are dropped, so the new owner sees them again.
// - reject() produces the record to the dead-letter topic with headers (vigia-reason,
//   vigia-error, vigia-topic, vigia-partition, vigia-offset) and commits it like any output.
//
// Memory stays bounded: librdkafka's fetch queue is capped (queued.max.messages.kbytes) and a
// consumer only fetches as fast as its stage polls, so a slow stage shows as consumer lag.
//
// Thread-safety: publish(), subscribe() and flush() may be called from any thread; each Consumer
// is used by one thread at a time (the Bus contract).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vigia/core/bus.h"
#include "vigia/core/metrics.h"

namespace vigia {

struct KafkaBusOptions {
  // librdkafka configuration for every client (bootstrap.servers, security.protocol, sasl.*,
  // ssl.*, timeouts...), passed through as is. Keys the bus manages itself (enable.idempotence,
  // acks, enable.auto.commit, group.id...) are overridden.
  std::map<std::string, std::string> properties;
  // linger.ms per topic (each topic gets its own producer): low on hits for latency, higher on
  // raw items for batching. Topics not listed use librdkafka's default (or `properties`).
  std::map<std::string, int> linger_ms;
  std::string dead_letter_topic{topics::kDeadLetters};
  // Finished offsets go to the group coordinator at most this often (and always on revoke and
  // close): after a crash, up to this much finished work is read again.
  std::chrono::milliseconds commit_interval{100};
  // How long a revoke or close waits for outputs before giving up on committing them.
  std::chrono::milliseconds commit_flush_timeout{30'000};
  // librdkafka statistics (consumer lag, request latency...) are exported to `metrics` this often.
  std::chrono::milliseconds statistics_interval{5'000};
  MetricsRegistry* metrics = nullptr;  // null: no metrics
};

// A topic the bus may create (create_topics()).
struct KafkaTopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = -1;               // -1: the broker's default
  std::map<std::string, std::string> config;  // e.g. cleanup.policy=compact
};

class KafkaBus final : public Bus {
 public:
  // Fails (reason "config") when librdkafka rejects a property.
  static Result<std::unique_ptr<KafkaBus>> create(KafkaBusOptions options);
  ~KafkaBus() override;

  Status publish(std::string_view topic, std::string_view key, std::string_view value) override;
  ConsumerPtr subscribe(std::string_view topic, std::string_view group) override;
  bool flush(std::chrono::milliseconds timeout) override;

  // Consumers of `topic` deliver nothing more and report finished(): a stopping stage finishes
  // the records it holds, commits them and leaves its group; the rest waits on the brokers for
  // the group's other members. publish() to `topic` fails with reason "closed".
  void close_topic(std::string_view topic);

  // Records published and not yet acknowledged by the brokers (a gauge for /metrics).
  std::size_t in_flight() const;

  struct Impl;

 private:
  explicit KafkaBus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Creates the topics in `wanted` that do not exist yet, with the admin API; existing topics are
// left as they are, whatever their partition count. Fails on any other error. (librdkafka's mock
// cluster does not implement CreateTopics: this times out against `vigia dev mock-kafka`.)
Status create_kafka_topics(const std::map<std::string, std::string>& properties,
                           const std::vector<KafkaTopicSpec>& wanted, std::chrono::milliseconds timeout);

}  // namespace vigia
