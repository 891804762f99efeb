#include <catch2/catch.hpp>

#include "support/test_paths.h"
#include "vigia/core/state_db.h"

using namespace vigia;

TEST_CASE("state database keeps rows across reopening the file", "[core][state]") {
  vigia::test::TempDir dir;
  const auto path = dir / "nested" / "vigia.db";
  {
    auto db = StateDb::open(path);
    REQUIRE(db.ok());
    REQUIRE((*db)->exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT, n INTEGER)").ok());
    REQUIRE((*db)->query("INSERT INTO kv VALUES (?1, ?2, ?3)", {std::string("a"), std::string("uno"), std::int64_t{7}}).ok());
    CHECK((*db)->changes() == 1);
  }
  auto db = StateDb::open(path);
  REQUIRE(db.ok());
  std::vector<StateDb::Row> rows;
  REQUIRE((*db)->query("SELECT k, v, n, NULL FROM kv WHERE k = ?1", {std::string("a")},
                       [&](const StateDb::Row& r) { rows.push_back(r); })
              .ok());
  REQUIRE(rows.size() == 1);
  CHECK(std::get<std::string>(rows[0][1]) == "uno");
  CHECK(std::get<std::int64_t>(rows[0][2]) == 7);
  CHECK(std::holds_alternative<std::monostate>(rows[0][3]));
}

TEST_CASE("state database errors name the database and say what failed", "[core][state]") {
  auto db = StateDb::open(":memory:");
  REQUIRE(db.ok());
  auto bad = (*db)->query("SELECT * FROM missing_table", {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().reason == "state");
  CHECK_THAT(bad.error().message, Catch::Contains("missing_table"));

  vigia::test::TempDir dir;
  vigia::test::write_file(dir / "not-a-db", "this is not a database file, just text that is long enough");
  auto garbage = StateDb::open(dir / "not-a-db");
  CHECK_FALSE(garbage.ok());
}
