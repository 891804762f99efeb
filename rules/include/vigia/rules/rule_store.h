// RuleStore: the rule set the daemon is running right now, and the one place a reload swaps a
// new one in. Suricata's detect-engine reload is the model: the new set is built to the side
// (loader + embedded tests, by whoever calls swap()), published in one step, and each score
// worker picks it up between two items — never in the middle of one — by comparing a generation
// number it can read without a lock. A set is freed when the last holder drops it: the store
// once it was replaced, each worker once it moved on to the next generation.
//
//   RuleStore store(initial);
//   // worker, between items:
//   if (store.generation() != mine.generation) mine = store.current();   // then rebuild the Scorer
//   // reloader, off the hot path:
//   store.swap(std::move(checked_set));
//
// Listeners (e.g. the score stage's rule-set gauges) are told of every swap just BEFORE the new
// set becomes visible through current(), so that whatever they derive from it — metric series
// for new rules — exists by the time a worker scores with it.
//
// Thread-safety: every method may be called from any thread. generation() is one atomic load
// (the per-item check); current() takes a mutex only to copy the pointer; swaps are serialised
// with each other and with listener registration. A listener runs on the swapping thread and must
// not call swap(), add_listener() or remove_listener() (that would deadlock); it may call
// current() and generation(). Ownership: the store shares the sets (shared_ptr<const RuleSet>);
// listeners are borrowed until removed. Failure: none; a null set is a programming error and
// aborts (VIGIA_CHECK), as the workers rely on there always being a set.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "vigia/rules/rule_set.h"

namespace vigia::rules {

class RuleStore {
 public:
  struct Snapshot {
    RuleSetPtr rules;               // never null
    std::uint64_t generation = 0;  // 1 for the initial set, +1 per swap
  };
  // `previous` is null for the call add_listener() makes with the set current at that moment.
  using Listener = std::function<void(const RuleSetPtr& previous, const RuleSetPtr& next)>;
  using ListenerId = std::uint64_t;

  explicit RuleStore(RuleSetPtr initial);
  RuleStore(const RuleStore&) = delete;
  RuleStore& operator=(const RuleStore&) = delete;

  // The set and its generation, read together.
  Snapshot current() const;
  // Cheap enough to call before every item.
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  // Makes `next` the current set (listeners first, see above) and returns its generation. The
  // store drops its reference to the previous set; workers still scoring with it keep it alive.
  std::uint64_t swap(RuleSetPtr next);

  // Calls `listener(nullptr, current)` at once, then on every swap until removed. Removing waits
  // for a call in progress, so the listener's captures may be destroyed right after.
  ListenerId add_listener(Listener listener);
  void remove_listener(ListenerId id);

 private:
  // Serialises swaps and listener calls (held while listeners run).
  mutable std::mutex swap_mu_;
  std::map<ListenerId, Listener> listeners_;  // guarded by swap_mu_
  ListenerId next_listener_ = 1;              // guarded by swap_mu_
  // Guards the pair (rules_, generation_) for readers of current(); generation_ is also read
  // without it by generation(), which is why it is atomic.
  mutable std::mutex mu_;
  RuleSetPtr rules_;
  std::atomic<std::uint64_t> generation_{1};
};

using RuleStorePtr = std::shared_ptr<RuleStore>;

}  // namespace vigia::rules
