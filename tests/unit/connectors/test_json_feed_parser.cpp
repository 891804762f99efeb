#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "connector_test_util.h"
#include "support/test_paths.h"
#include "vigia/connectors/feed_parser.h"
#include "vigia/connectors/item_id.h"
#include "vigia/core/hash.h"

using namespace vigia;
using namespace vigia::connectors;
using vigia::test::kNow;

namespace {

// Written for these tests: JSON Feed 1.1 in Spanish, with the mapping's edge cases.
const std::string kJsonFeed11Spanish = R"({
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Noticias de Prueba",
  "home_page_url": "https://noticias.example.mx/",
  "feed_url": "https://noticias.example.mx/feed.json",
  "language": "es-mx",
  "authors": [{"name": "Redacción"}],
  "items": [
    {
      "id": "nota-2001",
      "url": "/seguridad/2024/05/aseguran-laboratorio.html?utm_source=json",
      "title": "Aseguran narcolaboratorio en Culiacán &#8211; Sinaloa",
      "summary": "La Fiscalía informó del aseguramiento.",
      "content_html": "<p>Elementos de la <b>Guardia Nacional</b>&nbsp;participaron.</p><script>rastreo()</script><p>Segundo párrafo.</p>",
      "content_text": "no se usa cuando hay content_html",
      "date_published": "2024-05-14T09:30:00-06:00",
      "date_modified": "2024-05-15T00:00:00Z",
      "tags": ["Seguridad", "Sinaloa", "Seguridad"],
      "authors": [{"name": "Ana Pérez"}, {"name": "Luis Gómez"}]
    },
    {
      "id": "https://noticias.example.mx/nota/2002",
      "external_url": "https://otro.example.com/nota-original",
      "title": "Vacunas falsas en Tijuana",
      "content_text": "Primer párrafo.\nSegundo párrafo.",
      "date_modified": "Tue, 14 May 2024 10:00:00 CDT",
      "language": "es"
    },
    {"id": 2003, "content_text": "Sin título ni enlace, pero con texto."},
    {"id": "vacía"},
    "no es un objeto"
  ]
})";

// Written for these tests: JSON Feed 1.0 in English (author object, no language).
const std::string kJsonFeed10English =
    "\xEF\xBB\xBF  \n"
    R"json({
  "version": "https://jsonfeed.org/version/1",
  "title": "Border Desk",
  "home_page_url": "https://desk.example.com/border/",
  "author": {"name": "Border Desk Staff"},
  "items": [
    {
      "id": "1",
      "url": "reports/fentanyl-seizure",
      "title": "Record fentanyl seizure at Nogales crossing",
      "content_text": "Officers found the pills in a truck."
    },
    {
      "id": "2",
      "url": "javascript:alert(1)",
      "title": "A link that is not http",
      "author": {"name": "Night Editor"},
      "date_published": "not a date"
    }
  ]
})json";

FeedContext context() {
  FeedContext ctx;
  ctx.source = "prueba";
  ctx.connector = "http";
  ctx.base_url = "https://cdn.example.net/feeds/noticias.json";
  ctx.fetched = kNow;
  return ctx;
}

}  // namespace

TEST_CASE("a JSON Feed 1.1 in Spanish maps ids, links, text, dates, authors, tags and language",
          "[connectors][json_feed]") {
  auto r = parse_feed(kJsonFeed11Spanish, context());
  REQUIRE(r.ok());
  const ParsedFeed& feed = *r;
  CHECK(feed.format == FeedFormat::kJsonFeed);
  CHECK(feed_format_name(feed.format) == "json");
  CHECK(feed.title == "Noticias de Prueba");
  CHECK(feed.link == "https://noticias.example.mx/");
  CHECK(feed.lang == "es-MX");
  CHECK(feed.skipped == 2);  // the empty item and the string
  REQUIRE(feed.items.size() == 3);

  const Item& a = feed.items[0];
  CHECK(a.source == "prueba");
  CHECK(a.connector == "http");
  CHECK(a.fetched == kNow);
  // Relative to home_page_url, not to the CDN the document came from.
  CHECK(a.url == "https://noticias.example.mx/seguridad/2024/05/aseguran-laboratorio.html?utm_source=json");
  CHECK(a.title == "Aseguran narcolaboratorio en Culiacán – Sinaloa");
  CHECK(a.summary == "La Fiscalía informó del aseguramiento.");
  CHECK(a.content == "Elementos de la Guardia Nacional participaron.\nSegundo párrafo.");
  CHECK(a.published == parse_rfc3339("2024-05-14T15:30:00Z"));  // date_published wins over date_modified
  CHECK_FALSE(a.published_is_fetch_time);
  CHECK(a.authors == std::vector<std::string>{"Ana Pérez", "Luis Gómez"});
  CHECK(a.tags == std::vector<std::string>{"Seguridad", "Sinaloa"});
  CHECK(a.lang == "es-MX");                       // the feed's
  CHECK(a.id == stable_id("prueba\nnota-2001"));  // an opaque id, scoped to the feed

  const Item& b = feed.items[1];
  CHECK(b.url == "https://otro.example.com/nota-original");  // external_url without url
  CHECK(b.content == "Primer párrafo.\nSegundo párrafo.");
  CHECK(b.published == parse_rfc3339("2024-05-14T15:00:00Z"));  // date_modified, RFC 822 with a named zone
  CHECK(b.authors == std::vector<std::string>{"Redacción"});    // the feed's authors
  CHECK(b.lang == "es");
  CHECK(b.id == stable_id("https://noticias.example.mx/nota/2002"));  // a URL-shaped id is a URL

  const Item& c = feed.items[2];
  CHECK(c.title.empty());
  CHECK(c.url.empty());
  CHECK(c.content == "Sin título ni enlace, pero con texto.");
  CHECK(c.id == item_id("prueba", "", "2003", "", ""));  // a numeric id is its decimal text
  CHECK(c.published == kNow);
  CHECK(c.published_is_fetch_time);
}

TEST_CASE("a JSON Feed 1.0 in English after a BOM and blanks maps author objects and refuses non-http links",
          "[connectors][json_feed]") {
  auto r = parse_feed(kJsonFeed10English, context());
  REQUIRE(r.ok());
  CHECK(r->format == FeedFormat::kJsonFeed);
  CHECK(r->lang.empty());
  REQUIRE(r->items.size() == 2);
  const Item& a = r->items[0];
  CHECK(a.url == "https://desk.example.com/border/reports/fentanyl-seizure");
  CHECK(a.title == "Record fentanyl seizure at Nogales crossing");
  CHECK(a.content == "Officers found the pills in a truck.");
  CHECK(a.authors == std::vector<std::string>{"Border Desk Staff"});
  CHECK(a.lang.empty());
  const Item& b = r->items[1];
  CHECK(b.url.empty());  // javascript: is never a link
  CHECK(b.authors == std::vector<std::string>{"Night Editor"});
  CHECK(b.published_is_fetch_time);  // an unreadable date counts as none
}

TEST_CASE("JSON that is not a JSON Feed is a parse error saying what is missing", "[connectors][json_feed]") {
  struct Case {
    std::string doc;
    std::string says;
  };
  const std::vector<Case> cases = {
      {R"({"items": []})", "no \"version\""},
      {R"({"version": "2.0", "items": []})", "\"version\" is '2.0'"},
      {R"({"version": "https://jsonfeed.org/version/1.1", "title": "x"})", "no \"items\" array"},
      {R"({"version": "https://jsonfeed.org/version/1.1", "items": {}})", "no \"items\" array"},
      {R"({"version": "https://jsonfeed.org/version/1", "items": [)", "not JSON"},
      {"{\"articles\": [{\"title\": \"GDELT, not a feed\"}]}", "not a JSON Feed"},
  };
  for (const auto& c : cases) {
    INFO(c.doc);
    auto r = parse_feed(c.doc, context());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().reason == "parse");
    CHECK_THAT(r.error().message, Catch::Contains(c.says));
  }
}

TEST_CASE("a JSON Feed is refused when another format is expected, and accepted when JSON is",
          "[connectors][json_feed]") {
  FeedContext ctx = context();
  ctx.expect = FeedFormat::kRss;
  auto refused = parse_feed(kJsonFeed10English, ctx);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason == "parse");
  CHECK(refused.error().message == "expected rss, found a JSON document");
  ctx.expect = FeedFormat::kJsonFeed;
  CHECK(parse_feed(kJsonFeed10English, ctx).ok());
}

TEST_CASE("a JSON Feed gets the same ids as the same story in RSS", "[connectors][json_feed]") {
  const std::string rss = R"(<rss><channel><item><title>x</title><guid>nota-2001</guid>
    <link>https://noticias.example.mx/a</link></item></channel></rss>)";
  const std::string json = R"({"version": "1.1", "items": [{"id": "nota-2001", "title": "x",
    "url": "https://noticias.example.mx/a"}]})";
  auto a = parse_feed(rss, context());
  auto b = parse_feed(json, context());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->items.size() == 1);
  REQUIRE(b->items.size() == 1);
  CHECK(a->items[0].id == b->items[0].id);
}

TEST_CASE("the JSON Feed files of the third-party corpora parse", "[connectors][json_feed][corpus]") {
  const auto root = test::corpora_dir();
  if (!root) return;
  namespace fs = std::filesystem;
  const fs::path feeds = *root / "feeds";
  std::vector<fs::path> files;
  const fs::path single = feeds / "feedparser/tests/json/example.json";
  if (fs::exists(single)) files.push_back(single);
  for (const char* dir :
       {"gofeed/testdata/parser/json", "gofeed/testdata/translator/json", "feed-rs/feed-rs/fixture/jsonfeed"}) {
    if (!fs::is_directory(feeds / dir)) continue;
    for (const auto& e : fs::directory_iterator(feeds / dir)) {
      const std::string name = e.path().filename().string();
      // Expected-output files beside the inputs are not feeds.
      if (e.is_regular_file() && name.ends_with(".json") && !name.ends_with("_expected.json") &&
          !name.ends_with(".serde.json")) {
        files.push_back(e.path());
      }
    }
  }
  if (files.empty()) {
    std::cerr << "SKIP: no JSON Feed files under " << feeds.string() << "\n";
    return;
  }
  std::size_t items = 0;
  for (const auto& file : files) {
    INFO(file.string());
    FeedContext ctx = context();
    ctx.source = "corpus";
    auto r = parse_feed(test::read_file(file), ctx);
    REQUIRE(r.ok());
    CHECK(r->format == FeedFormat::kJsonFeed);
    CHECK_FALSE(r->items.empty());
    for (const auto& item : r->items) {
      CHECK(item.id.size() == 32);
      CHECK_FALSE((item.title.empty() && item.url.empty() && item.content.empty() && item.summary.empty()));
      if (!item.url.empty()) CHECK_THAT(item.url, Catch::StartsWith("http"));
    }
    items += r->items.size();
  }
  std::cerr << "corpus JSON Feed: " << files.size() << " files, " << items << " items\n";

  // Spot checks against what the corpus's own expectations say.
  const fs::path example = feeds / "feedparser/tests/json/example.json";
  if (fs::exists(example)) {
    auto r = parse_feed(test::read_file(example), context());
    REQUIRE(r.ok());
    CHECK(r->title == "My Example Feed");
    REQUIRE(r->items.size() == 2);
    CHECK(r->items[0].tags == std::vector<std::string>{"test", "JSON"});
    CHECK(r->items[1].content == "Hello, world!");  // the script is not text
    CHECK(r->items[1].authors == std::vector<std::string>{"you"});
  }
  const fs::path full = feeds / "gofeed/testdata/translator/json/json11_full.json";
  if (fs::exists(full)) {
    auto r = parse_feed(test::read_file(full), context());
    REQUIRE(r.ok());
    REQUIRE(r->items.size() == 1);
    CHECK(r->items[0].url == "https://sample-json-feed.com/id");
    CHECK(r->items[0].summary == "summary");
    CHECK(r->items[0].content == "content_html");
    CHECK(r->items[0].published == parse_rfc3339("2019-10-12T07:20:50.520Z"));
    CHECK(r->items[0].tags == std::vector<std::string>{"tag1", "tag2"});
    CHECK(r->items[0].lang == "en");
  }
  const fs::path invalid = feeds / "gofeed/testdata/parser/json/invalid/invalid.json";
  if (fs::exists(invalid)) {
    auto r = parse_feed(test::read_file(invalid), context());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().reason == "parse");
  }
}
