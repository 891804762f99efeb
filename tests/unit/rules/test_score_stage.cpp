#include <catch2/catch.hpp>

#include "vigia/core/codec.h"
#include "vigia/core/memory_bus.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/score_stage.h"

using namespace vigia;
using namespace vigia::rules;
using namespace std::chrono_literals;

namespace {
const char* kPack = R"(rules:
  - id: narco
    title: Narco banners
    category: territorial_shift
    severity: medium
    patterns:
      - id: banner
        terms: [narcomanta*]
)";
}

TEST_CASE("score stage publishes hits only for matching items and commits everything", "[rules][stage]") {
  auto loaded = load_rule_set_from_text({{"p.yaml", kPack}});
  REQUIRE(loaded.rules);
  MemoryBus bus(16);
  auto hits = bus.subscribe(topics::kHits, "test");
  vigia::MetricsRegistry registry;
  ScoreStage stage(loaded.rules, bus, registry, {.workers = 2});
  stage.start();

  Item a;
  a.id = "a";
  a.title = "Aparecen narcomantas en Celaya";
  Item b;
  b.id = "b";
  b.title = "Festival de cine en Morelia";
  REQUIRE(bus.publish(topics::kItems, a.id, encode_item(a)).ok());
  REQUIRE(bus.publish(topics::kItems, b.id, encode_item(b)).ok());
  REQUIRE(bus.publish(topics::kItems, "poison", "{not json").ok());
  bus.close_topic(topics::kItems);
  stage.join();

  CHECK(bus.pending(topics::kItems) == 0);
  auto got = hits->poll(1s);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  auto hit = decode_hit((*got)->value);
  REQUIRE(hit.ok());
  CHECK(hit->item.id == "a");
  REQUIRE(hit->matches.size() == 1);
  CHECK(hit->matches[0].rule == "narco");
  CHECK_FALSE(hits->poll(10ms)->has_value());

  const std::string metrics = serialize_metrics(registry);
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_items_received_total 3"));
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_items_scored_total 2"));
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_hits_sent_total 1"));
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rules_items_discarded_total{reason="json"} 1)"));
  CHECK_THAT(
      metrics,
      Catch::Contains(R"(vigia_rule_matches_total{category="territorial_shift",rule="narco",severity="medium"} 1)"));
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_ruleset_info{version=\"" + loaded.rules->version() + "\"} 1"));
}

TEST_CASE("score stage counts matching items per list entity and category, never items that matched nothing",
          "[rules][stage]") {
  auto loaded = load_rule_set_from_text({{"p.yaml", std::string(kPack) + R"(  - id: aid
    title: Cartel aid boxes
    category: aid_box_branding
    severity: high
    patterns:
      - id: boxes
        terms: [despensa*]
lists:
  places_mx:
    Michoacán: []
    Jalisco: []
)"}});
  REQUIRE(loaded.rules);
  MemoryBus bus(16);
  auto hits = bus.subscribe(topics::kHits, "test");
  vigia::MetricsRegistry registry;
  ScoreStage stage(loaded.rules, bus, registry, {.workers = 1});
  stage.start();
  const auto publish = [&](const std::string& id, const std::string& title) {
    Item item;
    item.id = id;
    item.title = title;
    REQUIRE(bus.publish(topics::kItems, id, encode_item(item)).ok());
  };
  publish("both", "Narcomantas y despensas con logotipos en Michoacan");
  publish("one", "Aparece una narcomanta en Jalisco y otra en Michoacán");
  publish("none", "Festival de cine en Jalisco");
  bus.close_topic(topics::kItems);
  stage.join();

  const std::string metrics = serialize_metrics(registry);
  const auto series = [](const char* category, const char* entity) {
    return std::string(R"(vigia_rules_entity_matches_total{category=")") + category + R"(",entity=")" + entity +
           R"(",list="places_mx"} )";
  };
  CHECK_THAT(metrics, Catch::Contains(series("territorial_shift", "Michoacán") + "2"));
  CHECK_THAT(metrics, Catch::Contains(series("aid_box_branding", "Michoacán") + "1"));
  CHECK_THAT(metrics, Catch::Contains(series("territorial_shift", "Jalisco") + "1"));
  CHECK_THAT(metrics, !Catch::Contains(series("aid_box_branding", "Jalisco")));
}
