#include "vigia/rules/rule_store.h"

#include <exception>

#include "vigia/core/check.h"
#include "vigia/core/log.h"

namespace vigia::rules {

namespace {
// A listener that throws must not stop a checked set from going live, nor the other listeners
// from hearing of it: log it and go on.
void notify(const RuleStore::Listener& listener, const RuleSetPtr& previous, const RuleSetPtr& next) {
  try {
    listener(previous, next);
  } catch (const std::exception& e) {
    log::get("rules")->error("a rule-set listener failed on version {}: {}", next->version(), e.what());
  }
}
}  // namespace

RuleStore::RuleStore(RuleSetPtr initial) : rules_(std::move(initial)) {
  VIGIA_CHECK(rules_ != nullptr, "a RuleStore needs a rule set");
}

RuleStore::Snapshot RuleStore::current() const {
  std::lock_guard lock(mu_);
  return {rules_, generation_.load(std::memory_order_relaxed)};
}

std::uint64_t RuleStore::swap(RuleSetPtr next) {
  VIGIA_CHECK(next != nullptr, "cannot swap in a null rule set");
  std::lock_guard serial(swap_mu_);
  RuleSetPtr previous = current().rules;
  for (const auto& [id, listener] : listeners_) notify(listener, previous, next);
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    rules_ = std::move(next);
    generation = generation_.load(std::memory_order_relaxed) + 1;
    // Release: a worker that reads the new number (acquire) and then current() sees the new set.
    generation_.store(generation, std::memory_order_release);
  }
  // `previous` goes out of scope here, off the hot path: if no worker holds it any more, its
  // Hyperscan database is freed on the swapping thread.
  return generation;
}

RuleStore::ListenerId RuleStore::add_listener(Listener listener) {
  std::lock_guard serial(swap_mu_);
  notify(listener, nullptr, current().rules);
  const ListenerId id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void RuleStore::remove_listener(ListenerId id) {
  std::lock_guard serial(swap_mu_);
  listeners_.erase(id);
}

}  // namespace vigia::rules
