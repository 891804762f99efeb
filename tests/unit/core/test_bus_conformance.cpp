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

// Polls until `want` records came or `patience` passed (a Kafka consumer first joins its group).
std::vector<Record> drain(Consumer& c, std::size_t want, bool commit = true, std::chrono::milliseconds patience = 20s) {
  std::vector<Record> got;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto r = c.poll(100ms);
    REQUIRE(r.ok());
    if (!r->has_value()) continue;
    got.push_back(**r);
    if (commit) REQUIRE(c.commit(got.back()).ok());
  }
  return got;
}

}  // namespace

void run_bus_conformance(const BusFactory& make, BusTraits traits) {
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
  SECTION("consumers of one group share records: every record reaches one of them") {
    auto bus = make();
    auto a = bus->subscribe("t", "g");
    auto b = bus->subscribe("t", "g");
    const std::size_t n = 200;
    std::thread producer([&] {
      for (std::size_t i = 0; i < n; ++i) REQUIRE(bus->publish("t", std::to_string(i), std::to_string(i)).ok());
    });
    std::multiset<std::string> seen;
    std::set<std::string> unique;
    std::mutex mu;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    auto consume = [&](Consumer& c) {
      while (std::chrono::steady_clock::now() < deadline) {
        auto r = c.poll(100ms);
        REQUIRE(r.ok());
        std::lock_guard lock(mu);
        if (!r->has_value()) {
          if (unique.size() == n) return;
          continue;
        }
        REQUIRE(c.commit(**r).ok());
        seen.insert((*r)->value);
        unique.insert((*r)->value);
      }
    };
    std::thread ta([&] { consume(*a); });
    std::thread tb([&] { consume(*b); });
    producer.join();
    ta.join();
    tb.join();
    CHECK(unique.size() == n);
    INFO("records delivered twice (a rebalance moved them before their commit): " << seen.size() - unique.size());
    if (traits.exactly_once_in_group) CHECK(seen.size() == n);
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
  SECTION("a rejected record is committed and the consumer goes on to the next") {
    auto bus = make();
    auto c = bus->subscribe("t", "g");
    REQUIRE(bus->publish("t", "k", "poison").ok());
    REQUIRE(bus->publish("t", "k", "fine").ok());
    auto first = drain(*c, 1, /*commit=*/false);
    REQUIRE(first.size() == 1);
    CHECK(first[0].value == "poison");
    REQUIRE(c->reject(first[0], make_error("json", "not JSON at byte 0")).ok());
    auto next = drain(*c, 1);
    REQUIRE(next.size() == 1);
    CHECK(next[0].value == "fine");
  }
  SECTION("flush returns once everything published is on the bus") {
    auto bus = make();
    for (int i = 0; i < 20; ++i) REQUIRE(bus->publish("t", std::to_string(i), "v").ok());
    CHECK(bus->flush(10s));
    auto c = bus->subscribe("t", "late");
    CHECK(drain(*c, 20).size() == 20);
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
