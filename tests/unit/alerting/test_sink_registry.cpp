#include <catch2/catch.hpp>

#include <algorithm>

#include "alerting_test_util.h"

using namespace vigia;
using namespace vigia::alerting;

namespace {

const ConfigKey* key_of(const SinkKind& kind, const std::string& name) {
  auto it = std::find_if(kind.schema.begin(), kind.schema.end(), [&](const ConfigKey& k) { return k.name == name; });
  return it == kind.schema.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("builtin sinks register webhook, console and file with documented config keys", "[alerting][registry]") {
  SinkRegistry registry;
  register_builtin_sinks(registry);
  REQUIRE(registry.kinds().size() == 3);
  CHECK(registry.find("slack") == nullptr);

  const SinkKind* webhook = registry.find("webhook");
  REQUIRE(webhook != nullptr);
  REQUIRE(key_of(*webhook, "url") != nullptr);
  CHECK(key_of(*webhook, "url")->required);
  REQUIRE(key_of(*webhook, "timeout") != nullptr);
  CHECK(key_of(*webhook, "timeout")->type == ConfigType::kDuration);
  CHECK(defaults_of(webhook->schema).duration("timeout") == std::chrono::seconds{10});
  CHECK_FALSE(defaults_of(webhook->schema).boolean("allow_private"));

  const SinkKind* file = registry.find("file");
  REQUIRE(file != nullptr);
  CHECK(key_of(*file, "path")->required);
  CHECK(key_of(*file, "path")->type == ConfigType::kPath);  // relative to the config file
  CHECK(defaults_of(file->schema).string("format") == "jsonl");

  REQUIRE(registry.find("console") != nullptr);
  for (const auto& kind : registry.kinds()) {
    CAPTURE(kind.name);
    CHECK_FALSE(kind.description.empty());
    CHECK(kind.create != nullptr);
    for (const auto& key : kind.schema) CHECK_FALSE(key.description.empty());
  }
}

TEST_CASE("registering a sink kind name twice is refused", "[alerting][registry]") {
  SinkRegistry registry;
  register_builtin_sinks(registry);
  CHECK_THROWS_AS(register_builtin_sinks(registry), std::invalid_argument);
  CHECK(registry.kinds().size() == 3);
}
