#include <catch2/catch.hpp>

#include <map>
#include <thread>

#include "vigia/core/codec.h"
#include "vigia/core/memory_bus.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/rule_store.h"
#include "vigia/rules/score_stage.h"

using namespace vigia;
using namespace vigia::rules;
using namespace std::chrono_literals;

namespace {

// Two sets that both match every item of the stream below, under different rule ids. B is also
// shaped differently (two patterns, a condition, more expressions), so a scorer mixing A's
// database with B's rules — a half-loaded set — would not produce a clean single match.
const char* kPackA = R"(rules:
  - id: rule-a
    title: Set A
    category: test
    severity: low
    patterns:
      - id: any
        terms: [noticia]
)";
const char* kPackB = R"(rules:
  - id: rule-b
    title: Set B
    category: test
    severity: high
    patterns:
      - id: word
        terms: [noticia*]
      - id: never
        terms: [zzyzx, qwxq]
    condition: word and not never
)";

RuleSetPtr load(const char* text, const char* name) {
  auto loaded = load_rule_set_from_text({{name, text}});
  INFO(loaded.diagnostics.to_text());
  REQUIRE(loaded.rules);
  return loaded.rules;
}

Item item(const std::string& id) {
  Item it;
  it.id = id;
  it.title = "Una noticia más, la número " + id;
  return it;
}

}  // namespace

TEST_CASE("rule store swaps sets, counts generations and tells listeners before workers can see the set",
          "[rules][reload]") {
  const RuleSetPtr a = load(kPackA, "a.yaml");
  const RuleSetPtr b = load(kPackB, "b.yaml");
  RuleStore store(a);
  CHECK(store.generation() == 1);
  CHECK(store.current().rules == a);

  std::vector<std::pair<std::string, std::string>> heard;  // previous version -> next version
  const auto id = store.add_listener([&](const RuleSetPtr& previous, const RuleSetPtr& next) {
    // Called before the swap is visible: current() still returns the previous set.
    CHECK(store.current().rules == (previous ? previous : next));
    heard.emplace_back(previous ? previous->version() : "", next->version());
  });
  REQUIRE(heard.size() == 1);
  CHECK(heard[0] == std::pair<std::string, std::string>{"", a->version()});

  CHECK(store.swap(b) == 2);
  CHECK(store.generation() == 2);
  const auto snapshot = store.current();
  CHECK(snapshot.rules == b);
  CHECK(snapshot.generation == 2);
  REQUIRE(heard.size() == 2);
  CHECK(heard[1] == std::pair<std::string, std::string>{a->version(), b->version()});

  store.remove_listener(id);
  CHECK(store.swap(a) == 3);
  CHECK(heard.size() == 2);
}

TEST_CASE("a replaced rule set is freed when its last holder lets go of it", "[rules][reload]") {
  RuleSetPtr a = load(kPackA, "a.yaml");
  const std::weak_ptr<const RuleSet> watch = a;
  RuleStore store(std::move(a));
  auto held = store.current();  // a worker still scoring with A
  store.swap(load(kPackB, "b.yaml"));
  CHECK_FALSE(watch.expired());
  held = store.current();  // the worker moves on to B between two items
  CHECK(watch.expired());
}

TEST_CASE("score stage follows a swap in its rule-set gauges and starts new rules' match series at zero",
          "[rules][reload][stage]") {
  const RuleSetPtr a = load(kPackA, "a.yaml");
  const RuleSetPtr b = load(kPackB, "b.yaml");
  auto store = std::make_shared<RuleStore>(a);
  MemoryBus bus(16);
  vigia::MetricsRegistry registry;
  ScoreStage stage(store, bus, registry, {.workers = 1});

  std::string metrics = serialize_metrics(registry);
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_ruleset_info{version=\"" + a->version() + "\"} 1"));
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rule_matches_total{category="test",rule="rule-a",severity="low"} 0)"));
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_expressions 1"));

  store->swap(b);
  metrics = serialize_metrics(registry);
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_ruleset_info{version=\"" + b->version() + "\"} 1"));
  CHECK_THAT(metrics, !Catch::Contains("version=\"" + a->version() + "\""));  // one info series, the running one
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_enabled_rules 1"));
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_expressions 3"));
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rule_matches_total{category="test",rule="rule-b",severity="high"} 0)"));
  // A counter never disappears from a scrape: rule-a's series stays.
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rule_matches_total{category="test",rule="rule-a",severity="low"} 0)"));
}

TEST_CASE("under a steady stream and repeated reloads, every item is scored exactly once by exactly one whole set",
          "[rules][reload][stage]") {
  const RuleSetPtr a = load(kPackA, "a.yaml");
  const RuleSetPtr b = load(kPackB, "b.yaml");
  auto store = std::make_shared<RuleStore>(a);
  MemoryBus bus(64);
  auto hits = bus.subscribe(topics::kHits, "test");
  vigia::MetricsRegistry registry;
  ScoreStage stage(store, bus, registry, {.workers = 3});
  stage.start();

  // Collects hits while the stream runs (the hits queue is bounded: nobody reading it would stall
  // the workers) until the topic is closed and drained.
  std::map<std::string, std::vector<std::vector<std::string>>> by_item;  // id -> rules of each hit
  std::size_t undecodable = 0;
  std::thread collector([&] {
    while (!hits->finished()) {
      auto got = hits->poll(100ms);
      if (!got.ok() || !got->has_value()) continue;
      auto hit = decode_hit((**got).value);
      if (!hit.ok()) {
        ++undecodable;
      } else {
        std::vector<std::string> rules;
        for (const auto& m : hit->matches) rules.push_back(m.rule);
        by_item[hit->item.id].push_back(std::move(rules));
      }
      (void)hits->commit(**got);
    }
  });

  // The stream, with a reload every few items while the workers are busy scoring the ones
  // before: each swap lands at an arbitrary point of some worker's item.
  constexpr int kItems = 4000;
  std::size_t swaps = 0;
  for (int i = 0; i < kItems; ++i) {
    const Item it = item("item-" + std::to_string(i));
    REQUIRE(bus.publish(topics::kItems, it.id, encode_item(it)).ok());
    if (i % 7 == 0) {
      store->swap(swaps % 2 == 0 ? b : a);
      ++swaps;
    }
  }
  // Then, once everything before is scored, one item per set: the item after a swap is scored by
  // the new set.
  store->swap(a);
  REQUIRE(bus.wait_committed(topics::kItems, 60s));
  REQUIRE(bus.publish(topics::kItems, "tail-a", encode_item(item("tail-a"))).ok());
  REQUIRE(bus.wait_committed(topics::kItems, 60s));
  store->swap(b);
  REQUIRE(bus.publish(topics::kItems, "tail-b", encode_item(item("tail-b"))).ok());
  bus.close_topic(topics::kItems);
  stage.join();
  bus.close_topic(topics::kHits);
  collector.join();

  CHECK(swaps > 500);
  CHECK(undecodable == 0);
  CHECK(bus.pending(topics::kItems) == 0);
  REQUIRE(by_item.size() == kItems + 2);  // no item dropped
  std::size_t by_a = 0;
  std::size_t by_b = 0;
  std::size_t bad = 0;
  for (const auto& [id, hits_of_item] : by_item) {
    if (hits_of_item.size() != 1) {  // never scored twice
      ++bad;
      continue;
    }
    const auto& rules = hits_of_item.front();
    if (rules == std::vector<std::string>{"rule-a"}) {
      ++by_a;
    } else if (rules == std::vector<std::string>{"rule-b"}) {
      ++by_b;
    } else {
      ++bad;  // both or neither: a half-loaded set
    }
  }
  CHECK(bad == 0);
  CHECK(by_a + by_b == kItems + 2);
  CHECK(by_item["tail-a"] == std::vector<std::vector<std::string>>{{"rule-a"}});
  CHECK(by_item["tail-b"] == std::vector<std::vector<std::string>>{{"rule-b"}});

  const std::string metrics = serialize_metrics(registry);
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_items_scored_total " + std::to_string(kItems + 2)));
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_hits_sent_total " + std::to_string(kItems + 2)));
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rule_matches_total{category="test",rule="rule-a",severity="low"} )" +
                                      std::to_string(by_a)));
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rule_matches_total{category="test",rule="rule-b",severity="high"} )" +
                                      std::to_string(by_b)));
  CHECK_THAT(metrics, Catch::Contains("vigia_rules_ruleset_info{version=\"" + b->version() + "\"} 1"));
  CHECK_THAT(metrics, !Catch::Contains("version=\"" + a->version() + "\""));
}
