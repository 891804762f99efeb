#include "vigia/connectors/sqlite_feed_state.h"

#include "vigia/core/log.h"

namespace vigia::connectors {

Result<std::shared_ptr<SqliteFeedState>> SqliteFeedState::open(StateDbPtr db) {
  auto created = db->exec(
      "CREATE TABLE IF NOT EXISTS feed_state ("
      " feed TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (feed, key)) WITHOUT ROWID");
  if (!created.ok()) return created.error();
  return std::shared_ptr<SqliteFeedState>(new SqliteFeedState(std::move(db)));
}

std::optional<std::string> SqliteFeedState::get(std::string_view feed, std::string_view key) const {
  std::optional<std::string> value;
  auto s = db_->query("SELECT value FROM feed_state WHERE feed = ?1 AND key = ?2", {std::string(feed), std::string(key)},
                      [&](const StateDb::Row& row) { value = std::get<std::string>(row[0]); });
  if (!s.ok()) log::get("connectors")->warn("feed '{}': reading state '{}': {}", feed, key, s.error().message);
  return value;
}

void SqliteFeedState::put(std::string_view feed, std::string_view key, std::string_view value) {
  auto s = db_->query("INSERT INTO feed_state (feed, key, value) VALUES (?1, ?2, ?3)"
                      " ON CONFLICT (feed, key) DO UPDATE SET value = excluded.value",
                      {std::string(feed), std::string(key), std::string(value)});
  if (!s.ok()) log::get("connectors")->warn("feed '{}': saving state '{}': {}", feed, key, s.error().message);
}

void SqliteFeedState::erase(std::string_view feed, std::string_view key) {
  auto s = db_->query("DELETE FROM feed_state WHERE feed = ?1 AND key = ?2", {std::string(feed), std::string(key)});
  if (!s.ok()) log::get("connectors")->warn("feed '{}': erasing state '{}': {}", feed, key, s.error().message);
}

std::map<std::string, std::string> SqliteFeedState::entries(std::string_view feed) const {
  std::map<std::string, std::string> out;
  auto s = db_->query(
      "SELECT key, value FROM feed_state WHERE feed = ?1", {std::string(feed)},
      [&](const StateDb::Row& row) { out.emplace(std::get<std::string>(row[0]), std::get<std::string>(row[1])); });
  if (!s.ok()) {
    log::get("connectors")->warn("feed '{}': reading its state: {}", feed, s.error().message);
    out.clear();
  }
  return out;
}

}  // namespace vigia::connectors
