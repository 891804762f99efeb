#include <catch2/catch.hpp>

#include "vigia/core/config_schema.h"

using namespace vigia;
using namespace std::chrono_literals;

namespace {
const ConfigSchema kSchema{
    {"url", ConfigType::kString, true, "", "where to fetch"},
    {"interval", ConfigType::kDuration, false, "15m", "how often"},
    {"retries", ConfigType::kInteger, false, "3", "attempts"},
    {"allow_private", ConfigType::kBool, false, "false", "allow internal addresses"},
    {"tags", ConfigType::kStrings, false, "", "labels"},
};
}

TEST_CASE("config schema fills defaults and reads typed values", "[core][config]") {
  Diagnostics diags;
  YamlDoc doc("c.yaml", "url: https://x\nretries: 5\ntags: [a, b]\n", diags);
  auto v = validate_config(doc, doc.root(), kSchema, {}, "feed", "feed 'x'");
  REQUIRE(v);
  CHECK(v->string("url") == "https://x");
  CHECK(v->duration("interval") == 15min);
  CHECK(v->integer("retries") == 5);
  CHECK_FALSE(v->boolean("allow_private"));
  CHECK(v->strings("tags") == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(diags.has_errors());
}

TEST_CASE("config schema reports unknown keys with a suggestion, missing keys and wrong types", "[core][config]") {
  Diagnostics diags;
  YamlDoc doc("c.yaml", "intervl: 5m\nretries: many\n", diags);
  auto v = validate_config(doc, doc.root(), kSchema, {"name"}, "feed", "feed 'x'");
  CHECK_FALSE(v);
  const std::string text = diags.to_text();
  CHECK_THAT(text, Catch::Contains("c.yaml:1:1: error[feed.unknown-key]: unknown key 'intervl' in feed 'x' (did you mean 'interval'?)"));
  CHECK_THAT(text, Catch::Contains("error[feed.missing-key]: feed 'x' needs key 'url'"));
  CHECK_THAT(text, Catch::Contains("c.yaml:2:10: error[feed.type]: expected an integer"));
}

TEST_CASE("YAML syntax errors carry a 1-based position", "[core][config]") {
  Diagnostics diags;
  YamlDoc doc("bad.yaml", "a: [1, 2\nb: 3\n", diags);
  CHECK_FALSE(doc.ok());
  REQUIRE(diags.all().size() == 1);
  CHECK(diags.all()[0].code == "yaml.syntax");
  CHECK(diags.all()[0].where.line >= 1);
}

TEST_CASE("durations parse with units and reject nonsense", "[core][config]") {
  CHECK(parse_duration("90s") == 90s);
  CHECK(parse_duration("15m") == 15min);
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("2h") == 2h);
  CHECK(parse_duration("30") == 30s);
  CHECK_FALSE(parse_duration("soon"));
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("5 parsecs"));
}

TEST_CASE("config schema resolves relative paths against the declaring file and checks allowed values", "[core][config]") {
  const ConfigSchema schema{
      {"path", ConfigType::kPath, true, "", "where"},
      {"format", ConfigType::kString, false, "jsonl", "output format", {"jsonl", "text"}},
  };
  Diagnostics diags;
  YamlDoc doc("/etc/vigia/vigia.yaml", "path: ../var/out.jsonl\nformat: text\n", diags);
  auto v = validate_config(doc, doc.root(), schema, {}, "sink", "sink 'x'");
  REQUIRE(v);
  CHECK(v->string("path") == "/etc/var/out.jsonl");
  CHECK(v->string("format") == "text");

  YamlDoc bad("/etc/vigia/vigia.yaml", "path: /abs\nformat: xml\n", diags);
  CHECK_FALSE(validate_config(bad, bad.root(), schema, {}, "sink", "sink 'x'"));
  CHECK_THAT(diags.to_text(), Catch::Contains("/etc/vigia/vigia.yaml:2:9: error[sink.bad-value]: 'xml' is not a valid format (one of: jsonl text)"));
}

TEST_CASE("required keys get no default value", "[core][config]") {
  const ConfigSchema schema{{"url", ConfigType::kString, true, "", "where"}};
  CHECK_FALSE(defaults_of(schema).has("url"));
}
