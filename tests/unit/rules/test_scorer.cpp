#include <catch2/catch.hpp>

#include "vigia/rules/loader.h"
#include "vigia/rules/scorer.h"

using namespace vigia;
using namespace vigia::rules;

namespace {

RuleSetPtr compile(const std::string& yaml) {
  auto r = load_rule_set_from_text({{"t.yaml", yaml}});
  INFO(r.diagnostics.to_text());
  REQUIRE(r.rules);
  return r.rules;
}

const char* kPack = R"(
lists:
  cartels:
    CJNG: [Cártel Jalisco Nueva Generación, Cuatro Letras]
    Cártel del Golfo: [Cartel del Golfo, CDG]
  places_mx:
    Michoacán: []
    Jalisco: []
rules:
  - id: aid
    title: Cartel-branded aid
    category: aid_box_branding
    severity: high
    patterns:
      - id: boxes
        terms: [despensa*, cajas de ayuda]
        weight: 2
      - id: cartel
        list: cartels
        weight: 2
      - id: official
        terms: [DIF, ayuntamiento]
    condition: boxes and cartel and not official
    threshold: 4
  - id: shift
    title: Territorial shift
    category: territorial_shift
    severity: medium
    patterns:
      - id: move
        terms: [llegó a, se apodera*, disputa*]
        weight: 2
      - id: cartel
        list: cartels
        weight: 1
    condition: near(cartel, move, 3) and places_mx
  - id: year
    title: Year word
    category: test
    severity: info
    patterns:
      - id: ano
        terms: [año]
)";

Item item(std::string title, std::string summary = {}) {
  Item i;
  i.id = "x";
  i.title = std::move(title);
  i.summary = std::move(summary);
  return i;
}

}  // namespace

TEST_CASE("scorer matches accent- and case-insensitively and reports original offsets", "[rules][scorer]") {
  Scorer s(compile(kPack));
  const std::string title = "El CÁRTEL JALISCO NUEVA GENERACIÓN reparte DESPENSAS";
  auto r = s.score(item(title));
  REQUIRE(r.matches.size() == 1);
  const Match& m = r.matches[0];
  CHECK(m.rule == "aid");
  CHECK(m.category == "aid_box_branding");
  CHECK(m.severity == "high");
  CHECK(m.score == Approx(8.0));  // (2 + 2) in the title, field weight 2
  REQUIRE(m.terms.size() == 2);
  CHECK(m.terms[0].pattern == "cartel:CJNG");
  CHECK(title.substr(m.terms[0].start, m.terms[0].end - m.terms[0].start) == "CÁRTEL JALISCO NUEVA GENERACIÓN");
  CHECK(m.terms[1].pattern == "boxes");
  CHECK(title.substr(m.terms[1].start, m.terms[1].end - m.terms[1].start) == "DESPENSAS");
  CHECK_THAT(m.terms[1].snippet, Catch::Contains("[[DESPENSAS]]"));
  CHECK(r.entities.at("cartels") == std::vector<std::string>{"CJNG"});
}

TEST_CASE("scorer respects negations: official aid does not fire", "[rules][scorer]") {
  Scorer s(compile(kPack));
  CHECK(s.score(item("El DIF y el CJNG reparten despensas")).matches.empty());
  CHECK(s.score(item("El ayuntamiento reparte despensas")).matches.empty());
}

TEST_CASE("terms match whole words only, and ñ is not n", "[rules][scorer]") {
  Scorer s(compile(kPack));
  CHECK(s.score(item("Despensas y cajas del CJNGX")).matches.empty());  // CJNGX is not CJNG
  CHECK(s.score(item("El año pasado")).matches.size() == 1);
  CHECK(s.score(item("El ano pasado")).matches.empty());
  CHECK(s.score(item("Añoranza")).matches.empty());  // prefix inside a word with ñ
}

TEST_CASE("a wildcard extends over the rest of the word", "[rules][scorer]") {
  Scorer s(compile(kPack));
  auto r = s.score(item("Cuatro Letras entrega despensas"));
  REQUIRE(r.matches.size() == 1);
  bool saw = false;
  for (const auto& t : r.matches[0].terms) saw = saw || (t.pattern == "boxes" && t.end - t.start == 9);
  CHECK(saw);
}

TEST_CASE("near() counts the words between two matches", "[rules][scorer]") {
  Scorer s(compile(kPack));
  auto close = s.score(item("El Cártel del Golfo se apodera de Michoacán"));
  REQUIRE(close.matches.size() == 1);
  CHECK(close.matches[0].rule == "shift");
  auto far = s.score(item("El Cártel del Golfo, según fuentes de la fiscalía estatal, se apodera de Michoacán"));
  CHECK(far.matches.empty());
  auto no_place = s.score(item("El Cártel del Golfo se apodera de la zona"));
  CHECK(no_place.matches.empty());
}

TEST_CASE("repeated matches add with diminishing weight and titles weigh more", "[rules][scorer]") {
  auto rules = compile(R"(rules:
  - id: r
    title: T
    category: c
    severity: low
    fields: {title: 2, summary: 1}
    patterns:
      - id: p
        terms: [narcomanta]
        weight: 1
)");
  Scorer s(rules);
  CHECK(s.score(item("", "narcomanta")).matches[0].score == Approx(1.0));
  CHECK(s.score(item("narcomanta")).matches[0].score == Approx(2.0));
  CHECK(s.score(item("", "narcomanta narcomanta narcomanta")).matches[0].score == Approx(1.75));
  CHECK(s.score(item("narcomanta", "narcomanta")).matches[0].score == Approx(2.5));
}

TEST_CASE("a rule below its threshold does not fire", "[rules][scorer]") {
  Scorer s(compile(kPack));
  // Both patterns present but only in the summary: (2 + 2) * 1 = 4, exactly the threshold.
  CHECK(s.score(item("", "CJNG reparte despensas")).matches.size() == 1);
  auto rules = compile(R"(rules:
  - id: r
    title: T
    category: c
    severity: low
    patterns:
      - id: p
        terms: [huachicol]
    threshold: 3
)");
  Scorer t(rules);
  CHECK(t.score(item("huachicol")).matches.empty());           // 1 * 2 = 2 < 3
  CHECK(t.score(item("huachicol huachicol", "huachicol")).matches.size() == 1);  // 2 + 1 + 0.25 = 3.25
}

TEST_CASE("same_sentence() needs both in one sentence", "[rules][scorer]") {
  auto rules = compile(R"(
lists:
  cartels: {CJNG: []}
  places_mx: {Zacatecas: []}
rules:
  - id: r
    title: T
    category: c
    severity: low
    patterns:
      - id: c
        list: cartels
    condition: same_sentence(cartels, places_mx)
)");
  Scorer s(rules);
  CHECK(s.score(item("El CJNG llegó a Zacatecas en abril.")).matches.size() == 1);
  CHECK(s.score(item("El CJNG opera en el país. Zacatecas celebra su feria.")).matches.empty());
}

TEST_CASE("regex patterns match folded text case-insensitively", "[rules][scorer]") {
  auto rules = compile(R"(rules:
  - id: r
    title: T
    category: c
    severity: low
    patterns:
      - id: price
        regex: 'cobran\s+\$?\d+\s*(pesos|dólares)'
)");
  Scorer s(rules);
  const std::string t = "COBRAN $500 DÓLARES por vacuna";
  auto r = s.score(item(t));
  REQUIRE(r.matches.size() == 1);
  const Term& term = r.matches[0].terms.at(0);
  CHECK(t.substr(term.start, term.end - term.start) == "COBRAN $500 DÓLARES");
}

TEST_CASE("entities list every canonical name found, once, in reading order", "[rules][scorer]") {
  Scorer s(compile(kPack));
  auto r = s.score(item("CDG y CJNG reparten despensas en Jalisco", "El Cartel del Golfo y el CJNG en Michoacán"));
  REQUIRE_FALSE(r.matches.empty());
  CHECK(r.entities.at("cartels") == std::vector<std::string>{"Cártel del Golfo", "CJNG"});
  CHECK(r.entities.at("places_mx") == std::vector<std::string>{"Jalisco", "Michoacán"});
}

TEST_CASE("a multi-word term matches across any whitespace and reports the original span", "[rules][scorer]") {
  Scorer s(compile(kPack));
  const std::string summary = "El CJNG entregó\n\n  cajas   de ayuda en Jalisco";
  auto r = s.score(item("", summary));
  REQUIRE(r.matches.size() == 1);
  bool saw = false;
  for (const auto& t : r.matches[0].terms) {
    if (t.pattern == "boxes") {
      saw = true;
      CHECK(summary.substr(t.start, t.end - t.start) == "cajas   de ayuda");
    }
  }
  CHECK(saw);
}

TEST_CASE("an entity inside a longer entity is not counted: one cartel, no place", "[rules][scorer]") {
  auto rules = compile(R"(
lists:
  cartels:
    CJNG: [Cártel Jalisco Nueva Generación, Jalisco Nueva Generación]
    Cártel de Sinaloa: []
  places_mx:
    Jalisco: []
    Sinaloa: []
    Zacatecas: []
rules:
  - id: shift
    title: T
    category: territorial_shift
    severity: high
    patterns:
      - id: group
        list: cartels
        weight: 1
      - id: place
        list: places_mx
    condition: group and place
)");
  Scorer s(rules);
  // The only places named are inside the cartels' names.
  CHECK(s.score(item("El Cártel Jalisco Nueva Generación y el Cártel de Sinaloa")).matches.empty());
  auto r = s.score(item("El Cártel Jalisco Nueva Generación llegó a Zacatecas"));
  REQUIRE(r.matches.size() == 1);
  CHECK(r.matches[0].score == Approx(4.0));  // cartel 2 + place 2; two cartel mentions would make 5
  CHECK(r.entities.at("cartels") == std::vector<std::string>{"CJNG"});
  CHECK(r.entities.at("places_mx") == std::vector<std::string>{"Zacatecas"});
}

TEST_CASE("a pattern can stand for several lists, and a repeated term counts once", "[rules][scorer]") {
  auto rules = compile(R"(
lists:
  cartels: {CJNG: []}
  leaders: {El Mencho: [Nemesio Oseguera]}
rules:
  - id: r
    title: T
    category: c
    severity: low
    patterns:
      - id: who
        list: [cartels, leaders]
      - id: convoy
        terms: [convoy*, convoy*, CONVOY*]
    condition: near(who, convoy, 3)
)");
  Scorer s(rules);
  auto r = s.score(item("", "Un convoy de El Mencho"));
  REQUIRE(r.matches.size() == 1);
  CHECK(r.matches[0].score == Approx(2.0));  // convoy 1 + who 1, each once
  bool saw_leader = false;
  for (const auto& t : r.matches[0].terms) saw_leader = saw_leader || t.pattern == "who:El Mencho";
  CHECK(saw_leader);
  CHECK(s.score(item("", "Un convoy del CJNG")).matches.size() == 1);
}

TEST_CASE("with novelty detectors the scorer reports every entity mention with its word and sentence", "[rules][scorer]") {
  auto rules = compile(R"(
lists:
  cartels: {CJNG: []}
  places_mx: {Zacatecas: []}
rules:
  - id: r
    title: T
    category: c
    severity: low
    patterns:
      - id: p
        terms: [narcomanta]
novelty:
  - id: pair
    title: New pair
    category: territorial_shift
    severity: medium
    pair: [cartels, places_mx]
)");
  Scorer s(rules);
  auto r = s.score(item("Llega el CJNG. Zacatecas en alerta"));  // no rule fires
  CHECK(r.matches.empty());
  REQUIRE(r.mentions.size() == 2);
  CHECK(rules->lists()[r.mentions[0].list].entries[r.mentions[0].entry] == "CJNG");
  CHECK(r.mentions[0].word == 2);
  CHECK(r.mentions[0].sentence == 0);
  CHECK(r.mentions[1].word == 3);
  CHECK(r.mentions[1].sentence == 1);
  CHECK(r.entities.at("places_mx") == std::vector<std::string>{"Zacatecas"});
}

TEST_CASE("case-sensitive, exact and loose-ñ patterns match as their options say", "[rules][scorer][options]") {
  auto rules = compile(R"(
lists:
  cartels:
    Cártel del Golfo:
      - Cartel del Golfo
      - {term: CDG, case: sensitive}
rules:
  - id: r
    title: T
    category: c
    severity: low
    patterns:
      - id: acronym
        terms: [CJNG]
        case: sensitive
      - id: brand
        terms: ["El Chapo 701"]
        exact: true
      - id: year
        terms: [año]
        enye: loose
      - id: golfo
        list: cartels
)");
  Scorer s(rules);
  auto terms_of = [&](const std::string& title) {
    std::vector<std::string> out;
    for (const auto& m : s.score(item(title)).matches) {
      for (const auto& t : m.terms) out.push_back(t.pattern + "=" + title.substr(t.start, t.end - t.start));
    }
    return out;
  };
  // Case-sensitive: the acronym, not the same letters in lower case; accents still folded.
  CHECK(terms_of("El CJNG avanza") == std::vector<std::string>{"acronym=CJNG"});
  CHECK(terms_of("el cjng avanza").empty());
  // Exact: as published, accents and case included.
  CHECK(terms_of("Cajas de El Chapo 701") == std::vector<std::string>{"brand=El Chapo 701"});
  CHECK(terms_of("cajas de el chapo 701").empty());
  // Loose ñ: "ano" written without the tilde still matches, in both directions.
  CHECK(terms_of("El ano pasado") == std::vector<std::string>{"year=ano"});
  CHECK(terms_of("El AÑO pasado") == std::vector<std::string>{"year=AÑO"});
  // A case-sensitive alias in a list: CDG the acronym, not "cdg" in a URL-ish word.
  CHECK(terms_of("Operativo contra el CDG") == std::vector<std::string>{"golfo:Cártel del Golfo=CDG"});
  CHECK(terms_of("vuelo a cdg").empty());
}

TEST_CASE("matches from differently folded texts meet in original offsets for near()", "[rules][scorer][options]") {
  auto rules = compile(R"(rules:
  - id: r
    title: T
    category: c
    severity: low
    patterns:
      - id: who
        terms: [CJNG]
        case: sensitive
      - id: move
        terms: [llegó a]
    condition: near(who, move, 1)
)");
  Scorer s(rules);
  CHECK(s.score(item("Michoacán: el CJNG llegó a Zacatecas")).matches.size() == 1);
  CHECK(s.score(item("Michoacán: el CJNG, según la fiscalía del estado, llegó a Zacatecas")).matches.empty());
}
