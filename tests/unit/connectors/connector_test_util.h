// Helpers shared by the connector tests.
#pragma once

#include <chrono>
#include <vector>

#include "vigia/connectors/connector.h"
#include "vigia/core/bus.h"
#include "vigia/core/time.h"

namespace vigia::test {

// The fixed "now" the connector tests run at.
inline const Timestamp kNow = *parse_rfc3339("2024-05-20T12:00:00Z");

// An ItemWriter that keeps what it is given.
class CollectingWriter final : public connectors::ItemWriter {
 public:
  Status write(Item item) override {
    items.push_back(std::move(item));
    return ok_status();
  }
  std::vector<Item> items;
};

// Every record waiting for `consumer` now (stops at the first empty 10 ms poll).
inline std::vector<Record> drain(Consumer& consumer) {
  std::vector<Record> out;
  while (true) {
    auto r = consumer.poll(std::chrono::milliseconds(10));
    if (!r.ok() || !r->has_value()) break;
    out.push_back(std::move(**r));
  }
  return out;
}

}  // namespace vigia::test
