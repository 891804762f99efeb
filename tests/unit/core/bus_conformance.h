// The Bus contract, written once and run against every implementation (MemoryBus now, KafkaBus
// in Kafka mode). A factory gives each test a fresh, empty bus.
#pragma once

#include <functional>
#include <memory>

#include "vigia/core/bus.h"

namespace vigia::test {

using BusFactory = std::function<std::unique_ptr<Bus>()>;

struct BusTraits {
  // MemoryBus never moves a record between consumers; Kafka may redeliver one whose commit a
  // rebalance overtook (at-least-once), so only delivery of every record is required there.
  bool exactly_once_in_group = true;
};

// Runs every conformance section against buses made by `make`.
void run_bus_conformance(const BusFactory& make, BusTraits traits = {});

}  // namespace vigia::test
