// KeyOwnership: which of a fixed set of keys (the configured feed names) this process owns when
// several processes share them, with a durable checkpoint per key that moves with the key.
//
// Used by the ingest stage in Kafka mode so that several ingest processes split the feed list:
// every feed is polled by exactly one of them, also while processes join and leave, and the
// feed's dedup state (ids already published, HTTP validators, API cursors) follows the feed to its
// new owner. KafkaKeyOwnership implements it with a consumer group over the `vigia.feeds` topic
// (see docs/kafka.md); embedded mode does not use it (one process owns every feed).
//
// Contract for implementations:
// - acquired() and released() are called from one internal thread, never concurrently.
// - a key is released by its owner (released() returned) before any other process acquires it,
//   and its last checkpoint() before release is what the next owner's acquired() receives.
// - stop() releases every owned key (released() for each) before it returns.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vigia/core/result.h"

namespace vigia {

class KeyOwnership {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // `key` is ours now. `checkpoint` is the last value any owner stored for it (nullopt: none).
    virtual void acquired(const std::string& key, std::optional<std::string> checkpoint) = 0;
    // `key` goes to another process once this returns: stop using it, and store a final
    // checkpoint with checkpoint() before returning.
    virtual void released(const std::string& key) = 0;
  };

  virtual ~KeyOwnership() = default;
  // Starts taking part; `listener` must outlive stop(). Returns once the process has joined (or
  // failed to).
  virtual Status start(Listener& listener) = 0;
  // Releases every owned key (released() for each), then leaves. Idempotent.
  virtual void stop() = 0;
  // Stores `value` as the checkpoint of `key`; durable when it returns ok.
  virtual Status checkpoint(const std::string& key, std::string_view value) = 0;
};
using KeyOwnershipPtr = std::shared_ptr<KeyOwnership>;

}  // namespace vigia
