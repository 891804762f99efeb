#include <catch2/catch.hpp>

#include <thread>

#include "vigia/core/memory_bus.h"

using namespace std::chrono_literals;
using vigia::MemoryBus;

TEST_CASE("MemoryBus refuses to grow past its capacity and resumes once a record is consumed", "[core][bus]") {
  MemoryBus bus(2);
  auto c = bus.subscribe("t", "g");
  REQUIRE(bus.publish("t", "k", "1").ok());
  REQUIRE(bus.publish("t", "k", "2").ok());
  auto full = bus.publish_for("t", "k", "3", 20ms);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().reason == "full");
  CHECK(bus.depth("t") == 2);

  std::thread producer([&] { REQUIRE(bus.publish("t", "k", "3").ok()); });  // blocks until room
  auto r = c->poll(1s);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  producer.join();
  CHECK(bus.depth("t") == 2);
}

TEST_CASE("MemoryBus counts records as pending until committed", "[core][bus]") {
  MemoryBus bus(8);
  auto c = bus.subscribe("t", "g");
  REQUIRE(bus.publish("t", "k", "a").ok());
  CHECK(bus.pending("t") == 1);
  auto r = c->poll(1s);
  REQUIRE(r->has_value());
  CHECK(bus.pending("t") == 1);  // in flight
  CHECK_FALSE(bus.wait_committed("t", 10ms));
  REQUIRE(c->commit(**r).ok());
  CHECK(bus.pending("t") == 0);
  CHECK(bus.wait_committed("t", 10ms));
}

TEST_CASE("MemoryBus close drains: queued records still arrive, new ones are refused", "[core][bus]") {
  MemoryBus bus(8);
  auto c = bus.subscribe("t", "g");
  REQUIRE(bus.publish("t", "k", "a").ok());
  bus.close_topic("t");
  auto refused = bus.publish("t", "k", "b");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason == "closed");
  CHECK_FALSE(c->finished());
  auto r = c->poll(1s);
  REQUIRE(r->has_value());
  CHECK((*r)->value == "a");
  CHECK(c->finished());
}

TEST_CASE("MemoryBus close releases a publisher blocked on a full queue", "[core][bus]") {
  MemoryBus bus(1);
  auto c = bus.subscribe("t", "g");
  REQUIRE(bus.publish("t", "k", "a").ok());
  vigia::Status blocked_result;
  std::thread producer([&] { blocked_result = bus.publish("t", "k", "b"); });
  bus.close_topic("t");
  producer.join();
  REQUIRE_FALSE(blocked_result.ok());
  CHECK(blocked_result.error().reason == "closed");
}

TEST_CASE("MemoryBus rejects a commit without an outstanding record", "[core][bus]") {
  MemoryBus bus(8);
  auto c = bus.subscribe("t", "g");
  vigia::Record fake{"t", "k", "v", 0, 0};
  CHECK_FALSE(c->commit(fake).ok());
}
