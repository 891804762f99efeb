#include "bus_conformance.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "vigia/core/memory_bus.h"

namespace vigia::test {
namespace {

using namespace std::chrono_literals;

std::vector<Record> drain(Consumer& c, std::size_t want, std::chrono::milliseconds per_poll = 2000ms) {
  std::vector<Record> got;
  while (got.size() < want) {
    auto r = c.poll(per_poll);
    REQUIRE(r.ok());
    if (!r->has_value()) break;
    got.push_back(**r);
    REQUIRE(c.commit(got.back()).ok());
  }
  return got;
}

}  // namespace

void run_bus_conformance(const BusFactory& make) {
  SECTION("records published before anyone subscribed reach the first group, in order") {
    auto bus = make();
    for (int i = 0; i < 5; ++i) REQUIRE(bus->publish("t", "k", "v" + std::to_string(i)).ok());
    auto c = bus->subscribe("t", "g");
    auto got = drain(*c, 5);
    REQUIRE(got.size() == 5);
    for (int i = 0; i < 5; ++i) {
      CHECK(got[static_cast<std::size_t>(i)].value == "v" + std::to_string(i));
      CHECK(got[static_cast<std::size_t>(i)].key == "k");
      CHECK(got[static_cast<std::size_t>(i)].topic == "t");
    }
  }
  SECTION("two groups each see every record") {
    auto bus = make();
    auto a = bus->subscribe("t", "a");
    auto b = bus->subscribe("t", "b");
    for (int i = 0; i < 3; ++i) REQUIRE(bus->publish("t", "k", std::to_string(i)).ok());
    CHECK(drain(*a, 3).size() == 3);
    CHECK(drain(*b, 3).size() == 3);
  }
  SECTION("consumers of one group share records: each record goes to exactly one") {
    auto bus = make();
    auto a = bus->subscribe("t", "g");
    auto b = bus->subscribe("t", "g");
    const int n = 200;
    std::thread producer([&] {
      for (int i = 0; i < n; ++i) REQUIRE(bus->publish("t", std::to_string(i), std::to_string(i)).ok());
    });
    std::multiset<std::string> seen;
    std::mutex mu;
    auto consume = [&](Consumer& c) {
      for (;;) {
        auto r = c.poll(300ms);
        REQUIRE(r.ok());
        if (!r->has_value()) {
          std::lock_guard lock(mu);
          if (seen.size() == static_cast<std::size_t>(n)) return;
          continue;
        }
        REQUIRE(c.commit(**r).ok());
        std::lock_guard lock(mu);
        seen.insert((*r)->value);
      }
    };
    std::thread ta([&] { consume(*a); });
    std::thread tb([&] { consume(*b); });
    producer.join();
    ta.join();
    tb.join();
    CHECK(seen.size() == static_cast<std::size_t>(n));
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == static_cast<std::size_t>(n));
  }
  SECTION("topics are independent") {
    auto bus = make();
    auto c = bus->subscribe("x", "g");
    REQUIRE(bus->publish("y", "k", "for y").ok());
    REQUIRE(bus->publish("x", "k", "for x").ok());
    auto got = drain(*c, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].value == "for x");
  }
  SECTION("an empty poll returns nothing after its timeout, without error") {
    auto bus = make();
    auto c = bus->subscribe("t", "g");
    auto r = c->poll(10ms);
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
  }
}

TEST_CASE("MemoryBus meets the Bus contract", "[core][bus]") {
  run_bus_conformance([] { return std::make_unique<MemoryBus>(64); });
}

}  // namespace vigia::test
