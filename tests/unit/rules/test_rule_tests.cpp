#include <catch2/catch.hpp>

#include "vigia/rules/loader.h"
#include "vigia/rules/rule_tests.h"
#include "vigia/rules/scorer.h"

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

TEST_CASE("exceptions suppress a rule by phrase, source or URL, and say why", "[rules][tests][exceptions]") {
  auto loaded = load_rule_set_from_text({{"p.yaml", R"(
lists:
  cartels: {CJNG: [Cártel Jalisco Nueva Generación]}
rules:
  - id: aid
    title: Cartel aid
    category: aid_box_branding
    severity: high
    patterns:
      - id: boxes
        terms: [despensas]
        weight: 2
      - id: cartel
        list: cartels
        weight: 2
    exceptions:
      - phrase: [serie de televisión, telenovela]
        reason: fiction about cartels is not cartel activity
      - source: satire-wire
        reason: a satire outlet
      - url: "https://*.example.org/opinion/*"
        reason: opinion columns
    condition: boxes and cartel
    threshold: 4
    tests:
      match:
        - {title: "El CJNG reparte despensas", entities: {cartels: [CJNG]}}
      no_match:
        - "La telenovela muestra al CJNG repartiendo despensas"
        - {title: "El CJNG reparte despensas", source: satire-wire}
        - {title: "El CJNG reparte despensas", url: "https://news.example.org/opinion/2021/columna"}
)"}});
  INFO(loaded.diagnostics.to_text());
  REQUIRE(loaded.rules);
  auto report = run_rule_tests(loaded.rules);
  std::string failures;
  for (const auto& f : report.failures) failures += f.message;
  INFO(failures);
  CHECK(report.ok());
  CHECK(report.passed == 4);

  Scorer s(loaded.rules);
  const auto t = s.trace({"La telenovela muestra al CJNG repartiendo despensas", "", ""}, 0);
  CHECK_FALSE(t.fired);
  CHECK(t.condition);
  CHECK(t.suppressed_by == "phrase 'serie de televisión | telenovela': fiction about cartels is not cartel activity");
}

TEST_CASE("a match test fails when the expected entities are not found", "[rules][tests]") {
  auto loaded = load_rule_set_from_text({{"p.yaml", R"(
lists:
  places_mx: {Jalisco: [], Zacatecas: []}
rules:
  - id: r
    title: T
    category: c
    severity: low
    patterns:
      - id: p
        terms: [narcomantas]
    tests:
      match:
        - {title: "Aparecen narcomantas en Jalisco", entities: {places_mx: [Zacatecas]}}
)"}});
  REQUIRE(loaded.rules);
  auto report = run_rule_tests(loaded.rules);
  REQUIRE(report.failures.size() == 1);
  CHECK_THAT(report.failures[0].message,
             Catch::Contains("rule 'r' fired but the expected entities were not found (places_mx: Zacatecas)"));
}
