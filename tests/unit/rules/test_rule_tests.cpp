#include <catch2/catch.hpp>

#include "vigia/rules/loader.h"
#include "vigia/rules/rule_tests.h"

using namespace vigia::rules;

namespace {
const char* kPack = R"(rules:
  - id: fake-vax
    title: Fake vaccines
    category: fake_vaccine_site
    severity: high
    patterns:
      - id: fake
        terms: [vacunas falsas, fake vaccines]
        weight: 2
      - id: myth
        terms: [es falso que]
    condition: fake and not myth
    threshold: 2
    tests:
      match:
        - Venden vacunas falsas en Puebla
        - {title: "Operativo", summary: "Aseguran fake vaccines en Tijuana", min_score: 1}
      no_match:
        - Es falso que haya vacunas falsas en el centro de salud
        - Jornada de vacunación en el centro de salud
)";
}

TEST_CASE("embedded rule tests pass when samples behave as declared", "[rules][tests]") {
  auto loaded = load_rule_set_from_text({{"p.yaml", kPack}});
  INFO(loaded.diagnostics.to_text());
  REQUIRE(loaded.rules);
  auto report = run_rule_tests(loaded.rules);
  CHECK(report.ok());
  CHECK(report.passed == 4);
}

TEST_CASE("a failing rule test explains what the rule saw", "[rules][tests]") {
  std::string pack = kPack;
  pack += "        - Venden vacunas falsas en Tijuana\n";  // a no_match sample that does match
  pack.replace(pack.find("        - Venden vacunas falsas en Puebla"), 41, "        - Venden vacunas en Puebla      ");
  auto loaded = load_rule_set_from_text({{"p.yaml", pack}});
  INFO(loaded.diagnostics.to_text());
  REQUIRE(loaded.rules);
  auto report = run_rule_tests(loaded.rules);
  REQUIRE(report.failures.size() == 2);
  CHECK(report.failures[0].where.file == "p.yaml");
  CHECK(report.failures[0].where.line == 16);
  CHECK_THAT(report.failures[0].message, Catch::Contains("expected rule 'fake-vax' to match but it did not"));
  CHECK_THAT(report.failures[0].message, Catch::Contains("matched: nothing"));
  CHECK_THAT(report.failures[1].message, Catch::Contains("expected rule 'fake-vax' not to match but it did"));
  CHECK_THAT(report.failures[1].message, Catch::Contains("matched fake in title: Venden [[vacunas falsas]] en Tijuana"));
  CHECK_THAT(report.failures[1].message, Catch::Contains("score 4.00 (threshold 2.00) = fake 4.00"));
}
