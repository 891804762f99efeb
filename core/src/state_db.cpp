#include "vigia/core/state_db.h"

#include <sqlite3.h>

#include <map>
#include <mutex>

namespace vigia {

struct StateDb::Impl {
  sqlite3* db = nullptr;
  mutable std::mutex mu;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements;
  std::int64_t last_changes = 0;

  ~Impl() {
    for (auto& [sql, stmt] : statements) sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
};

namespace {

Error db_error(sqlite3* db, const std::filesystem::path& path, std::string_view what) {
  return make_error("state", std::string(what) + " failed in " + path.string() + ": " + sqlite3_errmsg(db));
}

}  // namespace

StateDb::StateDb(sqlite3* db, std::filesystem::path path) : impl_(std::make_unique<Impl>()), path_(std::move(path)) {
  impl_->db = db;
}

StateDb::~StateDb() = default;

Result<std::shared_ptr<StateDb>> StateDb::open(const std::filesystem::path& path) {
  if (path != ":memory:" && path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return make_error("state", "cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    Error e = make_error("state", "cannot open " + path.string() + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return e;
  }
  std::shared_ptr<StateDb> state(new StateDb(db, path));
  // WAL: readers never block the writer; NORMAL: a crash can lose the last transactions but
  // never corrupt the file — and what we lose is re-derived (an item fetched again, a validator
  // re-learned).
  if (auto s = state->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"); !s.ok()) {
    return s.error();
  }
  return state;
}

Status StateDb::exec(std::string_view sql) {
  std::lock_guard lock(impl_->mu);
  char* message = nullptr;
  if (sqlite3_exec(impl_->db, std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error("state", "statement failed in " + path_.string() + ": " + text);
  }
  return ok_status();
}

Status StateDb::query(std::string_view sql, const std::vector<Value>& params,
                      const std::function<void(const Row&)>& on_row) {
  std::lock_guard lock(impl_->mu);
  sqlite3* db = impl_->db;
  sqlite3_stmt* stmt = nullptr;
  if (auto it = impl_->statements.find(sql); it != impl_->statements.end()) {
    stmt = it->second;
  } else {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
      return db_error(db, path_, "preparing '" + std::string(sql) + "'");
    }
    impl_->statements.emplace(std::string(sql), stmt);
  }
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const Value& v = params[i];
    if (std::holds_alternative<std::int64_t>(v)) {
      sqlite3_bind_int64(stmt, index, std::get<std::int64_t>(v));
    } else if (std::holds_alternative<double>(v)) {
      sqlite3_bind_double(stmt, index, std::get<double>(v));
    } else if (std::holds_alternative<std::string>(v)) {
      const auto& s = std::get<std::string>(v);
      sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(stmt, index);
    }
  }
  Row row;
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      Error e = db_error(db, path_, "running '" + std::string(sql) + "'");
      sqlite3_reset(stmt);
      return e;
    }
    if (!on_row) continue;
    row.clear();
    const int columns = sqlite3_column_count(stmt);
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c))); break;
        case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(stmt, c)); break;
        case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
        default: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
    }
    on_row(row);
  }
  impl_->last_changes = sqlite3_changes64(db);
  sqlite3_reset(stmt);
  return ok_status();
}

std::int64_t StateDb::changes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_changes;
}

}  // namespace vigia
