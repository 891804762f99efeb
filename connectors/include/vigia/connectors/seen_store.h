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
// In Kafka mode a feed's dedup state moves with the feed (see IngestStage): recent_for_feed()
// lists what a feed published for its checkpoint, and restore() marks a checkpoint's ids as
// published on the feed's new owner. Per feed, that list comes from seen_items when there is a
// database, else from a bounded in-memory list kept only when `recent_per_feed` > 0.
//
// Thread-safety: all members may be called concurrently. Failure: a database error is logged
// and the store carries on in memory (dedup then only lasts until the next restart).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/connectors/seen_ids.h"
#include "vigia/core/state_db.h"
#include "vigia/core/time.h"

namespace vigia::connectors {

// An id a feed published and when it was first seen.
struct SeenEntry {
  std::string id;
  Timestamp first_seen;
  bool operator==(const SeenEntry&) const = default;
};

class SeenStore {
 public:
  // `db` may be null: memory only. Without a db, the last `recent_per_feed` confirmed ids of each
  // feed are also kept in memory for recent_for_feed() (0: none kept, recent_for_feed is empty).
  SeenStore(std::size_t memory_capacity, StateDbPtr db, std::chrono::milliseconds ttl, std::size_t recent_per_feed = 0);

  // Creates the table and prunes expired rows. Without a database, does nothing.
  Status open(Timestamp now);
  // True when `id` was neither published before nor is being published now; then it is reserved.
  bool claim(std::string_view id);
  void confirm(std::string_view id, std::string_view feed, Timestamp now);
  void release(std::string_view id);
  // Deletes rows first seen before now - ttl; returns how many.
  std::size_t prune(Timestamp now);

  // The ids confirmed for `feed`, newest first: at most `limit`, none first seen before
  // now - ttl. A database error is logged and gives what could be read (possibly nothing).
  std::vector<SeenEntry> recent_for_feed(std::string_view feed, std::size_t limit, Timestamp now) const;
  // Marks `entries` as published by `feed`, with their first-seen times, as if claimed and
  // confirmed here (a checkpoint from the feed's previous owner): claim() refuses them from now on.
  // Entries first seen before now - ttl are skipped. Returns how many were restored.
  std::size_t restore(std::string_view feed, const std::vector<SeenEntry>& entries, Timestamp now);

 private:
  void remember_for_feed(std::string_view feed, std::string_view id, Timestamp first_seen);

  SeenIds memory_;
  StateDbPtr db_;
  std::chrono::milliseconds ttl_;
  std::size_t recent_per_feed_;
  mutable std::mutex recent_mu_;
  // Without a db: per feed, confirmed ids in the order they were confirmed (oldest first).
  std::map<std::string, std::deque<SeenEntry>, std::less<>> recent_;
};

}  // namespace vigia::connectors
