#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "alerting_test_util.h"
#include "story_fingerprint.h"
#include "vigia/alerting/story_grouper.h"
#include "support/test_paths.h"
#include "vigia/core/hash.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace std::chrono_literals;
using vigia::alerting::test::at;

namespace {

// Realistic write-ups of the same events by different outlets, and different events of the same
// kind that share much of their vocabulary (same company, same cartel, same day).
struct Doc {
  const char* story;
  const char* source;
  const char* title;
  const char* lead;
};

const std::vector<Doc>& corpus() {
  static const std::vector<Doc> docs = {
      {"salina-es", "El Universal", "Explosión en refinería de Pemex en Salina Cruz deja tres muertos",
       "Una explosión en la refinería Antonio Dovalí Jaime de Petróleos Mexicanos, en Salina Cruz, Oaxaca, dejó tres "
       "trabajadores muertos y cinco heridos la mañana de este jueves, informó la empresa en un comunicado."},
      {"salina-es", "Milenio", "Reportan tres muertos por explosión en refinería de Salina Cruz, Oaxaca",
       "Tres trabajadores murieron y cinco más resultaron heridos tras la explosión registrada este jueves en la "
       "refinería de Pemex en Salina Cruz, Oaxaca, informaron autoridades."},
      {"salina-es", "La Jornada", "Mueren 3 trabajadores tras explosión en refinería de Pemex en Salina Cruz",
       "La explosión ocurrió la mañana del jueves en la refinería de Salina Cruz; Pemex confirmó tres trabajadores "
       "muertos y cinco lesionados, que fueron trasladados a hospitales de la región."},
      {"salina-es", "Proceso", "Explosión en la refinería de Salina Cruz: Pemex confirma tres muertos y cinco heridos",
       "Petróleos Mexicanos confirmó que tres trabajadores murieron y cinco resultaron heridos en una explosión en la "
       "refinería de Salina Cruz, Oaxaca, este jueves."},
      {"salina-es", "Excélsior", "Pemex: explosión en refinería de Salina Cruz deja 3 muertos y 5 heridos",
       "Una explosión en la refinería de Salina Cruz, Oaxaca, dejó tres trabajadores muertos y cinco heridos este "
       "jueves, de acuerdo con Petróleos Mexicanos."},
      {"tula-es", "El Universal", "Incendio en refinería de Tula deja dos heridos",
       "Un incendio en la refinería Miguel Hidalgo de Pemex en Tula, Hidalgo, dejó dos trabajadores heridos la tarde "
       "de este jueves; el fuego fue controlado, informó la empresa."},
      {"salamanca-es", "El Sol de Salamanca", "Detienen a cinco presuntos integrantes del CJNG en Salamanca, Guanajuato",
       "Elementos de la Guardia Nacional y del Ejército detuvieron a cinco presuntos integrantes del Cártel Jalisco "
       "Nueva Generación en Salamanca, Guanajuato, ligados al robo de combustible."},
      {"salamanca-es", "AM", "Capturan a cinco presuntos miembros del CJNG en Salamanca",
       "La Guardia Nacional y el Ejército capturaron en Salamanca, Guanajuato, a cinco presuntos miembros del Cártel "
       "Jalisco Nueva Generación ligados al huachicol."},
      {"zapopan-es", "El Informador", "Detienen a presunto jefe de plaza del CJNG en Zapopan, Jalisco",
       "La Fiscalía de Jalisco detuvo en Zapopan a un presunto jefe de plaza del Cártel Jalisco Nueva Generación, "
       "señalado por homicidios y extorsión."},
      {"fresnillo-es", "Zacatecas en Imagen", "Enfrentamiento entre CJNG y Cártel de Sinaloa deja 8 muertos en Zacatecas",
       "Un enfrentamiento entre integrantes del Cártel Jalisco Nueva Generación y del Cártel de Sinaloa dejó ocho "
       "muertos en Fresnillo, Zacatecas, informó la Guardia Nacional."},
      {"salina-en", "Reuters", "Three killed in explosion at Pemex refinery in Mexico's Salina Cruz",
       "An explosion at Mexican state oil company Pemex's Salina Cruz refinery killed three workers and injured five "
       "on Thursday, the company said in a statement."},
      {"salina-en", "AP", "Explosion at Mexican refinery kills 3 workers, injures 5",
       "An explosion Thursday at the Salina Cruz refinery operated by Mexico's state oil company Pemex killed three "
       "workers and injured five others, the company said."},
      {"salina-en", "Bloomberg", "Pemex Salina Cruz Refinery Blast Kills Three Workers",
       "A blast at Petróleos Mexicanos' Salina Cruz refinery in Oaxaca killed three workers and injured five on "
       "Thursday, the state oil company said."},
      {"tula-en", "Reuters", "Fire at Pemex's Tula refinery injures two workers",
       "A fire broke out Thursday at Pemex's Tula refinery in Hidalgo state, injuring two workers before it was "
       "brought under control, the company said."},
      {"losses-en", "Bloomberg", "Pemex reports record losses as refinery output falls",
       "Mexican state oil company Pemex reported a record quarterly loss on Thursday as output at its refineries, "
       "including Salina Cruz, fell sharply."},
  };
  return docs;
}

struct Similarity {
  int bits;
  double overlap;
};

Similarity similarity(const Doc& a, const Doc& b) {
  const StoryOptions o;
  const auto fa = story_fingerprint(a.title, lead_of(a.lead, o.lead_bytes));
  const auto fb = story_fingerprint(b.title, lead_of(b.lead, o.lead_bytes));
  return {hamming_distance(fa.bits, fb.bits), word_jaccard(fa.words, fb.words)};
}

bool same_story_by_default(const Similarity& s) {
  const StoryOptions o;
  return s.bits <= o.similarity_bits || s.overlap >= o.min_word_overlap;
}

Alert alert_for(const Doc& doc, const std::string& item_id, const std::string& rule = "refinery-incident",
                double score = 5) {
  Alert a;
  a.rule = rule;
  a.title = "Incidente en refinería";
  a.severity = "high";
  a.score = score;
  a.item.id = item_id;
  a.item.title = doc.title;
  a.item.source = doc.source;
  return a;
}

std::shared_ptr<ManualClock> test_clock() { return std::make_shared<ManualClock>(at("2024-05-02T09:00:00Z")); }

StoryGrouperPtr open_grouper(const StoryOptions& options, ClockPtr clock, StateDbPtr db = nullptr) {
  auto g = StoryGrouper::open(options, std::move(clock), std::move(db));
  REQUIRE(g.ok());
  return std::move(*g);
}

// Distinct events with no words in common, for storm tests.
Doc distinct_doc(int i, std::string& title_storage, std::string& lead_storage) {
  const std::string n = std::to_string(i);
  title_storage = "Suceso" + n + " alfa" + n + " bravo" + n + " charlie" + n;
  lead_storage = "delta" + n + " echo" + n + " foxtrot" + n + " golf" + n;
  return {"storm", "Outlet", title_storage.c_str(), lead_storage.c_str()};
}

}  // namespace

TEST_CASE("similarity text is lower case without accents or punctuation", "[story]") {
  CHECK(normalise_for_similarity("¡EXPLOSIÓN en Pemex!  — “Salina Cruz”") == "explosion en pemex salina cruz");
  CHECK(content_words("Mueren 3 trabajadores tras explosión en la refinería") ==
        std::vector<std::string>{"mueren", "3", "trabajadore", "explosion", "refineria"});
  CHECK(content_words("tres muertos") == content_words("3 muertos"));
  CHECK(lead_of("áéí óú", 3) == "á");  // never cuts inside a character
}

TEST_CASE("the default threshold joins rewrites of one story and separates stories that share words", "[story]") {
  const auto& docs = corpus();
  int worst_same_bits = 0;
  double worst_same_overlap = 1;
  int closest_other_bits = 64;
  double closest_other_overlap = 0;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    for (std::size_t j = i + 1; j < docs.size(); ++j) {
      const std::string a = docs[i].story;
      const std::string b = docs[j].story;
      // The same event in two languages is out of reach of word similarity: neither counted.
      if (a.substr(0, a.size() - 3) == b.substr(0, b.size() - 3) && a != b) continue;
      const auto s = similarity(docs[i], docs[j]);
      INFO(docs[i].source << " / " << docs[j].source << " (" << a << ", " << b << "): " << s.bits << " bits, overlap "
                          << s.overlap);
      if (a == b) {
        worst_same_bits = std::max(worst_same_bits, s.bits);
        worst_same_overlap = std::min(worst_same_overlap, s.overlap);
        CHECK(same_story_by_default(s));
      } else {
        closest_other_bits = std::min(closest_other_bits, s.bits);
        closest_other_overlap = std::max(closest_other_overlap, s.overlap);
        CHECK_FALSE(same_story_by_default(s));
      }
    }
  }
  // The evidence behind the defaults (similarity_bits 10, min_word_overlap 0.35), printed with -s.
  WARN("same story: up to " << worst_same_bits << " bits apart, word overlap at least " << worst_same_overlap
                            << "; different stories: at least " << closest_other_bits
                            << " bits apart, word overlap at most " << closest_other_overlap);
  CHECK(closest_other_bits > StoryOptions{}.similarity_bits);
  CHECK(worst_same_overlap > closest_other_overlap);
}

TEST_CASE("a verbatim copy of a story is within the SimHash threshold", "[story]") {
  const auto& d = corpus()[0];
  const std::string copy_title = std::string(d.title) + " | EL UNIVERSAL";
  const Doc copy{"", "Yahoo Noticias", copy_title.c_str(), d.lead};
  CHECK(similarity(d, copy).bits <= StoryOptions{}.similarity_bits);
}

TEST_CASE("one story from five outlets gives one new alert and corroboration updates carrying five sources",
          "[story]") {
  auto clock = test_clock();
  StoryOptions o;  // realert 30 min, 2 new sources or +2 score for an update
  auto g = open_grouper(o, clock);
  const auto& d = corpus();

  Alert a1 = alert_for(d[0], "item-1");
  const auto first = g->observe(a1, d[0].lead);
  CHECK(first.action == StoryAction::kNew);
  CHECK(first.sequence == 1);
  CHECK(a1.id == stable_id("refinery-incident\nitem-1"));
  CHECK(a1.story.id == "item-1");

  clock->advance(5min);
  Alert a2 = alert_for(d[1], "item-2");
  const auto second = g->observe(a2, d[1].lead);
  CHECK(second.action == StoryAction::kSuppressed);
  CHECK(second.reason == "duplicate");  // one new source is not enough
  CHECK(a2.id == a1.id);

  clock->advance(5min);
  Alert a3 = alert_for(d[2], "item-3");
  const auto third = g->observe(a3, d[2].lead);
  CHECK(third.action == StoryAction::kSuppressed);
  CHECK(third.reason == "throttled");  // two new sources, but 10 min after the first alert

  clock->advance(30min);
  Alert a4 = alert_for(d[3], "item-4");
  const auto fourth = g->observe(a4, d[3].lead);
  CHECK(fourth.action == StoryAction::kUpdate);
  CHECK(fourth.sequence == 2);
  CHECK(a4.id == a1.id);
  CHECK(a4.sequence == 2);
  CHECK(a4.story.sources.size() == 4);

  clock->advance(40min);
  Alert a5 = alert_for(d[4], "item-5", "refinery-incident", 8);  // a higher score: an update on its own
  const auto fifth = g->observe(a5, d[4].lead);
  CHECK(fifth.action == StoryAction::kUpdate);
  CHECK(fifth.sequence == 3);
  CHECK(a5.id == a1.id);
  CHECK(a5.score == 8);
  CHECK(a5.story.sources ==
        std::vector<std::string>{"El Universal", "Milenio", "La Jornada", "Proceso", "Excélsior"});
  CHECK(fifth.source_count == 5);
  CHECK(a5.first_seen == at("2024-05-02T09:00:00Z"));
  CHECK(a5.last_seen == at("2024-05-02T10:20:00Z"));
  CHECK(g->story_count() == 1);
}

TEST_CASE("updates stop at max_updates", "[story]") {
  auto clock = test_clock();
  StoryOptions o;
  o.max_updates = 1;
  o.update_min_new_sources = 1;
  o.realert = 0ms;
  auto g = open_grouper(o, clock);
  const auto& d = corpus();
  std::vector<StoryAction> actions;
  std::vector<std::string> reasons;
  for (int i = 0; i < 4; ++i) {
    Alert a = alert_for(d[static_cast<std::size_t>(i)], "item-" + std::to_string(i));
    const auto dec = g->observe(a, d[static_cast<std::size_t>(i)].lead);
    actions.push_back(dec.action);
    reasons.push_back(dec.reason);
    clock->advance(1min);
  }
  CHECK(actions == std::vector<StoryAction>{StoryAction::kNew, StoryAction::kUpdate, StoryAction::kSuppressed,
                                            StoryAction::kSuppressed});
  CHECK(reasons[2] == "max_updates");
}

TEST_CASE("different stories of one rule stay separate and the same story under two rules is two stories",
          "[story]") {
  auto clock = test_clock();
  auto g = open_grouper({}, clock);
  std::set<std::string> ids;
  for (const auto& doc : corpus()) {
    const std::string story = doc.story;
    if (story != "tula-es" && story != "salina-es" && story != "tula-en" && story != "losses-en" &&
        story != "salina-en")
      continue;
    Alert a = alert_for(doc, std::string("id-") + doc.source + "-" + story);
    g->observe(a, doc.lead);
    ids.insert(a.id);
    clock->advance(1min);
  }
  CHECK(ids.size() == 5);  // salina-es, tula-es, salina-en, tula-en, losses-en
  CHECK(g->story_count() == 5);

  Alert other_rule = alert_for(corpus()[1], "item-x", "pemex-watch");
  CHECK(g->observe(other_rule, corpus()[1].lead).action == StoryAction::kNew);
}

TEST_CASE("the same item delivered twice gets the same decision and sequence", "[story]") {
  auto clock = test_clock();
  auto g = open_grouper({}, clock);
  const auto& d = corpus();
  Alert first = alert_for(d[0], "item-1");
  const auto dec1 = g->observe(first, d[0].lead);
  clock->advance(1min);
  Alert again = alert_for(d[0], "item-1");
  const auto dec2 = g->observe(again, d[0].lead);
  CHECK(dec2.action == dec1.action);
  CHECK(dec2.sequence == dec1.sequence);
  CHECK(dec2.replayed);
  CHECK_FALSE(dec1.replayed);
  CHECK(again.id == first.id);
  CHECK(again.last_seen == first.last_seen);

  // An update, then its redelivery after the story moved on: still the update it was.
  clock->advance(40min);
  Alert u = alert_for(d[1], "item-2", "refinery-incident", 9);
  const auto up = g->observe(u, d[1].lead);
  REQUIRE(up.action == StoryAction::kUpdate);
  clock->advance(40min);
  Alert more = alert_for(d[2], "item-3", "refinery-incident", 12);
  REQUIRE(g->observe(more, d[2].lead).sequence == 3);
  Alert u_again = alert_for(d[1], "item-2", "refinery-incident", 9);
  const auto up2 = g->observe(u_again, d[1].lead);
  CHECK(up2.action == StoryAction::kUpdate);
  CHECK(up2.sequence == 2);
  CHECK(u_again.story.sources == u.story.sources);
}

TEST_CASE("a story is throttled within realert and updated after it", "[story]") {
  auto clock = test_clock();
  StoryOptions o;
  o.realert = 1h;
  auto g = open_grouper(o, clock);
  const auto& d = corpus();
  Alert a = alert_for(d[0], "item-1", "refinery-incident", 5);
  g->observe(a, d[0].lead);
  clock->advance(59min);
  Alert b = alert_for(d[0], "item-2", "refinery-incident", 9);  // a re-post, scored higher
  CHECK(g->observe(b, d[0].lead).reason == "throttled");
  clock->advance(2min);
  Alert c = alert_for(d[0], "item-3", "refinery-incident", 9);
  const auto dec = g->observe(c, d[0].lead);
  CHECK(dec.action == StoryAction::kUpdate);
  CHECK(dec.sequence == 2);
}

TEST_CASE("a rule that floods switches to digest and recovers after the cool-down", "[story]") {
  auto clock = test_clock();
  StoryOptions o;
  o.storm.max_alerts = 3;
  o.storm.window = 10min;
  o.storm.cooldown = 30min;
  auto g = open_grouper(o, clock);
  std::string t, l;
  std::vector<StoryAction> actions;
  StoryDecision last;
  for (int i = 0; i < 6; ++i) {
    const Doc doc = distinct_doc(i, t, l);
    Alert a = alert_for(doc, "storm-" + std::to_string(i), "flood");
    last = g->observe(a, doc.lead);
    actions.push_back(last.action);
    clock->advance(1min);
  }
  CHECK(actions == std::vector<StoryAction>{StoryAction::kNew, StoryAction::kNew, StoryAction::kNew,
                                            StoryAction::kDigest, StoryAction::kDigest, StoryAction::kDigest});
  CHECK(last.reason == "storm");
  CHECK(last.storm_folded == 3);
  auto storms = g->storms();
  REQUIRE(storms.size() == 1);
  CHECK(storms[0].rule == "flood");
  CHECK(storms[0].folded == 3);

  // Another rule is not affected.
  {
    const Doc doc = distinct_doc(100, t, l);
    Alert a = alert_for(doc, "calm-1", "calm");
    CHECK(g->observe(a, doc.lead).action == StoryAction::kNew);
  }

  clock->advance(31min);
  CHECK(g->storms().empty());
  const Doc doc = distinct_doc(7, t, l);
  Alert a = alert_for(doc, "storm-7", "flood");
  CHECK(g->observe(a, doc.lead).action == StoryAction::kNew);
}

TEST_CASE("stories item decisions and storm state survive a restart on the same database", "[story]") {
  vigia::test::TempDir dir;
  auto clock = test_clock();
  StoryOptions o;
  o.storm.max_alerts = 1;
  const auto& d = corpus();
  std::string first_id;
  {
    auto db = StateDb::open(dir / "state.db");
    REQUIRE(db.ok());
    auto g = open_grouper(o, clock, *db);
    Alert a = alert_for(d[0], "item-1");
    REQUIRE(g->observe(a, d[0].lead).action == StoryAction::kNew);
    first_id = a.id;
    std::string t, l;
    const Doc other = distinct_doc(1, t, l);
    Alert b = alert_for(other, "item-other");
    REQUIRE(g->observe(b, other.lead).action == StoryAction::kDigest);
  }
  clock->advance(20min);
  auto db = StateDb::open(dir / "state.db");
  REQUIRE(db.ok());
  auto g = open_grouper(o, clock, *db);
  CHECK(g->story_count() == 2);
  REQUIRE(g->storms().size() == 1);  // still inside its 30 min cool-down
  CHECK(g->storms()[0].folded == 1);
  Alert again = alert_for(d[0], "item-1");
  const auto replay = g->observe(again, d[0].lead);
  CHECK(replay.replayed);
  CHECK(replay.action == StoryAction::kNew);
  CHECK(again.id == first_id);

  clock->advance(25min);
  CHECK(g->storms().empty());
  Alert a3 = alert_for(d[2], "item-3");
  Alert a4 = alert_for(d[3], "item-4");
  g->observe(a3, d[2].lead);
  const auto dec = g->observe(a4, d[3].lead);
  CHECK(dec.action == StoryAction::kUpdate);  // 3 sources now, 45 min after the first alert
  CHECK(dec.sequence == 2);
  CHECK(a4.id == first_id);
  CHECK(a4.story.sources == std::vector<std::string>{"El Universal", "La Jornada", "Proceso"});
}

TEST_CASE("stories older than the window are pruned from memory and the database", "[story]") {
  vigia::test::TempDir dir;
  auto clock = test_clock();
  const auto& d = corpus();
  {
    auto db = StateDb::open(dir / "state.db");
    REQUIRE(db.ok());
    auto g = open_grouper({}, clock, *db);
    Alert a = alert_for(d[0], "item-1");
    g->observe(a, d[0].lead);
    clock->advance(49h);
    g->prune();
    CHECK(g->story_count() == 0);
    Alert b = alert_for(d[1], "item-2");
    CHECK(g->observe(b, d[1].lead).action == StoryAction::kNew);  // the old story is gone
  }
  auto db = StateDb::open(dir / "state.db");
  REQUIRE(db.ok());
  std::int64_t rows = -1;
  REQUIRE((*db)->query("SELECT COUNT(*) FROM story_stories", {}, [&](const StateDb::Row& r) {
    rows = std::get<std::int64_t>(r[0]);
  }).ok());
  CHECK(rows == 1);
}
