#include <catch2/catch.hpp>

#include "alerting_test_util.h"
#include "vigia/alerting/alert_stage.h"
#include "vigia/core/hash.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace vigia::alerting::test;

TEST_CASE("build_alerts makes one alert per matching rule carrying the item, snippets, entities and story",
          "[alerting][build_alerts]") {
  const Hit hit = sample_hit();
  const Timestamp now = at("2024-05-03T12:05:00Z");
  const auto alerts = build_alerts(hit, now);
  REQUIRE(alerts.size() == 2);

  const Alert& a = alerts[0];
  CHECK(a.rule == "cjng-activity");
  CHECK(a.title == "Actividad del Cártel Jalisco Nueva Generación");
  CHECK(a.category == "cartels");
  CHECK(a.severity == "high");
  CHECK(a.score == 8.5);
  CHECK(a.item.id == hit.item.id);
  CHECK(a.item.title == hit.item.title);
  CHECK(a.item.url == hit.item.url);
  CHECK(a.item.source == "El Universal");
  CHECK(a.item.published == hit.item.published);
  CHECK(a.item.fetched == hit.item.fetched);
  REQUIRE(a.snippets.size() == 2);
  CHECK(a.snippets[0].snippet == "Detienen a presuntos integrantes del [[CJNG]] en Salamanca");
  CHECK(a.snippets[0].field == "title");
  CHECK(a.entities == hit.entities);
  CHECK(a.story.id == hit.item.id);
  CHECK(a.story.sources == std::vector<std::string>{"El Universal"});
  CHECK(a.first_seen == now);
  CHECK(a.last_seen == now);

  const Alert& b = alerts[1];
  CHECK(b.rule == "huachicol");
  CHECK(b.severity == "low");
  REQUIRE(b.snippets.size() == 1);
  CHECK(b.snippets[0].field == "summary");
}

TEST_CASE("alert ids are a stable hash of rule and item, whatever the time of building", "[alerting][build_alerts]") {
  const Hit hit = sample_hit("item-a");
  const auto first = build_alerts(hit, at("2024-05-03T12:05:00Z"));
  const auto again = build_alerts(hit, at("2024-06-01T00:00:00Z"));
  REQUIRE(first.size() == 2);
  CHECK(first[0].id == stable_id("cjng-activity\nitem-a"));
  CHECK(first[0].id.size() == 32);
  CHECK(again[0].id == first[0].id);  // a redelivered hit gives the same idempotency key
  CHECK(first[1].id != first[0].id);  // another rule, another alert
  CHECK(build_alerts(sample_hit("item-b"), at("2024-05-03T12:05:00Z"))[0].id != first[0].id);
}

TEST_CASE("a hit without matches builds no alerts", "[alerting][build_alerts]") {
  Hit hit = sample_hit();
  hit.matches.clear();
  CHECK(build_alerts(hit, at("2024-05-03T12:05:00Z")).empty());
}
