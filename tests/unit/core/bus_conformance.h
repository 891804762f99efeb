// The Bus contract, written once and run against every implementation (MemoryBus now, KafkaBus
// in Kafka mode). A factory gives each test a fresh, empty bus.
#pragma once

#include <functional>
#include <memory>

#include "vigia/core/bus.h"

namespace vigia::test {

using BusFactory = std::function<std::unique_ptr<Bus>()>;

// Runs every conformance section against buses made by `make`.
void run_bus_conformance(const BusFactory& make);

}  // namespace vigia::test
