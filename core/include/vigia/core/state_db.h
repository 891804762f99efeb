// StateDb: the one SQLite database (WAL mode) where the daemon keeps what must survive a restart
// — feed validators and cursors, seen item ids, and later alert throttles and novelty windows.
// Each module owns its tables and creates them with CREATE TABLE IF NOT EXISTS.
//
// Thread-safety: every call may come from any thread; calls are serialised on one connection
// (the volumes here are a few statements per item, far below what that costs). Failure: calls
// return a Status/Result with reason "state" naming the database and SQLite's message; callers
// decide whether to carry on without persistence.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vigia/core/result.h"

struct sqlite3;

namespace vigia {

class StateDb {
 public:
  using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
  using Row = std::vector<Value>;

  // Opens (creating it and its folder if needed) the database at `path`; ":memory:" gives a
  // private in-memory database.
  static Result<std::shared_ptr<StateDb>> open(const std::filesystem::path& path);
  ~StateDb();
  StateDb(const StateDb&) = delete;
  StateDb& operator=(const StateDb&) = delete;

  // Runs statements that return nothing (schema, pragmas).
  Status exec(std::string_view sql);
  // Runs one statement with `params` bound to ?1, ?2, ...; calls `on_row` for each result row.
  // Statements are prepared once and cached by their text.
  Status query(std::string_view sql, const std::vector<Value>& params,
               const std::function<void(const Row&)>& on_row = {});
  // The number of rows the last query() changed.
  std::int64_t changes() const;

  const std::filesystem::path& path() const { return path_; }

 private:
  StateDb(sqlite3* db, std::filesystem::path path);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path path_;
};

using StateDbPtr = std::shared_ptr<StateDb>;

}  // namespace vigia
