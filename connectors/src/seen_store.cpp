#include "vigia/connectors/seen_store.h"

#include "vigia/core/log.h"

namespace vigia::connectors {
namespace {

std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace

SeenStore::SeenStore(std::size_t memory_capacity, StateDbPtr db, std::chrono::milliseconds ttl)
    : memory_(memory_capacity), db_(std::move(db)), ttl_(ttl) {}

Status SeenStore::open(Timestamp now) {
  if (!db_) return ok_status();
  auto created = db_->exec(
      "CREATE TABLE IF NOT EXISTS seen_items ("
      " id TEXT PRIMARY KEY, feed TEXT NOT NULL, first_seen INTEGER NOT NULL) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS seen_items_first_seen ON seen_items (first_seen)");
  if (!created.ok()) return created;
  prune(now);
  return ok_status();
}

bool SeenStore::claim(std::string_view id) {
  if (!memory_.insert(id)) return false;
  if (!db_) return true;
  bool published_before = false;
  auto s = db_->query("SELECT 1 FROM seen_items WHERE id = ?1", {std::string(id)},
                      [&](const StateDb::Row&) { published_before = true; });
  if (!s.ok()) {
    log::get("connectors")->warn("dedup lookup failed, going by memory only: {}", s.error().message);
    return true;
  }
  // Known from an earlier run: keep it in memory so the next sighting costs no query.
  return !published_before;
}

void SeenStore::confirm(std::string_view id, std::string_view feed, Timestamp now) {
  if (!db_) return;
  auto s = db_->query("INSERT OR IGNORE INTO seen_items (id, feed, first_seen) VALUES (?1, ?2, ?3)",
                      {std::string(id), std::string(feed), millis(now)});
  if (!s.ok()) log::get("connectors")->warn("could not record item {} as seen: {}", id, s.error().message);
}

void SeenStore::release(std::string_view id) { memory_.forget(id); }

std::size_t SeenStore::prune(Timestamp now) {
  if (!db_) return 0;
  auto s = db_->query("DELETE FROM seen_items WHERE first_seen < ?1", {millis(now - ttl_)});
  if (!s.ok()) {
    log::get("connectors")->warn("pruning seen items failed: {}", s.error().message);
    return 0;
  }
  return static_cast<std::size_t>(db_->changes());
}

}  // namespace vigia::connectors
