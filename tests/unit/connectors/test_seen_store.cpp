#include <catch2/catch.hpp>

#include "connector_test_util.h"
#include "support/test_paths.h"
#include "vigia/connectors/seen_store.h"

using namespace vigia;
using namespace vigia::connectors;
using vigia::test::kNow;
using namespace std::chrono_literals;

TEST_CASE("a claimed id cannot be claimed again until it is released", "[connectors][dedup]") {
  SeenStore store(100, nullptr, 24h);
  REQUIRE(store.open(kNow).ok());
  CHECK(store.claim("a"));
  CHECK_FALSE(store.claim("a"));
  store.release("a");
  CHECK(store.claim("a"));
}

TEST_CASE("confirmed ids survive a restart and expire after the TTL", "[connectors][dedup]") {
  vigia::test::TempDir dir;
  {
    auto db = StateDb::open(dir / "state.db");
    REQUIRE(db.ok());
    SeenStore store(100, *db, 24h);
    REQUIRE(store.open(kNow).ok());
    REQUIRE(store.claim("old"));
    store.confirm("old", "feed", kNow - 30h);
    REQUIRE(store.claim("recent"));
    store.confirm("recent", "feed", kNow - 1h);
    REQUIRE(store.claim("unconfirmed"));  // published? we never learned: not durable
  }
  auto db = StateDb::open(dir / "state.db");
  REQUIRE(db.ok());
  SeenStore store(100, *db, 24h);
  REQUIRE(store.open(kNow).ok());  // prunes what is older than the TTL
  CHECK_FALSE(store.claim("recent"));
  CHECK(store.claim("old"));
  CHECK(store.claim("unconfirmed"));
}
