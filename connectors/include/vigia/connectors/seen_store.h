// SeenStore: which item ids have already gone onto the bus, so an item a feed repeats on every
// poll — or an edited item that keeps its id — is published once, also across restarts.
//
// A bounded in-memory set (SeenIds) answers the common case; behind it, when a StateDb is given,
// the table seen_items keeps every published id with its first sighting, and rows older than the
// TTL are pruned (an id that old has left every feed window long ago).
//
// Publishing is claim -> publish -> confirm: claim() reserves an id in memory so two feeds
// carrying the same story cannot both publish it; confirm() makes it durable once it is on the
// bus; release() gives the reservation back when publishing failed. A crash between publish and
// confirm re-emits that item after the restart: at-least-once, never lost.
//
// Thread-safety: all members may be called concurrently. Failure: a database error is logged
// and the store carries on in memory (dedup then only lasts until the next restart).
#pragma once

#include <chrono>
#include <string_view>

#include "vigia/connectors/seen_ids.h"
#include "vigia/core/state_db.h"
#include "vigia/core/time.h"

namespace vigia::connectors {

class SeenStore {
 public:
  // `db` may be null: memory only.
  SeenStore(std::size_t memory_capacity, StateDbPtr db, std::chrono::milliseconds ttl);

  // Creates the table and prunes expired rows. Without a database, does nothing.
  Status open(Timestamp now);
  // True when `id` was neither published before nor is being published now; then it is reserved.
  bool claim(std::string_view id);
  void confirm(std::string_view id, std::string_view feed, Timestamp now);
  void release(std::string_view id);
  // Deletes rows first seen before now - ttl; returns how many.
  std::size_t prune(Timestamp now);

 private:
  SeenIds memory_;
  StateDbPtr db_;
  std::chrono::milliseconds ttl_;
};

}  // namespace vigia::connectors
