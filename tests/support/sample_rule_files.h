// Two small, valid rule files that tests swap for one another (live reload): each has one rule,
// with its own id, category and embedded tests, so which one scored an item is plain to see.
#pragma once

namespace vigia::test {

inline constexpr const char* kFakeVaccineRuleFile = R"(rules:
  - id: reload-old
    title: Fake vaccines
    category: fake_vaccine_site
    severity: high
    patterns:
      - id: fake
        terms: [vacunas falsas]
    tests:
      match: [Venden vacunas falsas]
      no_match: [Jornada de vacunación]
)";

inline constexpr const char* kFuelTheftRuleFile = R"(rules:
  - id: reload-new
    title: Fuel theft
    category: illicit_economy
    severity: medium
    patterns:
      - id: fuel
        terms: [huachicol*]
    tests:
      match: [Roban huachicol en Puebla]
      no_match: [Sube el precio de la gasolina]
)";

}  // namespace vigia::test
