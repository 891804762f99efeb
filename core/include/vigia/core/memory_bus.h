// MemoryBus: the in-process bus of embedded mode. Each (topic, group) pair has a bounded FIFO;
// publish() blocks while any group's queue for that topic is full (backpressure, never
// unbounded growth). Records published before any group subscribed wait in a backlog that the
// first group to subscribe takes over, so start-up order cannot lose items.
//
// Shutdown is a drain, not a drop: close_topic() refuses new records on a topic and lets its
// consumers empty their queues; wait_committed() tells when every record published on a topic
// has been committed by every group.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "vigia/core/bus.h"

namespace vigia {

class MemoryBus final : public Bus {
 public:
  explicit MemoryBus(std::size_t capacity_per_queue = 1024);
  ~MemoryBus() override;

  Status publish(std::string_view topic, std::string_view key, std::string_view value) override;
  // Like publish(), but gives up after `timeout` with reason "full" while the bus stays full.
  Status publish_for(std::string_view topic, std::string_view key, std::string_view value,
                     std::chrono::milliseconds timeout);
  ConsumerPtr subscribe(std::string_view topic, std::string_view group) override;
  bool flush(std::chrono::milliseconds /*timeout*/) override { return true; }

  // After this, publish() to `topic` fails with reason "closed" (also a publisher blocked on a
  // full queue), and consumers report finished() once their queue is empty.
  void close_topic(std::string_view topic);
  void close_all();

  // Records published on `topic` and not yet committed by every group (queued + in flight).
  std::size_t pending(std::string_view topic) const;
  // Waits until pending(topic) == 0; false on timeout.
  bool wait_committed(std::string_view topic, std::chrono::milliseconds timeout) const;
  // Queued records (not yet polled) across the groups of `topic`; a gauge for /metrics.
  std::size_t depth(std::string_view topic) const;

  struct Queue;
  struct Topic;

 private:
  friend class MemoryConsumer;
  Topic& topic_locked(std::string_view name);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
};

}  // namespace vigia
