#include <catch2/catch.hpp>

#include "vigia/rules/loader.h"

using namespace vigia::rules;

namespace {

LoadResult load(const std::string& yaml) { return load_rule_set_from_text({{"pack.yaml", yaml}}); }

const char* kValid = R"(
lists:
  cartels:
    CJNG: [Cártel Jalisco Nueva Generación, Cuatro Letras]
    Cártel de Sinaloa: [Cartel de Sinaloa]
rules:
  - id: aid-boxes
    title: Cartel-branded aid
    category: aid_box_branding
    severity: high
    patterns:
      - id: aid
        terms: [despensa*, "cajas de ayuda"]
        weight: 2
      - id: cartel
        list: cartels
        weight: 2
    condition: aid and cartel
    threshold: 4
    tests:
      match: ["El CJNG reparte despensas"]
      no_match: ["El DIF reparte despensas"]
)";

}  // namespace

TEST_CASE("a valid pack loads into a compiled rule set", "[rules][loader]") {
  auto r = load(kValid);
  INFO(r.diagnostics.to_text());
  REQUIRE(r.rules);
  CHECK_FALSE(r.diagnostics.has_errors());
  REQUIRE(r.rules->rules().size() == 1);
  CHECK(r.rules->rules()[0].patterns.size() == 2);
  CHECK(r.rules->lists().size() == 1);
  CHECK(r.rules->database() != nullptr);
  CHECK(r.rules->version().size() == 12);
  // 2 rule terms + 5 list terms, where "Cártel de Sinaloa" and "Cartel de Sinaloa" fold to one.
  CHECK(r.rules->expressions().size() == 6);
}

TEST_CASE("loader reports line and column for unknown key with a suggestion", "[rules][loader]") {
  auto r = load(R"(rules:
  - id: r1
    title: T
    category: c
    severity: low
    treshold: 3
    patterns:
      - id: p
        terms: [x]
)");
  CHECK_FALSE(r.rules);
  CHECK_THAT(r.diagnostics.to_text(),
             Catch::Contains("pack.yaml:6:5: error[rule.unknown-key]: unknown key 'treshold' in rule 'r1' (did you mean 'threshold'?)"));
}

TEST_CASE("loader collects every error in a file instead of stopping at the first", "[rules][loader]") {
  auto r = load(R"(rules:
  - id: r1
    title: T
    category: c
    severity: urgent
    patterns:
      - id: p
        terms: [x]
  - id: r1
    title: T
    category: c
    severity: low
    patterns:
      - id: q
        list: cartel
  - title: no id
    category: c
    severity: low
    patterns: []
)");
  CHECK_FALSE(r.rules);
  const std::string text = r.diagnostics.to_text();
  CHECK_THAT(text, Catch::Contains("pack.yaml:5:15: error[rule.bad-severity]"));
  CHECK_THAT(text, Catch::Contains("pack.yaml:9:9: error[rule.duplicate-id]: rule id 'r1' is already used at pack.yaml:2"));
  CHECK_THAT(text, Catch::Contains("error[pattern.unknown-list]: unknown list 'cartel'"));
  CHECK_THAT(text, Catch::Contains("pack.yaml:16:5: error[rule.missing-key]: rule needs 'id'"));
  CHECK(r.diagnostics.error_count() >= 4);
}

TEST_CASE("loader points into the condition at the unknown name", "[rules][loader]") {
  auto r = load(R"(rules:
  - id: r1
    title: T
    category: c
    severity: low
    patterns:
      - id: p
        terms: [x]
    condition: p and missing_thing
)");
  CHECK_FALSE(r.rules);
  CHECK_THAT(r.diagnostics.to_text(),
             Catch::Contains("pack.yaml:9:22: error[rule.bad-condition]: condition of rule 'r1': unknown pattern or list 'missing_thing'"));
}

TEST_CASE("loader reports a regex Hyperscan rejects at the regex's own line", "[rules][loader]") {
  auto r = load(R"(rules:
  - id: r1
    title: T
    category: c
    severity: low
    patterns:
      - id: ok
        regex: 'vacunas?\s+falsas?'
      - id: bad
        regex: 'vacuna(s'
      - id: empty
        regex: 'x*'
)");
  CHECK_FALSE(r.rules);
  const std::string text = r.diagnostics.to_text();
  CHECK_THAT(text, Catch::Contains("pack.yaml:10:16: error[pattern.bad-regex]: regex 'vacuna(s'"));
  CHECK_THAT(text, Catch::Contains("pack.yaml:12:16: error[pattern.bad-regex]: regex 'x*': can match an empty string"));
}

TEST_CASE("loader reports YAML syntax errors with their position", "[rules][loader]") {
  auto r = load("rules:\n  - id: r1\n    title: [unclosed\n");
  CHECK_FALSE(r.rules);
  REQUIRE_FALSE(r.diagnostics.all().empty());
  CHECK(r.diagnostics.all()[0].code == "yaml.syntax");
  CHECK(r.diagnostics.all()[0].where.line > 0);
}

TEST_CASE("lists are shared across the files of a pack", "[rules][loader]") {
  auto r = load_rule_set_from_text({{"b_rules.yaml", R"(rules:
  - id: r1
    title: T
    category: c
    severity: low
    patterns:
      - id: who
        list: cartels
)"},
                                    {"a_lists.yaml", "lists:\n  cartels:\n    CJNG: []\n"}});
  INFO(r.diagnostics.to_text());
  CHECK(r.rules);
}

TEST_CASE("a condition that can only be satisfied by absence is refused", "[rules][loader]") {
  auto r = load(R"(rules:
  - id: r1
    title: T
    category: c
    severity: low
    patterns:
      - id: p
        terms: [x]
    condition: not p
)");
  CHECK_FALSE(r.rules);
  CHECK_THAT(r.diagnostics.to_text(), Catch::Contains("rule.no-trigger"));
}

TEST_CASE("diagnostics have a JSON form for tooling", "[rules][loader]") {
  auto r = load("rules: 5\n");
  CHECK_FALSE(r.rules);
  CHECK_THAT(r.diagnostics.to_json(), Catch::Contains(R"("code":"rule.type")"));
}

TEST_CASE("a missing rules path is an error, not a crash", "[rules][loader]") {
  auto r = load_rule_set({"/nonexistent/vigia/rules"});
  CHECK_FALSE(r.rules);
  CHECK_THAT(r.diagnostics.to_text(), Catch::Contains("/nonexistent/vigia/rules: error[io.read]"));
}

TEST_CASE("novelty and spike detectors load from rule files and are validated like rules", "[rules][loader][detectors]") {
  const std::string base = R"(
lists:
  cartels: {CJNG: []}
  places_mx: {Zacatecas: []}
rules:
  - id: shift
    title: T
    category: territorial_shift
    severity: high
    patterns:
      - id: who
        list: cartels
)";
  auto ok = load(base + R"(
novelty:
  - id: cartel-new-place
    title: New pair
    category: territorial_shift
    severity: medium
    pair: [cartels, places_mx]
    scope: near
    near: 8
    window: 30d
    learn_for: 2d
    when: [territorial_shift]
spikes:
  - id: shift-spike
    title: Surge
    category: territorial_shift
    severity: high
    rule: shift
    by: places_mx
    bucket: 1h
    baseline: 7d
    factor: 4
    min_count: 3
)");
  INFO(ok.diagnostics.to_text());
  REQUIRE(ok.rules);
  REQUIRE(ok.rules->novelty().size() == 1);
  const auto& n = ok.rules->novelty()[0];
  CHECK(n.list_a == "cartels");
  CHECK(n.list_b == "places_mx");
  CHECK(n.scope == NoveltyDef::Scope::kNear);
  CHECK(n.near_words == 8);
  CHECK(n.window == std::chrono::hours(24 * 30));
  CHECK(n.learn_for == std::chrono::hours(48));
  CHECK(n.when == std::vector<std::string>{"territorial_shift"});
  REQUIRE(ok.rules->spikes().size() == 1);
  CHECK(ok.rules->spikes()[0].rule == "shift");
  CHECK(ok.rules->spikes()[0].by == "places_mx");
  CHECK(ok.rules->spikes()[0].factor == 4);

  auto bad = load(base + R"(
novelty:
  - id: shift
    title: Clash
    category: territorial_shift
    severity: loud
    pair: [cartels, placez_mx]
spikes:
  - id: s
    title: S
    category: territorial_shift
    severity: high
    rule: nope
    bucket: 1d
    baseline: 1d
)");
  CHECK_FALSE(bad.rules);
  const std::string text = bad.diagnostics.to_text();
  CHECK_THAT(text, Catch::Contains("error[detector.duplicate-id]: id 'shift' is already used"));
  CHECK_THAT(text, Catch::Contains("error[detector.bad-severity]"));
  CHECK_THAT(text, Catch::Contains("unknown list 'placez_mx' (did you mean 'places_mx'?)"));
  CHECK_THAT(text, Catch::Contains("counts unknown rule 'nope'"));
  CHECK_THAT(text, Catch::Contains("baseline must span at least two buckets"));
}

TEST_CASE("matching options are validated where they are written", "[rules][loader]") {
  auto r = load(R"(lists:
  cartels:
    CJNG:
      - {term: CJNG, case: shouting}
      - {trm: x}
rules:
  - id: r1
    title: T
    category: c
    severity: low
    patterns:
      - id: p
        terms: [x]
        exact: true
        enye: loose
      - id: q
        list: cartels
        case: sensitive
)");
  CHECK_FALSE(r.rules);
  const std::string text = r.diagnostics.to_text();
  CHECK_THAT(text, Catch::Contains("pack.yaml:4:28: error[pattern.bad-value]: alias 'CJNG': case must be 'sensitive' or 'insensitive'"));
  CHECK_THAT(text, Catch::Contains("unknown key 'trm' in an alias of 'CJNG' (did you mean 'term'?)"));
  CHECK_THAT(text, Catch::Contains("'enye: loose' does not apply to exact patterns"));
  CHECK_THAT(text, Catch::Contains("matching options go on a list's aliases, not on a list pattern"));
}

TEST_CASE("rules check catches conditions that can never be true and thresholds no item can reach", "[rules][loader]") {
  auto r = load(R"(rules:
  - id: contradiction
    title: T
    category: c
    severity: low
    patterns:
      - id: a
        terms: [x]
    condition: a and not a
  - id: blind
    title: T
    category: c
    severity: low
    fields: {title: 1}
    patterns:
      - id: body
        terms: [x]
        fields: [content]
      - id: head
        terms: [y]
    condition: body and head
  - id: proximity
    title: T
    category: c
    severity: low
    patterns:
      - id: a
        terms: [x]
      - id: b
        terms: [y]
    condition: near(a, b, 3) and not b
  - id: greedy
    title: T
    category: c
    severity: low
    patterns:
      - id: a
        terms: [x]
        weight: 1
    threshold: 5
  - id: fine
    title: T
    category: c
    severity: low
    patterns:
      - id: a
        terms: [x]
      - id: b
        terms: [y]
    condition: a and not b
)");
  CHECK_FALSE(r.rules);
  const std::string text = r.diagnostics.to_text();
  CHECK_THAT(text, Catch::Contains("pack.yaml:9:16: error[rule.never-true]: condition of rule 'contradiction' can never be true"));
  CHECK_THAT(text, Catch::Contains("condition of rule 'blind' can never be true"));
  CHECK_THAT(text, Catch::Contains("condition of rule 'proximity' can never be true"));
  CHECK_THAT(text, Catch::Contains("threshold 5.00 of rule 'greedy' can never be reached: its patterns add up to at most 4.00"));
  CHECK_THAT(text, !Catch::Contains("error[rule.never-true]: condition of rule 'fine'"));
}
