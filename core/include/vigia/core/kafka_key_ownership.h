// KafkaKeyOwnership: KeyOwnership over a Kafka consumer group (see key_ownership.h).
//
// The keys (feed names) are spread over the partitions of one compacted topic (`vigia.feeds`):
// key k lives in partition hash(k) mod P, and its checkpoints are records keyed by k in that
// partition. The members of one consumer group split the partitions; a member owns exactly the
// keys of the partitions assigned to it. On assignment it reads those partitions from the start
// (compaction keeps that short) and hands each key its last checkpoint; on revocation it releases
// the keys before the partitions move, so the previous owner's last checkpoint is on the topic
// before the next owner reads. The group uses the cooperative-sticky assignor: when a member joins
// or leaves, only the partitions that move are revoked, and the other feeds keep their rhythm.
//
// Why a consumer group and not a hash of a replica index: membership follows the processes that
// are actually alive (a crashed member's feeds move after session.timeout.ms), scaling needs no
// configuration change, and the checkpoint travels through the same topic the assignment uses.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigia/core/kafka_bus.h"
#include "vigia/core/key_ownership.h"

namespace vigia {

struct KafkaKeyOwnershipOptions {
  std::string topic = "vigia.feeds";
  std::string group = "vigia-ingest";
  std::vector<std::string> keys;  // every key this member may own (the configured feeds)
};

class KafkaKeyOwnership final : public KeyOwnership {
 public:
  // `bus_options` gives the librdkafka properties and the metrics registry.
  KafkaKeyOwnership(KafkaBusOptions bus_options, KafkaKeyOwnershipOptions options);
  ~KafkaKeyOwnership() override;

  // Reaches the cluster and reads the topic's partition count: fails when the topic does not
  // exist or cannot be described, so that a process can refuse to start rather than sit idle.
  // start() does it if it was not done.
  Status connect();
  Status start(Listener& listener) override;
  void stop() override;
  Status checkpoint(const std::string& key, std::string_view value) override;

  // The partition of `key` among `partitions`: stable across processes and versions.
  static std::int32_t partition_of(std::string_view key, std::int32_t partitions);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigia
