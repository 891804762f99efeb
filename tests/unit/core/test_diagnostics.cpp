#include <catch2/catch.hpp>

#include "vigia/core/diagnostics.h"

using namespace vigia;

TEST_CASE("diagnostics print GCC-style positions with a caret under the column", "[core][diagnostics]") {
  Diagnostics d;
  d.error("rule.unknown-key", "unknown key 'treshold'", {"packs/a.yaml", 4, 5}, "    treshold: 3");
  CHECK(d.to_text() ==
        "packs/a.yaml:4:5: error[rule.unknown-key]: unknown key 'treshold'\n"
        "      treshold: 3\n"
        "      ^\n");
}

TEST_CASE("diagnostics collect errors up to a cap and count the rest", "[core][diagnostics]") {
  Diagnostics d(2);
  for (int i = 0; i < 5; ++i) d.error("x", "e" + std::to_string(i), {"f", i + 1, 1});
  CHECK(d.error_count() == 5);
  CHECK(d.all().size() == 2);
  CHECK_THAT(d.to_text(), Catch::Contains("3 more errors not shown"));
}

TEST_CASE("diagnostics render as JSON for tooling", "[core][diagnostics]") {
  Diagnostics d;
  d.error("yaml.syntax", "bad \"quote\"", {"f.yaml", 2, 3});
  CHECK(d.to_json() ==
        R"({"errors":1,"diagnostics":[{"file":"f.yaml","line":2,"column":3,"severity":"error","code":"yaml.syntax","message":"bad \"quote\""}]})");
}

TEST_CASE("closest_match suggests near misspellings only", "[core][diagnostics]") {
  const std::vector<std::string> keys{"threshold", "severity", "category", "patterns"};
  CHECK(closest_match("treshold", keys) == "threshold");
  CHECK(closest_match("severty", keys) == "severity");
  CHECK(closest_match("zzz", keys).empty());
}
