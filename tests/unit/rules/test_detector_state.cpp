#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "support/test_paths.h"
#include "vigia/core/clock.h"
#include "vigia/core/codec.h"
#include "vigia/core/memory_bus.h"
#include "vigia/core/state_db.h"
#include "vigia/rules/detector_state.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/score_stage.h"
#include "vigia/rules/scorer.h"

using namespace vigia;
using namespace vigia::rules;
using namespace std::chrono_literals;

namespace {

using Days = std::chrono::duration<std::int64_t, std::ratio<86400>>;

// Midnight, so hourly and daily buckets start on whole hours of it.
const Timestamp kT0 = *parse_rfc3339("2021-05-03T00:00:00Z");

const std::string kBase = R"(
lists:
  cartels:
    CJNG: [Cártel Jalisco Nueva Generación, Cuatro Letras]
    Cártel de Sinaloa: [Los Chapitos]
  places_mx:
    Zacatecas: []
    Sonora: []
    Michoacán: []
rules:
  - id: shift
    title: Cartel arrives
    category: territorial_shift
    severity: high
    patterns:
      - id: arrive
        terms: [llega*, llego, irrumpe*]
      - id: who
        list: cartels
    condition: arrive and who
  - id: clash
    title: Cartel clash
    category: territorial_shift
    severity: low
    patterns:
      - id: fight
        terms: [balacera*]
      - id: who
        list: cartels
    condition: fight and who
  - id: festival
    title: Festival
    category: culture
    severity: info
    patterns:
      - id: f
        terms: [festival*]
)";

RuleSetPtr compile(const std::string& detectors) {
  auto r = load_rule_set_from_text({{"t.yaml", kBase + detectors}});
  INFO(r.diagnostics.to_text());
  REQUIRE(r.rules);
  return r.rules;
}

// A rule set, a real Scorer, a manual clock and a DetectorState that can be "restarted" on the
// same database.
struct Detect {
  explicit Detect(const std::string& detectors, StateDbPtr database = nullptr)
      : rules(compile(detectors)), scorer(rules), db(std::move(database)) {
    restart();
  }

  // A (re)start: the stage's first item shows the state the set's detectors, whatever the item.
  void restart() {
    state.reset();
    state = std::make_unique<DetectorState>(db, clock, &metrics);
    Item nothing;
    ScoreResult r = scorer.score(nothing);
    REQUIRE(state->apply(*rules, nothing, r).empty());
  }

  ScoreResult see(const std::string& title, const std::string& summary = "", const std::string& content = "",
                  std::optional<Timestamp> published = std::nullopt) {
    Item item;
    item.id = "item-" + std::to_string(++items);
    item.title = title;
    item.summary = summary;
    item.content = content;
    item.published = published;
    return see(item);
  }

  ScoreResult see(const Item& item) {
    ScoreResult r = scorer.score(item);
    last = state->apply(*rules, item, r);
    return r;
  }

  void at(std::chrono::milliseconds since_t0) { clock->advance(since_t0 - (clock->now() - kT0)); }

  RuleSetPtr rules;
  Scorer scorer;
  StateDbPtr db;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kT0);
  vigia::MetricsRegistry metrics;
  std::unique_ptr<DetectorState> state;
  std::vector<DetectorSignal> last;
  int items = 0;
};

const Match* signal_of(const ScoreResult& r, const std::string& detector) {
  for (const auto& m : r.matches) {
    if (m.rule == detector) return &m;
  }
  return nullptr;
}

std::int64_t count_rows(StateDb& db, const std::string& table) {
  std::int64_t n = -1;
  REQUIRE(db.query("SELECT COUNT(*) FROM " + table, {}, [&](const StateDb::Row& row) {
              n = std::get<std::int64_t>(row[0]);
            }).ok());
  return n;
}

const std::string kNovelty = R"(
novelty:
  - id: cartel-new-place
    title: Cartel named with a new place
    category: territorial_shift
    severity: medium
    pair: [cartels, places_mx]
    window: 30d
    learn_for: 7d
)";

const std::string kSpike = R"(
spikes:
  - id: shift-surge
    title: Surge of arrivals
    category: territorial_shift
    severity: critical
    rule: shift
    bucket: 1h
    baseline: 4h
    factor: 3
    min_count: 3
)";

// `n` items the `shift` rule matches, at the clock's current time; the signals of each.
std::vector<bool> arrivals(Detect& d, int n, const std::string& place = "Zacatecas") {
  std::vector<bool> fired;
  for (int i = 0; i < n; ++i) {
    auto r = d.see("El CJNG llegó a " + place);
    REQUIRE(signal_of(r, "shift") != nullptr);
    fired.push_back(signal_of(r, "shift-surge") != nullptr);
  }
  return fired;
}

std::vector<bool> all_false(std::size_t n) { return std::vector<bool>(n, false); }

std::vector<std::string> patterns(const std::vector<Term>& terms) {
  std::vector<std::string> out;
  for (const auto& t : terms) out.push_back(t.field + ":" + t.pattern + "@" + std::to_string(t.start));
  return out;
}

// Index of the first arrival that fired, or the number of arrivals if none did.
std::ptrdiff_t first_fired(const std::vector<bool>& fired) {
  return std::find(fired.begin(), fired.end(), true) - fired.begin();
}

}  // namespace

TEST_CASE("novelty learns silently, then signals the first new cartel-place pair and not again within the window",
          "[rules][detectors][novelty]") {
  Detect d(kNovelty);
  // Learning: the pairs are recorded, nothing fires.
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "cartel-new-place") == nullptr);
  d.at(Days(6));
  CHECK(signal_of(d.see("El CJNG llegó a Sonora"), "cartel-new-place") == nullptr);
  CHECK(d.last.empty());

  d.at(Days(8));
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "cartel-new-place") == nullptr);  // learnt on day 0
  CHECK(signal_of(d.see("El CJNG llegó a Sonora"), "cartel-new-place") == nullptr);     // learnt on day 6

  const std::string title = "Balacera: el Cártel de Sinaloa irrumpe en Michoacán";
  auto r = d.see(title);
  const Match* m = signal_of(r, "cartel-new-place");
  REQUIRE(m != nullptr);
  CHECK(m->title == "Cartel named with a new place: Cártel de Sinaloa × Michoacán");
  CHECK(m->category == "territorial_shift");
  CHECK(m->severity == "medium");
  CHECK(m->score == Approx(1.0));
  REQUIRE(m->terms.size() == 2);
  CHECK(m->terms[0].pattern == "cartels:Cártel de Sinaloa");
  CHECK(m->terms[0].field == "title");
  CHECK(title.substr(m->terms[0].start, m->terms[0].end - m->terms[0].start) == "Cártel de Sinaloa");
  CHECK_THAT(m->terms[0].snippet, Catch::Contains("[[Cártel de Sinaloa]]"));
  CHECK(m->terms[1].pattern == "places_mx:Michoacán");
  CHECK(title.substr(m->terms[1].start, m->terms[1].end - m->terms[1].start) == "Michoacán");
  CHECK(r.entities.at("places_mx") == std::vector<std::string>{"Michoacán"});
  REQUIRE(d.last.size() == 1);
  CHECK(d.last[0].detector == "cartel-new-place");
  CHECK(d.last[0].severity == "medium");
  // Ordered like the scorer's matches: the rules' high before the signal's medium, low after.
  REQUIRE(r.matches.size() == 3);
  CHECK(r.matches[0].rule == "shift");
  CHECK(r.matches[1].rule == "cartel-new-place");
  CHECK(r.matches[2].rule == "clash");

  d.at(Days(9));
  CHECK(signal_of(d.see("El Cártel de Sinaloa, en Michoacán"), "cartel-new-place") == nullptr);
  d.at(Days(9 + 29));
  CHECK(signal_of(d.see("El Cártel de Sinaloa, en Michoacán"), "cartel-new-place") == nullptr);  // seen day 9
  d.at(Days(9 + 29 + 31));
  CHECK(signal_of(d.see("El Cártel de Sinaloa, en Michoacán"), "cartel-new-place") != nullptr);  // window passed
}

TEST_CASE("a pair unseen for longer than a short window is new again, also between prunes",
          "[rules][detectors][novelty]") {
  Detect d(R"(
novelty:
  - id: short
    title: Short window
    category: territorial_shift
    severity: low
    pair: [cartels, places_mx]
    window: 10m
    learn_for: 0s
)");
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "short") != nullptr);
  d.at(9min);
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "short") == nullptr);
  d.at(20min);  // 11 minutes since; the hourly prune is not due
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "short") != nullptr);
}

TEST_CASE("novelty signals on an item no rule matched, with its entities", "[rules][detectors][novelty]") {
  Detect d(kNovelty + "    scope: item\n");
  d.at(Days(8));
  auto r = d.see("Cuatro Letras", "Reportan presencia en Sonora");
  REQUIRE(r.matches.size() == 1);
  const Match& m = r.matches[0];
  CHECK(m.rule == "cartel-new-place");
  CHECK(m.title == "Cartel named with a new place: CJNG × Sonora");
  REQUIRE(m.terms.size() == 2);
  // An alias is found by its position; only its first word is marked (mentions have no end).
  CHECK(m.terms[0].pattern == "cartels:CJNG");
  CHECK(m.terms[0].field == "title");
  CHECK(m.terms[0].start == 0);
  CHECK(m.terms[0].snippet == "[[Cuatro]] Letras");
  CHECK(m.terms[1].field == "summary");
  CHECK_THAT(m.terms[1].snippet, Catch::Contains("[[Sonora]]"));
  CHECK(r.entities.at("cartels") == std::vector<std::string>{"CJNG"});
  CHECK(r.entities.at("places_mx") == std::vector<std::string>{"Sonora"});
}

TEST_CASE("novelty respects its scope: same sentence, near, item", "[rules][detectors][novelty]") {
  SECTION("same_sentence (the default)") {
    Detect d(kNovelty);
    d.at(Days(8));
    CHECK(signal_of(d.see("Llega el CJNG. Zacatecas en alerta"), "cartel-new-place") == nullptr);
    CHECK(signal_of(d.see("", "", "Zacatecas en alerta.\nEl CJNG amenaza"), "cartel-new-place") == nullptr);
    CHECK(signal_of(d.see("CJNG", "Zacatecas"), "cartel-new-place") == nullptr);  // two fields
    CHECK(signal_of(d.see("Llega el CJNG a Zacatecas"), "cartel-new-place") != nullptr);
  }
  SECTION("near") {
    Detect d(kNovelty + "    scope: near\n    near: 3\n");
    d.at(Days(8));
    CHECK(signal_of(d.see("El CJNG dijo hoy que muy pronto Zacatecas"), "cartel-new-place") == nullptr);  // 5 between
    CHECK(signal_of(d.see("Sonora: dicen que ahora el CJNG"), "cartel-new-place") == nullptr);            // 4 between
    CHECK(signal_of(d.see("El CJNG llegó a Sonora"), "cartel-new-place") != nullptr);                     // 2 between
    CHECK(signal_of(d.see("Zacatecas. Después, el CJNG"), "cartel-new-place") != nullptr);  // 2, across a sentence
  }
  SECTION("item") {
    Detect d(kNovelty + "    scope: item\n");
    d.at(Days(8));
    CHECK(signal_of(d.see("El CJNG", "", "Hoy en Zacatecas"), "cartel-new-place") != nullptr);
  }
}

TEST_CASE("novelty only looks at items that matched a rule named in `when`", "[rules][detectors][novelty]") {
  SECTION("by category") {
    Detect d(kNovelty + "    when: [territorial_shift]\n");
    d.at(Days(8));
    // No rule fired: the pair is neither signalled nor learnt...
    CHECK(signal_of(d.see("El CJNG en Zacatecas"), "cartel-new-place") == nullptr);
    CHECK(signal_of(d.see("Festival del CJNG en Zacatecas"), "cartel-new-place") == nullptr);
    // ...so the first item that passes still finds it new.
    CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "cartel-new-place") != nullptr);
  }
  SECTION("by rule id") {
    Detect d(kNovelty + "    when: [festival]\n");
    d.at(Days(8));
    CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "cartel-new-place") == nullptr);
    CHECK(signal_of(d.see("Festival del CJNG en Zacatecas"), "cartel-new-place") != nullptr);
  }
}

TEST_CASE("several new pairs in one item make one signal listing them all", "[rules][detectors][novelty]") {
  Detect d(kNovelty + "    scope: item\n");
  d.at(Days(8));
  auto r = d.see("El CJNG llegó a Zacatecas y a Sonora");
  const Match* m = signal_of(r, "cartel-new-place");
  REQUIRE(m != nullptr);
  CHECK(m->title == "Cartel named with a new place: CJNG × Zacatecas; CJNG × Sonora");
  CHECK(m->score == Approx(2.0));
  CHECK(m->terms.size() == 4);
  CHECK(d.last.size() == 1);
  // Only the one pair this item adds is new.
  r = d.see("El CJNG y Los Chapitos llegan a Sonora");
  m = signal_of(r, "cartel-new-place");
  REQUIRE(m != nullptr);
  CHECK(m->title == "Cartel named with a new place: Cártel de Sinaloa × Sonora");
}

TEST_CASE("a novelty pair within one list is unordered and never pairs a name with itself",
          "[rules][detectors][novelty]") {
  Detect d(R"(
novelty:
  - id: alliance
    title: Cartels named together
    category: territorial_shift
    severity: low
    pair: [cartels, cartels]
    learn_for: 0s
)");
  CHECK(signal_of(d.see("El CJNG llegó, el CJNG se fue"), "alliance") == nullptr);
  auto r = d.see("El CJNG y el Cártel de Sinaloa pactan");
  const Match* m = signal_of(r, "alliance");
  REQUIRE(m != nullptr);
  CHECK(m->title == "Cartels named together: CJNG × Cártel de Sinaloa");
  CHECK(m->score == Approx(1.0));
  CHECK(signal_of(d.see("El Cártel de Sinaloa y el CJNG rompen"), "alliance") == nullptr);
}

TEST_CASE("an item delivered again gets its novelty signal again, another item does not",
          "[rules][detectors][novelty]") {
  Detect d(kNovelty);
  d.at(Days(8));
  Item item;
  item.id = "story-1";
  item.title = "El CJNG llegó a Zacatecas";
  CHECK(signal_of(d.see(item), "cartel-new-place") != nullptr);
  CHECK(signal_of(d.see(item), "cartel-new-place") != nullptr);  // the first hit may not have been published
  item.id = "story-2";
  CHECK(signal_of(d.see(item), "cartel-new-place") == nullptr);
}

TEST_CASE("novelty windows and learning survive a restart and a rule reload", "[rules][detectors][novelty]") {
  vigia::test::TempDir dir;
  auto db = StateDb::open(dir / "vigia.db");
  REQUIRE(db.ok());
  Detect d(kNovelty, *db);
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "cartel-new-place") == nullptr);  // learning, day 0
  d.at(Days(8));
  CHECK(signal_of(d.see("El CJNG llegó a Sonora"), "cartel-new-place") != nullptr);

  // A new process on the same file: neither the learning period nor the pairs start over.
  d.state.reset();
  d.db.reset();
  db->reset();
  auto reopened = StateDb::open(dir / "vigia.db");
  REQUIRE(reopened.ok());
  d.db = *reopened;
  d.restart();
  d.at(Days(9));
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "cartel-new-place") == nullptr);
  CHECK(signal_of(d.see("El CJNG llegó a Sonora"), "cartel-new-place") == nullptr);
  CHECK(signal_of(d.see("El CJNG llegó a Michoacán"), "cartel-new-place") != nullptr);

  // A reloaded set is a new RuleSet: state follows the detector id.
  RuleSetPtr reloaded = compile(kNovelty);
  Scorer scorer(reloaded);
  Item item;
  item.id = "reloaded";
  item.title = "El Cártel de Sinaloa llegó a Michoacán";
  ScoreResult r = scorer.score(item);
  CHECK(d.state->apply(*reloaded, item, r).size() == 1);
  item.title = "El CJNG llegó a Michoacán";
  r = scorer.score(item);
  CHECK(d.state->apply(*reloaded, item, r).empty());
}

TEST_CASE("a fresh state on a new database learns before it signals", "[rules][detectors][novelty]") {
  Detect d(kNovelty);
  d.at(Days(100));
  auto db = StateDb::open(":memory:");
  REQUIRE(db.ok());
  d.db = *db;
  d.restart();  // a new deployment meets the detector on day 100
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "cartel-new-place") == nullptr);
  d.at(Days(106));
  CHECK(signal_of(d.see("El CJNG llegó a Sonora"), "cartel-new-place") == nullptr);
  d.at(Days(108));
  CHECK(signal_of(d.see("El CJNG llegó a Michoacán"), "cartel-new-place") != nullptr);
}

TEST_CASE("novelty pairs older than their window are pruned from the database", "[rules][detectors][novelty]") {
  auto db = StateDb::open(":memory:");
  REQUIRE(db.ok());
  Detect d(kNovelty, *db);
  d.see("El CJNG llegó a Zacatecas");
  d.see("El CJNG llegó a Sonora");
  CHECK(count_rows(**db, "novelty_pairs") == 2);
  d.at(Days(20));
  d.see("El CJNG llegó a Sonora");
  d.at(Days(31));
  d.see("El CJNG llegó a Michoacán");  // Zacatecas: 31 days unseen, gone; Sonora: 11 days, kept
  CHECK(count_rows(**db, "novelty_pairs") == 2);
  std::vector<std::string> places;
  REQUIRE((*db)
              ->query("SELECT b FROM novelty_pairs ORDER BY b", {},
                      [&](const StateDb::Row& row) { places.push_back(std::get<std::string>(row[0])); })
              .ok());
  CHECK(places == std::vector<std::string>{"Michoacán", "Sonora"});
}

TEST_CASE("a failing state database is logged and counted, and detection carries on in memory", "[rules][detectors]") {
  auto db = StateDb::open(":memory:");
  REQUIRE(db.ok());
  Detect d(kNovelty + kSpike, *db);
  REQUIRE((*db)->exec("DROP TABLE novelty_pairs; DROP TABLE spike_buckets").ok());
  d.at(Days(8));
  CHECK(signal_of(d.see("El CJNG llegó a Sonora"), "cartel-new-place") != nullptr);
  CHECK(signal_of(d.see("El CJNG llegó a Sonora"), "cartel-new-place") == nullptr);  // remembered in memory
  const std::string text = serialize_metrics(d.metrics);
  CHECK_THAT(text, Catch::Contains("vigia_rules_detector_state_errors_total"));
  CHECK_THAT(text, !Catch::Contains("vigia_rules_detector_state_errors_total 0"));
}

TEST_CASE("a spike fires once when a bucket reaches factor times its baseline, never on a steady rate",
          "[rules][detectors][spikes]") {
  Detect d(kSpike);
  // Twelve hours at two an hour: steady, and the first four hours are the learning period.
  for (int h = 0; h < 12; ++h) {
    d.at(std::chrono::hours(h) + 10min);
    CHECK(arrivals(d, 2) == all_false(2));
  }
  // The usual rate is 2 an hour: the sixth arrival in an hour is 3x that.
  d.at(12h + 5min);
  CHECK(arrivals(d, 5) == all_false(5));
  auto r = d.see("El CJNG llegó a Zacatecas");
  const Match* m = signal_of(r, "shift-surge");
  REQUIRE(m != nullptr);
  CHECK(m->title == "Surge of arrivals: 6 in 1h vs usual 2.0");
  CHECK(m->score == Approx(3.0).epsilon(0.01));
  CHECK(m->severity == "critical");
  CHECK(r.matches[0].rule == "shift-surge");  // critical first
  // The spike quotes what it counted.
  REQUIRE_FALSE(m->terms.empty());
  CHECK(patterns(m->terms) == patterns(signal_of(r, "shift")->terms));
  REQUIRE(d.last.size() == 1);
  CHECK(d.last[0].detector == "shift-surge");
  // Once per bucket.
  d.at(12h + 50min);
  CHECK(arrivals(d, 6) == all_false(6));
}

TEST_CASE("a spike needs min_count, and a zero baseline counts as one a bucket", "[rules][detectors][spikes]") {
  SECTION("min_count above factor") {
    Detect d(R"(
spikes:
  - id: shift-surge
    title: Surge
    category: territorial_shift
    severity: high
    rule: shift
    bucket: 1h
    baseline: 4h
    factor: 3
    min_count: 5
)");
    d.at(5h);
    CHECK(arrivals(d, 5) == std::vector<bool>{false, false, false, false, true});
  }
  SECTION("factor above min_count") {
    Detect d(R"(
spikes:
  - id: shift-surge
    title: Surge
    category: territorial_shift
    severity: high
    rule: shift
    bucket: 1h
    baseline: 4h
    factor: 3
    min_count: 1
)");
    d.at(5h);
    CHECK(arrivals(d, 3) == std::vector<bool>{false, false, true});
  }
}

TEST_CASE("a spike detector learns for its first baseline horizon", "[rules][detectors][spikes]") {
  Detect d(kSpike);
  // Five an hour from the start: without learning, the third of hour 0 would be 3 x the floor.
  for (int h = 0; h < 4; ++h) {
    d.at(std::chrono::hours(h));
    CHECK(arrivals(d, 5) == all_false(5));
  }
  d.at(4h);  // learnt: five an hour is the usual rate, so the fifteenth is a surge
  CHECK(first_fired(arrivals(d, 16)) == 14);
}

TEST_CASE("a spike baseline decays through buckets that saw nothing", "[rules][detectors][spikes]") {
  Detect d(kSpike);
  for (int h = 0; h < 8; ++h) {
    d.at(std::chrono::hours(h));
    CHECK(arrivals(d, 4) == all_false(4));
  }
  // Ten silent hours: the average is now about 4 x 0.75^10 = 0.2, floored at 1. Closing only the
  // last busy bucket (and not the empty ones) would leave it near 4, and need 12.
  d.at(18h);
  CHECK(arrivals(d, 3) == std::vector<bool>{false, false, true});
}

TEST_CASE("a spike keeps one rate per entity with `by`", "[rules][detectors][spikes]") {
  Detect d(R"(
spikes:
  - id: place-surge
    title: Surge by place
    category: territorial_shift
    severity: high
    rule: shift
    by: places_mx
    bucket: 1h
    baseline: 4h
    factor: 3
    min_count: 3
)");
  for (int h = 0; h < 6; ++h) {
    d.at(std::chrono::hours(h));
    CHECK(arrivals(d, 2, "Zacatecas") == all_false(2));
  }
  d.at(6h);
  CHECK(arrivals(d, 4, "Zacatecas") == all_false(4));  // 4 < 3 x 2
  CHECK(arrivals(d, 2, "Sonora") == all_false(2));
  // Not counted: names no place.
  CHECK(signal_of(d.see("El CJNG llegó"), "place-surge") == nullptr);
  auto r = d.see("El CJNG llegó a Sonora");
  const Match* m = signal_of(r, "place-surge");
  REQUIRE(m != nullptr);
  CHECK(m->title == "Surge by place: Sonora 3 in 1h vs usual 0.0");
  CHECK(m->score == Approx(3.0));
  // Two keys firing on one item make one signal.
  CHECK(arrivals(d, 1, "Zacatecas") == all_false(1));  // Zacatecas: 5
  CHECK(arrivals(d, 2, "Michoacán") == all_false(2));
  r = d.see("El CJNG llegó a Zacatecas y a Michoacán");
  m = signal_of(r, "place-surge");
  REQUIRE(m != nullptr);
  CHECK(m->title == "Surge by place: Zacatecas 6 in 1h vs usual 2.0; Michoacán 3 in 1h vs usual 0.0");
  CHECK(m->score == Approx(3.0));
  CHECK(d.last.size() == 1);
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas y a Michoacán"), "place-surge") == nullptr);
}

TEST_CASE("a spike counts items, not matches, of the rules of its category", "[rules][detectors][spikes]") {
  Detect d(R"(
spikes:
  - id: category-surge
    title: Surge of territorial news
    category: territorial_shift
    severity: high
    bucket: 1h
    baseline: 4h
    factor: 3
    min_count: 3
)");
  d.at(5h);
  // Each matches both `shift` and `clash`: counting matches would fire on the second.
  std::vector<bool> fired;
  for (int i = 0; i < 3; ++i) {
    auto r = d.see("Balacera: el CJNG llegó a Zacatecas");
    REQUIRE(r.matches.size() >= 2);
    fired.push_back(signal_of(r, "category-surge") != nullptr);
  }
  CHECK(fired == std::vector<bool>{false, false, true});
  // Other categories do not count.
  d.at(7h);
  for (int i = 0; i < 5; ++i) CHECK(signal_of(d.see("Festival en Zacatecas"), "category-surge") == nullptr);
}

TEST_CASE("items published more than a bucket ago do not count towards a spike", "[rules][detectors][spikes]") {
  Detect d(kSpike);
  d.at(5h + 30min);
  for (int i = 0; i < 5; ++i) {
    auto r = d.see("El CJNG llegó a Zacatecas", "", "", kT0 + 3h);  // a back catalogue
    CHECK(signal_of(r, "shift-surge") == nullptr);
  }
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas", "", "", kT0 + 4h + 45min), "shift-surge") == nullptr);
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "shift-surge") == nullptr);
  CHECK(signal_of(d.see("El CJNG llegó a Zacatecas"), "shift-surge") != nullptr);  // the third that counted
}

TEST_CASE("spike baselines and fired buckets survive a restart on the same database", "[rules][detectors][spikes]") {
  vigia::test::TempDir dir;
  auto db = StateDb::open(dir / "vigia.db");
  REQUIRE(db.ok());
  Detect d(kSpike, *db);
  for (int h = 0; h < 6; ++h) {
    d.at(std::chrono::hours(h));
    CHECK(arrivals(d, 2) == all_false(2));
  }
  d.at(6h);
  CHECK(arrivals(d, 6) == std::vector<bool>{false, false, false, false, false, true});

  d.restart();
  d.at(6h + 30min);
  CHECK(arrivals(d, 3) == all_false(3));  // this bucket already fired
  d.restart();
  d.at(7h);
  // Hour 6 closed with 9 (6 before the restart, 3 after): average (0.75 x 1.64 + 0.25 x 9) /
  // (1 - 0.75^7) = 4.02, so the 13th arrival of hour 7 is the surge. Had the count or the
  // baseline been lost, it would be the 10th or none (a detector learning afresh).
  CHECK(first_fired(arrivals(d, 14)) == 12);
}

TEST_CASE("workers sharing one state get one signal per new pair and one per surging bucket", "[rules][detectors]") {
  auto db = StateDb::open(":memory:");
  REQUIRE(db.ok());
  Detect d(R"(
novelty:
  - id: cartel-new-place
    title: Cartel named with a new place
    category: territorial_shift
    severity: medium
    pair: [cartels, places_mx]
    learn_for: 0s
)" + kSpike,
           *db);
  d.at(5h);  // the spike detector has learnt: zero baseline, so the third arrival of an hour fires
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> novelty{0};
  std::atomic<int> spikes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Scorer scorer(d.rules);  // one per worker, as in the stage
      for (int i = 0; i < kPerThread; ++i) {
        Item item;
        item.id = std::to_string(t) + "-" + std::to_string(i);
        item.title = i % 2 ? "El CJNG llegó a Zacatecas" : "El Cártel de Sinaloa llegó a Sonora";
        ScoreResult r = scorer.score(item);
        for (const auto& s : d.state->apply(*d.rules, item, r)) {
          (s.detector == "shift-surge" ? spikes : novelty)++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(novelty == 2);
  CHECK(spikes == 1);
}

TEST_CASE("the score stage publishes a novelty-only item as a hit and counts the signal", "[rules][detectors][stage]") {
  auto rules = compile(R"(
novelty:
  - id: cartel-new-place
    title: Cartel named with a new place
    category: territorial_shift
    severity: medium
    pair: [cartels, places_mx]
    learn_for: 0s
)");
  MemoryBus bus(16);
  auto hits = bus.subscribe(topics::kHits, "test");
  vigia::MetricsRegistry registry;
  auto clock = std::make_shared<ManualClock>(kT0);
  ScoreStageOptions options;
  options.workers = 2;
  options.detectors = std::make_shared<DetectorState>(nullptr, clock);
  ScoreStage stage(rules, bus, registry, options);
  stage.start();

  Item a;
  a.id = "a";
  a.title = "Reportan al CJNG en Zacatecas";  // no rule matches
  Item b;
  b.id = "b";
  b.title = "Lluvias en Morelia";
  REQUIRE(bus.publish(topics::kItems, a.id, encode_item(a)).ok());
  REQUIRE(bus.publish(topics::kItems, b.id, encode_item(b)).ok());
  bus.close_topic(topics::kItems);
  stage.join();

  auto got = hits->poll(1s);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  auto hit = decode_hit((*got)->value);
  REQUIRE(hit.ok());
  CHECK(hit->item.id == "a");
  REQUIRE(hit->matches.size() == 1);
  CHECK(hit->matches[0].rule == "cartel-new-place");
  CHECK(hit->matches[0].title == "Cartel named with a new place: CJNG × Zacatecas");
  CHECK(hit->entities.at("places_mx") == std::vector<std::string>{"Zacatecas"});
  CHECK_FALSE(hits->poll(10ms)->has_value());

  const std::string metrics = serialize_metrics(registry);
  CHECK_THAT(
      metrics,
      Catch::Contains(
          R"(vigia_rules_detector_signals_total{category="territorial_shift",detector="cartel-new-place",severity="medium"} 1)"));
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_hits_sent_total 1"));
}
