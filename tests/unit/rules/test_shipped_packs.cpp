// The packs we ship must load cleanly and pass every test embedded in them: this is what
// `vigia rules test rules/packs` checks, kept in CTest so CI fails on a broken pack.
#include <catch2/catch.hpp>

#include <iostream>

#include "support/test_paths.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/rule_tests.h"

using namespace vigia::rules;

TEST_CASE("shipped rule packs load without errors and pass their embedded tests", "[rules][packs]") {
  auto loaded = load_rule_set({vigia::test::source_dir() / "rules" / "packs"});
  INFO(loaded.diagnostics.to_text());
  REQUIRE(loaded.rules);
  CHECK_FALSE(loaded.diagnostics.has_errors());
  auto report = run_rule_tests(loaded.rules);
  std::string failures;
  for (const auto& f : report.failures) failures += f.where.file + ":" + std::to_string(f.where.line) + ": " + f.message;
  INFO(failures);
  CHECK(report.ok());
  CHECK(report.passed > 0);
}

TEST_CASE("every headline category of the indicator catalogue has a shipped rule", "[rules][packs]") {
  auto loaded = load_rule_set({vigia::test::source_dir() / "rules" / "packs"});
  REQUIRE(loaded.rules);
  for (const char* category : {"fake_vaccine_site", "vaccine_theft", "aid_box_branding", "territorial_shift",
                               "illicit_economy", "vaccine_diplomacy"}) {
    bool found = false;
    for (const auto& r : loaded.rules->rules()) found = found || (r.category == category && r.enabled);
    INFO(category);
    CHECK(found);
  }
}
