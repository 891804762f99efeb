// Helpers shared by the connector tests.
#pragma once

#include <vector>

#include "vigia/connectors/connector.h"
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

}  // namespace vigia::test
