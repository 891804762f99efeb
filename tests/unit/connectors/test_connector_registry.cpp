#include <catch2/catch.hpp>

#include "vigia/connectors/connector.h"
#include "vigia/core/yaml_doc.h"

using namespace vigia;
using namespace vigia::connectors;
using namespace std::chrono_literals;

TEST_CASE("the built-in connector kinds are http, file, gdelt and json_api", "[connectors][registry]") {
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  REQUIRE(registry.kinds().size() == 4);
  CHECK(registry.find("http") != nullptr);
  CHECK(registry.find("file") != nullptr);
  CHECK(registry.find("gdelt") != nullptr);
  CHECK(registry.find("json_api") != nullptr);
  CHECK(registry.find("rss") == nullptr);
  for (const auto& kind : registry.kinds()) {
    CHECK_FALSE(kind.description.empty());
    CHECK(kind.create != nullptr);
    for (const auto& key : kind.schema) CHECK_FALSE(key.description.empty());
  }
}

TEST_CASE("the http schema's defaults are the documented ones", "[connectors][registry][http]") {
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  const ConfigValues v = defaults_of(registry.find("http")->schema);
  CHECK_FALSE(v.has("url"));  // required: the feed must give it
  CHECK_FALSE(v.boolean("allow_private"));
  CHECK(v.duration("timeout") == 30s);
  CHECK(v.integer("max_bytes") == 8388608);
  CHECK(v.string("user_agent") == "Vigia/0.1 (news monitor; set user_agent to add your contact)");
  CHECK(v.string("proxy").empty());
}

TEST_CASE("feed settings validate against a kind's schema with positions", "[connectors][registry]") {
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  Diagnostics diags;
  YamlDoc doc("vigia.yaml", "name: x\ntype: http\nurl: https://e.mx/rss\ntimout: 5s\n", diags);
  auto v = validate_config(doc, doc.root(), registry.find("http")->schema, {"name", "type", "interval"}, "feed", "feed 'x'");
  CHECK_FALSE(v);
  CHECK_THAT(diags.to_text(), Catch::Contains("vigia.yaml:4:1") && Catch::Contains("did you mean 'timeout'?"));

  Diagnostics ok_diags;
  YamlDoc ok_doc("/etc/vigia/vigia.yaml", "path: feeds/demo\n", ok_diags);
  auto file = validate_config(ok_doc, ok_doc.root(), registry.find("file")->schema, {}, "feed", "feed 'y'");
  REQUIRE(file);
  CHECK(file->string("format") == "auto");
  CHECK(file->string("path") == "/etc/vigia/feeds/demo");  // relative to the config file
}

TEST_CASE("registering a connector kind name twice is refused", "[connectors][registry]") {
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  CHECK_THROWS_AS(registry.add(ConnectorKind{"file", "another", {}, nullptr}), std::invalid_argument);
  CHECK(registry.kinds().size() == 4);
  CHECK(registry.find("file")->description != "another");
}
