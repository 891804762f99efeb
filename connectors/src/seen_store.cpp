#include "vigia/connectors/seen_store.h"

#include <algorithm>
#include <unordered_set>

#include "vigia/core/log.h"

namespace vigia::connectors {
namespace {

std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace

SeenStore::SeenStore(std::size_t memory_capacity, StateDbPtr db, std::chrono::milliseconds ttl,
                     std::size_t recent_per_feed)
    : memory_(memory_capacity), db_(std::move(db)), ttl_(ttl), recent_per_feed_(recent_per_feed) {}

Status SeenStore::open(Timestamp now) {
  if (!db_) return ok_status();
  auto created = db_->exec(
      "CREATE TABLE IF NOT EXISTS seen_items ("
      " id TEXT PRIMARY KEY, feed TEXT NOT NULL, first_seen INTEGER NOT NULL) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS seen_items_first_seen ON seen_items (first_seen);"
      // For recent_for_feed(): a feed's newest ids without scanning the table.
      "CREATE INDEX IF NOT EXISTS seen_items_feed ON seen_items (feed, first_seen)");
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
  if (!db_) return remember_for_feed(feed, id, now);
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

void SeenStore::remember_for_feed(std::string_view feed, std::string_view id, Timestamp first_seen) {
  if (recent_per_feed_ == 0) return;
  std::lock_guard lock(recent_mu_);
  auto it = recent_.find(feed);
  if (it == recent_.end()) it = recent_.emplace(std::string(feed), std::deque<SeenEntry>{}).first;
  it->second.push_back(SeenEntry{std::string(id), first_seen});
  while (it->second.size() > recent_per_feed_) it->second.pop_front();
}

std::vector<SeenEntry> SeenStore::recent_for_feed(std::string_view feed, std::size_t limit, Timestamp now) const {
  std::vector<SeenEntry> out;
  if (limit == 0) return out;
  const Timestamp oldest = now - ttl_;
  if (db_) {
    auto s = db_->query(
        "SELECT id, first_seen FROM seen_items WHERE feed = ?1 AND first_seen >= ?2"
        " ORDER BY first_seen DESC LIMIT ?3",
        {std::string(feed), millis(oldest), static_cast<std::int64_t>(limit)}, [&](const StateDb::Row& row) {
          out.push_back(SeenEntry{std::get<std::string>(row[0]),
                                  Timestamp{std::chrono::milliseconds{std::get<std::int64_t>(row[1])}}});
        });
    if (!s.ok()) log::get("connectors")->warn("feed '{}': listing its published ids: {}", feed, s.error().message);
    return out;
  }
  std::lock_guard lock(recent_mu_);
  auto it = recent_.find(feed);
  if (it == recent_.end()) return out;
  // The list may hold an id twice (restored from a checkpoint, then confirmed again after the
  // memory set forgot it): keep its newest sighting once.
  std::unordered_set<std::string_view> taken;
  for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
    if (e->first_seen >= oldest && taken.insert(e->id).second) out.push_back(*e);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const SeenEntry& a, const SeenEntry& b) { return a.first_seen > b.first_seen; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::size_t SeenStore::restore(std::string_view feed, const std::vector<SeenEntry>& entries, Timestamp now) {
  const Timestamp oldest = now - ttl_;
  std::vector<const SeenEntry*> live;
  live.reserve(entries.size());
  for (const auto& e : entries) {
    if (!e.id.empty() && e.first_seen >= oldest) live.push_back(&e);
  }
  // Oldest first, so that the memory set and the per-feed list forget them in age order.
  std::stable_sort(live.begin(), live.end(),
                   [](const SeenEntry* a, const SeenEntry* b) { return a->first_seen < b->first_seen; });
  for (const SeenEntry* e : live) {
    memory_.insert(e->id);
    if (!db_) {
      remember_for_feed(feed, e->id, e->first_seen);
      continue;
    }
    auto s = db_->query("INSERT OR IGNORE INTO seen_items (id, feed, first_seen) VALUES (?1, ?2, ?3)",
                        {e->id, std::string(feed), millis(e->first_seen)});
    if (!s.ok()) log::get("connectors")->warn("could not record item {} as seen: {}", e->id, s.error().message);
  }
  return live.size();
}

}  // namespace vigia::connectors
