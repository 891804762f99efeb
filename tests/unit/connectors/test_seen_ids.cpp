#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "vigia/connectors/seen_ids.h"
#include "vigia/core/hash.h"

using vigia::stable_id;
using vigia::connectors::SeenIds;

TEST_CASE("seen ids report each id new exactly once", "[connectors][dedup]") {
  SeenIds seen(10);
  CHECK(seen.insert(stable_id("a")));
  CHECK_FALSE(seen.insert(stable_id("a")));
  CHECK(seen.insert(stable_id("b")));
  CHECK(seen.contains(stable_id("a")));
  CHECK(seen.size() == 2);
}

TEST_CASE("seen ids forget the oldest beyond capacity", "[connectors][dedup]") {
  SeenIds seen(3);
  for (const char* id : {"1", "2", "3", "4"}) REQUIRE(seen.insert(stable_id(id)));
  CHECK(seen.size() == 3);
  CHECK_FALSE(seen.contains(stable_id("1")));
  CHECK(seen.contains(stable_id("2")));
  CHECK(seen.contains(stable_id("4")));
  CHECK(seen.insert(stable_id("1")));  // forgotten, so new again; now "2" is the oldest
  CHECK_FALSE(seen.contains(stable_id("2")));
}

TEST_CASE("a forgotten id can be inserted again and eviction order stays right", "[connectors][dedup]") {
  SeenIds seen(2);
  REQUIRE(seen.insert(stable_id("x")));
  seen.forget(stable_id("x"));
  CHECK_FALSE(seen.contains(stable_id("x")));
  REQUIRE(seen.insert(stable_id("y")));
  REQUIRE(seen.insert(stable_id("x")));  // re-inserted after "y": "y" is now the oldest
  REQUIRE(seen.insert(stable_id("z")));
  CHECK_FALSE(seen.contains(stable_id("y")));
  CHECK(seen.contains(stable_id("x")));
  CHECK(seen.contains(stable_id("z")));
  for (int i = 0; i < 1000; ++i) {  // churn leaves stale entries that must not grow without bound
    seen.forget(stable_id("z"));
    REQUIRE(seen.insert(stable_id("z")));
  }
  CHECK(seen.size() == 2);
}

TEST_CASE("ids that are not hex digests work too", "[connectors][dedup]") {
  SeenIds seen(4);
  CHECK(seen.insert("custom-id-1"));
  CHECK_FALSE(seen.insert("custom-id-1"));
  CHECK(seen.insert("custom-id-2"));
  CHECK(seen.insert("ABCDEF0123456789ABCDEF0123456789"));
  CHECK_FALSE(seen.insert("abcdef0123456789abcdef0123456789"));  // the same 128 bits
}

TEST_CASE("concurrent inserts of one id let exactly one caller through", "[connectors][dedup]") {
  SeenIds seen(1000);
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (seen.insert(stable_id(std::to_string(i)))) ++winners;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(winners == 200);
}

TEST_CASE("zero capacity remembers nothing", "[connectors][dedup]") {
  SeenIds seen(0);
  CHECK(seen.insert("a"));
  CHECK(seen.insert("a"));
  CHECK(seen.size() == 0);
}
