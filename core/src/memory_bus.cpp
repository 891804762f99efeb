#include "vigia/core/memory_bus.h"

#include <deque>
#include <vector>

namespace vigia {

struct MemoryBus::Queue {
  std::string group;
  std::deque<Record> records;
  std::size_t in_flight = 0;  // polled, not yet committed
};

struct MemoryBus::Topic {
  std::string name;
  bool closed = false;
  std::int64_t next_offset = 0;
  std::vector<std::shared_ptr<Queue>> groups;
  // Records published while no group existed; the first subscriber adopts it.
  std::shared_ptr<Queue> backlog = std::make_shared<Queue>();
};

class MemoryConsumer final : public Consumer {
 public:
  MemoryConsumer(MemoryBus& bus, MemoryBus::Topic& topic, std::shared_ptr<MemoryBus::Queue> queue)
      : bus_(bus), topic_(topic), queue_(std::move(queue)) {}

  Result<std::optional<Record>> poll(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(bus_.mu_);
    bus_.changed_.wait_for(lock, timeout, [&] { return !queue_->records.empty() || topic_.closed; });
    if (queue_->records.empty()) return std::optional<Record>{};
    Record r = std::move(queue_->records.front());
    queue_->records.pop_front();
    ++queue_->in_flight;
    lock.unlock();
    bus_.changed_.notify_all();  // a publisher may be waiting for room
    return std::optional<Record>{std::move(r)};
  }

  Status commit(const Record& record) override {
    std::lock_guard lock(bus_.mu_);
    if (record.topic != topic_.name) return make_error("commit", "record of topic " + record.topic + " committed on " + topic_.name);
    if (queue_->in_flight == 0) return make_error("commit", "commit without an uncommitted record on " + topic_.name);
    --queue_->in_flight;
    bus_.changed_.notify_all();
    return ok_status();
  }

  // Embedded mode has no dead-letter topic: the stage that rejects logs and counts the record.
  Status reject(const Record& record, const Error& /*why*/) override { return commit(record); }

  bool finished() const override {
    std::lock_guard lock(bus_.mu_);
    return topic_.closed && queue_->records.empty();
  }

 private:
  MemoryBus& bus_;
  MemoryBus::Topic& topic_;
  std::shared_ptr<MemoryBus::Queue> queue_;
};

MemoryBus::MemoryBus(std::size_t capacity_per_queue) : capacity_(capacity_per_queue == 0 ? 1 : capacity_per_queue) {}

MemoryBus::~MemoryBus() = default;

MemoryBus::Topic& MemoryBus::topic_locked(std::string_view name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    auto t = std::make_unique<Topic>();
    t->name = std::string(name);
    it = topics_.emplace(std::string(name), std::move(t)).first;
  }
  return *it->second;
}

Status MemoryBus::publish(std::string_view topic, std::string_view key, std::string_view value) {
  return publish_for(topic, key, value, std::chrono::milliseconds::max());
}

Status MemoryBus::publish_for(std::string_view topic, std::string_view key, std::string_view value,
                              std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  Topic& t = topic_locked(topic);
  auto has_room = [&] {
    if (t.groups.empty()) return t.backlog->records.size() < capacity_;
    for (const auto& q : t.groups) {
      if (q->records.size() >= capacity_) return false;
    }
    return true;
  };
  const auto ready = [&] { return t.closed || has_room(); };
  if (timeout == std::chrono::milliseconds::max()) {
    changed_.wait(lock, ready);
  } else if (!changed_.wait_for(lock, timeout, ready)) {
    return make_error("full", "topic " + t.name + " stayed full");
  }
  if (t.closed) return make_error("closed", "topic " + t.name + " is closed");
  Record r{t.name, std::string(key), std::string(value), 0, t.next_offset++};
  if (t.groups.empty()) {
    t.backlog->records.push_back(std::move(r));
  } else {
    for (std::size_t i = 0; i + 1 < t.groups.size(); ++i) t.groups[i]->records.push_back(r);
    t.groups.back()->records.push_back(std::move(r));
  }
  lock.unlock();
  changed_.notify_all();
  return ok_status();
}

ConsumerPtr MemoryBus::subscribe(std::string_view topic, std::string_view group) {
  std::lock_guard lock(mu_);
  Topic& t = topic_locked(topic);
  for (const auto& q : t.groups) {
    if (q->group == group) return std::make_unique<MemoryConsumer>(*this, t, q);
  }
  std::shared_ptr<Queue> q;
  if (t.groups.empty()) {
    q = t.backlog;  // the first group inherits what was published before anyone listened
    t.backlog = std::make_shared<Queue>();
  } else {
    q = std::make_shared<Queue>();
  }
  q->group = std::string(group);
  t.groups.push_back(q);
  return std::make_unique<MemoryConsumer>(*this, t, q);
}

void MemoryBus::close_topic(std::string_view topic) {
  {
    std::lock_guard lock(mu_);
    topic_locked(topic).closed = true;
  }
  changed_.notify_all();
}

void MemoryBus::close_all() {
  {
    std::lock_guard lock(mu_);
    for (auto& [name, t] : topics_) t->closed = true;
  }
  changed_.notify_all();
}

std::size_t MemoryBus::pending(std::string_view topic) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return 0;
  const Topic& t = *it->second;
  std::size_t n = t.backlog->records.size();
  for (const auto& q : t.groups) n += q->records.size() + q->in_flight;
  return n;
}

bool MemoryBus::wait_committed(std::string_view topic, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  auto drained = [&] {
    auto it = topics_.find(topic);
    if (it == topics_.end()) return true;
    const Topic& t = *it->second;
    if (!t.backlog->records.empty()) return false;
    for (const auto& q : t.groups) {
      if (!q->records.empty() || q->in_flight != 0) return false;
    }
    return true;
  };
  return changed_.wait_for(lock, timeout, drained);
}

std::size_t MemoryBus::depth(std::string_view topic) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return 0;
  std::size_t n = it->second->backlog->records.size();
  for (const auto& q : it->second->groups) n += q->records.size();
  return n;
}

}  // namespace vigia
