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

TEST_CASE("builtin sinks register every receiver kind with documented config keys", "[alerting][registry]") {
  SinkRegistry registry;
  register_builtin_sinks(registry);
  REQUIRE(registry.kinds().size() == 8);
  for (const char* name : {"webhook", "console", "file", "slack", "teams", "discord", "mattermost", "alertmanager"}) {
    CAPTURE(name);
    CHECK(registry.find(name) != nullptr);
  }
  CHECK(registry.find("pagerduty") == nullptr);
  for (const char* name : {"slack", "teams", "discord", "mattermost", "alertmanager"}) {
    CAPTURE(name);
    const SinkKind* kind = registry.find(name);
    for (const char* key : {"url", "url_env", "url_file", "timeout", "allow_private"}) {
      CAPTURE(key);
      REQUIRE(key_of(*kind, key) != nullptr);
    }
    CHECK_FALSE(key_of(*kind, "url")->required);  // url_env or url_file may stand in
  }
  REQUIRE(key_of(*registry.find("webhook"), "secret_env") != nullptr);
  REQUIRE(key_of(*registry.find("webhook"), "secret_file") != nullptr);

  const SinkKind* webhook = registry.find("webhook");
  REQUIRE(webhook != nullptr);
  REQUIRE(key_of(*webhook, "url") != nullptr);
  CHECK_FALSE(key_of(*webhook, "url")->required);  // like the chat receivers: url_env or url_file may stand in
  REQUIRE(key_of(*webhook, "url_env") != nullptr);
  REQUIRE(key_of(*webhook, "url_file") != nullptr);
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
  CHECK(registry.kinds().size() == 8);
}
