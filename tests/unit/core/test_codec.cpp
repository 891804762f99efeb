#include <catch2/catch.hpp>

#include "vigia/core/codec.h"

using namespace vigia;

TEST_CASE("an item survives encode and decode unchanged", "[core][codec]") {
  Item item;
  item.id = "abc";
  item.source = "milenio";
  item.connector = "http";
  item.url = "https://example.mx/nota";
  item.title = "Venden \"vacunas\" falsas en Jalisco";
  item.summary = "Resumen";
  item.content = "Texto\ncon líneas";
  item.lang = "es";
  item.published = parse_rfc3339("2021-05-03T12:00:00Z");
  item.fetched = parse_rfc3339("2021-05-03T12:05:00.123Z");
  item.published_is_fetch_time = true;
  item.authors = {"Redacción"};
  item.tags = {"seguridad", "salud"};
  auto back = decode_item(encode_item(item));
  REQUIRE(back.ok());
  CHECK(back->id == item.id);
  CHECK(back->title == item.title);
  CHECK(back->content == item.content);
  CHECK(back->published == item.published);
  CHECK(back->fetched == item.fetched);
  CHECK(back->published_is_fetch_time);
  CHECK(back->authors == item.authors);
  CHECK(back->tags == item.tags);
}

TEST_CASE("item decoding needs only a title and ignores unknown fields", "[core][codec]") {
  auto item = decode_item(R"({"title":"Solo título","extra":{"nested":[1,2]},"published":"not a date"})");
  REQUIRE(item.ok());
  CHECK(item->title == "Solo título");
  CHECK(item->id.empty());
  CHECK_FALSE(item->published);
}

TEST_CASE("item decoding names what is wrong with a broken record", "[core][codec]") {
  auto syntax = decode_item(R"({"title": )");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().reason == "json");

  auto not_object = decode_item(R"(["title"])");
  REQUIRE_FALSE(not_object.ok());
  CHECK(not_object.error().reason == "schema");

  auto wrong_type = decode_item(R"({"title": 42})");
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.error().reason == "schema");
  CHECK_THAT(wrong_type.error().message, Catch::Contains("item.title"));

  auto future = decode_item(R"({"v": 99, "title": "x"})");
  REQUIRE_FALSE(future.ok());
  CHECK(future.error().reason == "version");
}

TEST_CASE("a hit survives encode and decode with matches, terms and entities", "[core][codec]") {
  Hit hit;
  hit.item.id = "i1";
  hit.item.title = "CJNG reparte despensas";
  Match m;
  m.rule = "cartel-aid-boxes";
  m.title = "Cartel-branded aid";
  m.category = "aid_box_branding";
  m.severity = "high";
  m.score = 5.5;
  m.terms.push_back(Term{"aid", "title", 13, 22, "CJNG reparte [[despensas]]"});
  m.breakdown = {{"aid", 4}, {"cartel", 1.5}};
  hit.matches.push_back(m);
  hit.entities["cartels"] = {"CJNG"};
  auto back = decode_hit(encode_hit(hit));
  REQUIRE(back.ok());
  CHECK(back->item.title == hit.item.title);
  REQUIRE(back->matches.size() == 1);
  CHECK(back->matches[0].rule == "cartel-aid-boxes");
  CHECK(back->matches[0].score == Approx(5.5));
  REQUIRE(back->matches[0].terms.size() == 1);
  CHECK(back->matches[0].terms[0].start == 13);
  CHECK(back->matches[0].terms[0].end == 22);
  REQUIRE(back->matches[0].breakdown.size() == 2);
  CHECK(back->matches[0].breakdown[0].first == "aid");
  CHECK(back->matches[0].breakdown[1].second == Approx(1.5));
  CHECK(back->entities.at("cartels") == std::vector<std::string>{"CJNG"});
}

TEST_CASE("an alert encodes every field of the Alert contract", "[core][codec]") {
  Alert a;
  a.id = "al1";
  a.rule = "r";
  a.title = "Rule title";
  a.severity = "high";
  a.score = 6;
  a.category = "fake_vaccine_site";
  a.item = {"i1", "Nota", "https://x.mx/n", "milenio", parse_rfc3339("2021-05-03T12:00:00Z"), std::nullopt};
  a.story = {"s1", {"milenio"}};
  a.first_seen = *parse_rfc3339("2021-05-03T12:01:00Z");
  a.last_seen = a.first_seen;
  const std::string json = encode_alert(a);
  CHECK_THAT(json, Catch::Contains(R"("id":"al1")"));
  CHECK_THAT(json, Catch::Contains(R"("category":"fake_vaccine_site")"));
  CHECK_THAT(json, Catch::Contains(R"("item":{"id":"i1","title":"Nota","url":"https://x.mx/n","source":"milenio","published":"2021-05-03T12:00:00Z"})"));
  CHECK_THAT(json, Catch::Contains(R"("story":{"id":"s1","source_count":1,"sources":["milenio"]})"));
  CHECK_THAT(json, Catch::Contains(R"("first_seen":"2021-05-03T12:01:00Z")"));
}

TEST_CASE("an alert decodes back to what was encoded, and a broken one says where", "[core][codec]") {
  Alert a;
  a.id = "al1";
  a.rule = "cartel-aid-boxes";
  a.title = "Despensas con marca de cártel";
  a.severity = "high";
  a.score = 7.5;
  a.category = "aid_box_branding";
  a.sequence = 3;
  a.tags = {"covid", "propaganda"};
  a.item = {"i1", "Reparten despensas del CJNG", "https://x.mx/n", "Milenio", parse_rfc3339("2021-05-03T12:00:00Z"),
            parse_rfc3339("2021-05-03T12:00:30Z")};
  a.snippets = {{"aid", "title", 9, 19, "Reparten [[despensas]] del CJNG"}};
  a.entities = {{"cartels", {"CJNG"}}, {"places", {"Jalisco", "Tecalitlán"}}};
  a.story = {"s1", {"Milenio", "Proceso", "El Universal"}};
  a.first_seen = *parse_rfc3339("2021-05-03T12:01:00Z");
  a.last_seen = *parse_rfc3339("2021-05-03T14:01:00Z");
  const std::string json = encode_alert(a);
  auto back = decode_alert(json);
  REQUIRE(back.ok());
  CHECK(encode_alert(*back) == json);
  CHECK(back->sequence == 3);
  CHECK(back->story.sources.size() == 3);

  CHECK(decode_alert("{").error().reason == "json");
  CHECK(decode_alert(R"({"rule":"r"})").error().message == "alert.id is missing");
  CHECK(decode_alert(R"({"id":"x","snippets":[1]})").error().message == "alert.snippets[] must be objects");
}
