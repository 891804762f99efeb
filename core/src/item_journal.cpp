#include "vigia/core/item_journal.h"

#include <chrono>
#include <utility>
#include <vector>

#include "vigia/core/log.h"

namespace vigia {

Result<std::shared_ptr<ItemJournal>> ItemJournal::open(StateDbPtr db) {
  if (!db) return make_error("state", "the item journal needs a state database");
  if (auto s = db->exec("CREATE TABLE IF NOT EXISTS item_journal ("
                        " key TEXT PRIMARY KEY, record BLOB NOT NULL, added INTEGER NOT NULL)");
      !s.ok()) {
    return s.error();
  }
  return std::shared_ptr<ItemJournal>(new ItemJournal(std::move(db)));
}

Status ItemJournal::add(std::string_view key, std::string_view record) {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return db_->query("INSERT OR REPLACE INTO item_journal (key, record, added) VALUES (?1, ?2, ?3)",
                    {std::string(key), std::string(record), static_cast<std::int64_t>(now)});
}

void ItemJournal::done(std::string_view key) noexcept {
  try {
    if (auto s = db_->query("DELETE FROM item_journal WHERE key = ?1", {std::string(key)}); !s.ok()) {
      log::get("daemon")->warn("item journal: cannot mark {} done: {} (it will be replayed once more)", key,
                               s.error().message);
    }
  } catch (const std::exception& e) {
    log::get("daemon")->warn("item journal: cannot mark {} done: {}", key, e.what());
  }
}

Status ItemJournal::replay(const std::function<Status(const std::string& key, const std::string& record)>& publish) {
  std::vector<std::pair<std::string, std::string>> entries;
  if (auto s = db_->query("SELECT key, record FROM item_journal ORDER BY added, key", {},
                          [&](const StateDb::Row& row) {
                            entries.emplace_back(std::get<std::string>(row[0]), std::get<std::string>(row[1]));
                          });
      !s.ok()) {
    return s;
  }
  for (const auto& [key, record] : entries) {
    if (auto s = publish(key, record); !s.ok()) return s;
  }
  return ok_status();
}

std::size_t ItemJournal::pending() const {
  std::size_t n = 0;
  (void)db_->query("SELECT COUNT(*) FROM item_journal", {},
                   [&](const StateDb::Row& row) { n = static_cast<std::size_t>(std::get<std::int64_t>(row[0])); });
  return n;
}

}  // namespace vigia
