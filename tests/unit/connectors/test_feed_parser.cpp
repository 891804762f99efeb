#include <catch2/catch.hpp>

#include <chrono>

#include "sample_feeds.h"
#include "support/test_paths.h"
#include "vigia/connectors/feed_parser.h"
#include "vigia/connectors/url.h"
#include "vigia/core/hash.h"

using namespace vigia;
using namespace vigia::connectors;
using namespace std::chrono_literals;

namespace {

const Timestamp kFetched = *parse_rfc3339("2024-05-20T00:00:00Z");

FeedContext context(std::string base_url = {}) {
  FeedContext c;
  c.source = "prueba";
  c.connector = "http";
  c.base_url = std::move(base_url);
  c.fetched = kFetched;
  return c;
}

ParsedFeed parse_ok(const std::string& doc, const FeedContext& ctx = context()) {
  auto r = parse_feed(doc, ctx);
  if (!r.ok()) FAIL("parse failed: " << r.error().reason << ": " << r.error().message);
  return std::move(r).value();
}

std::string rss_with_item(const std::string& item_xml, const std::string& prolog = R"(<?xml version="1.0"?>)") {
  return prolog + "<rss version=\"2.0\"><channel><title>T</title><link>https://t.example/</link>" + item_xml +
         "</channel></rss>";
}

}  // namespace

TEST_CASE("RSS 2.0 items become plain-text Items with links, dates, authors and tags", "[connectors][rss]") {
  const auto feed = parse_ok(test::feeds::kRssSpanish, context("https://noticias.example.mx/rss/portada.xml"));
  CHECK(feed.format == FeedFormat::kRss);
  CHECK(feed.title == "Noticias de Prueba");
  CHECK(feed.lang == "es-MX");
  CHECK(feed.well_formed);
  REQUIRE(feed.items.size() == 3);

  const Item& a = feed.items[0];
  CHECK(a.title == "Detienen a 3 presuntos integrantes de célula delictiva en Culiacán");
  CHECK(a.url == "https://noticias.example.mx/seguridad/2024/05/detienen-celula.html?utm_source=rss&id=7");
  CHECK(a.summary == "La Fiscalía informó el martes que los detenidos portaban armas.\nSegundo párrafo & más.");
  CHECK(a.content == "Operativo\nElementos de la Guardia Nacional y la Sedena participaron.");
  REQUIRE(a.published);
  CHECK(format_rfc3339(*a.published) == "2024-05-14T14:30:00Z");  // CDT is UTC-5
  CHECK_FALSE(a.published_is_fetch_time);
  CHECK(a.fetched == kFetched);
  CHECK(a.authors == std::vector<std::string>{"Redacción"});
  CHECK(a.tags == std::vector<std::string>{"Seguridad", "Sinaloa"});
  CHECK(a.lang == "es-MX");
  CHECK(a.source == "prueba");
  CHECK(a.connector == "http");
  CHECK(a.id == stable_id("prueba\nnota-1001"));  // its opaque GUID, scoped to the feed
}

TEST_CASE("an RSS item without a date is stamped with the fetch time and says so", "[connectors][rss]") {
  const auto feed = parse_ok(test::feeds::kRssSpanish);
  const Item& b = feed.items[1];
  CHECK(b.title == "Hallan narcolaboratorio en la sierra");
  REQUIRE(b.published);
  CHECK(*b.published == kFetched);
  CHECK(b.published_is_fetch_time);
  CHECK(b.authors == std::vector<std::string>{"Ana Pérez"});
}

TEST_CASE("FeedBurner's original link wins over its redirector", "[connectors][rss]") {
  const auto feed = parse_ok(test::feeds::kRssSpanish);
  CHECK(feed.items[2].url == "https://noticias.example.mx/estados/bloqueos-jalisco");
  CHECK(feed.items[2].id == stable_id("https://noticias.example.mx/estados/bloqueos-jalisco"));
}

TEST_CASE("relative RSS links resolve against the channel link when the document URL is unknown", "[connectors][rss]") {
  const auto feed = parse_ok(test::feeds::kRssSpanish, context());
  CHECK(feed.items[0].url == "https://noticias.example.mx/seguridad/2024/05/detienen-celula.html?utm_source=rss&id=7");
}

TEST_CASE("a permalink guid stands in for a missing link, a non-permalink guid only feeds the id", "[connectors][rss]") {
  const auto feed = parse_ok(rss_with_item(
      "<item><title>Uno</title><guid>https://t.example/uno</guid></item>"
      "<item><title>Dos</title><guid isPermaLink=\"false\">https://t.example/dos</guid></item>"
      "<item><title>Tres</title><description>sin guid</description></item>"));
  REQUIRE(feed.items.size() == 3);
  CHECK(feed.items[0].url == "https://t.example/uno");
  CHECK(feed.items[1].url.empty());
  CHECK(feed.items[1].id == stable_id("https://t.example/dos"));  // a URL-shaped GUID is canonicalised
  CHECK(feed.items[2].id == stable_id("prueba\nTres\nsin guid"));
}

TEST_CASE("links that are not http(s) are dropped rather than sent to an analyst", "[connectors][rss]") {
  const auto feed = parse_ok(rss_with_item("<item><title>X</title><link>javascript:alert(1)</link></item>"));
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].url.empty());
}

TEST_CASE("entries with no title, link or text are skipped and counted", "[connectors][rss]") {
  const auto feed = parse_ok(rss_with_item("<item><guid>x</guid></item><item><title>Ok</title></item>"));
  CHECK(feed.items.size() == 1);
  CHECK(feed.skipped == 1);
}

TEST_CASE("an ISO-8859-1 declared feed decodes to UTF-8", "[connectors][rss][encoding]") {
  const std::string doc = rss_with_item("<item><title>Polic\xED" "a de Michoac\xE1n detiene a ni\xF1o</title></item>",
                                        R"(<?xml version="1.0" encoding="ISO-8859-1"?>)");
  const auto feed = parse_ok(doc);
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Policía de Michoacán detiene a niño");
  CHECK(feed.well_formed);
}

TEST_CASE("a Windows-1252 declared feed decodes curly quotes and the euro sign", "[connectors][rss][encoding]") {
  const std::string doc = rss_with_item("<item><title>\x93Operativo\x94 cuesta 5\x80 millones</title></item>",
                                        R"(<?xml version="1.0" encoding="windows-1252"?>)");
  const auto feed = parse_ok(doc);
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "“Operativo” cuesta 5€ millones");
}

TEST_CASE("Latin-1 bytes without an encoding declaration are read as Windows-1252", "[connectors][rss][encoding]") {
  const std::string doc = "<rss><channel><item><title>Extorsi\xF3n en Guerrero</title></item></channel></rss>";
  const auto feed = parse_ok(doc);
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Extorsión en Guerrero");
  CHECK_FALSE(feed.well_formed);
  CHECK_THAT(feed.problem, Catch::Contains("not valid UTF-8"));
}

TEST_CASE("the charset hint applies to undeclared non-UTF-8 documents", "[connectors][rss][encoding]") {
  auto ctx = context();
  ctx.charset_hint = "ISO-8859-15";
  const std::string doc = "<rss><channel><item><title>Precio: 5\xA4</title></item></channel></rss>";
  const auto feed = parse_ok(doc, ctx);
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Precio: 5€");  // 0xA4 is the euro sign in Latin-9, '¤' in Latin-1
}

TEST_CASE("HTML entities used without a DTD are decoded instead of dropped", "[connectors][rss][entities]") {
  const auto feed = parse_ok(rss_with_item("<item><title>Ataque&nbsp;en Zacatecas &ndash; &eacute;xodo</title></item>"));
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Ataque en Zacatecas – éxodo");
  CHECK_FALSE(feed.well_formed);
  CHECK_THAT(feed.problem, Catch::Contains("&nbsp;"));
}

TEST_CASE("numeric character references and predefined entities decode", "[connectors][rss][entities]") {
  const auto feed = parse_ok(rss_with_item("<item><title>Ni&#241;os &amp; j&#xF3;venes &lt;3</title></item>"));
  CHECK(feed.items.at(0).title == "Niños & jóvenes <3");
}

TEST_CASE("external entities are never loaded", "[connectors][rss][security]") {
  test::TempDir dir;
  test::write_file(dir / "secret.txt", "TOP-SECRET-CONTENT");
  const std::string doc = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file://" + (dir / "secret.txt").string() +
                          "\">]><rss><channel><item><title>a&xxe;b</title><description>&xxe;</description></item></channel></rss>";
  auto r = parse_feed(doc, context());
  REQUIRE(r.ok());
  REQUIRE(r->items.size() == 1);
  CHECK(r->items[0].title == "ab");
  CHECK(r->items[0].summary.find("TOP-SECRET") == std::string::npos);
}

TEST_CASE("nested entity expansion (billion laughs) stays small", "[connectors][rss][security]") {
  std::string dtd = "<!ENTITY lol \"lol\">";
  for (int i = 1; i <= 9; ++i) {
    std::string refs;
    for (int k = 0; k < 10; ++k) refs += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    dtd += "<!ENTITY lol" + std::to_string(i) + " \"" + refs + "\">";
  }
  const std::string doc = "<?xml version=\"1.0\"?><!DOCTYPE rss [" + dtd +
                          "]><rss><channel><item><title>Risa &lol; &lol9;</title></item></channel></rss>";
  const auto start = std::chrono::steady_clock::now();
  auto r = parse_feed(doc, context());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  if (r.ok() && !r->items.empty()) {
    CHECK(r->items[0].title.size() < 100);
    CHECK(r->items[0].title.starts_with("Risa lol"));
  }
}

TEST_CASE("Atom entries map text constructs, links, dates, authors and language", "[connectors][atom]") {
  const auto feed = parse_ok(test::feeds::kAtomEnglish);
  CHECK(feed.format == FeedFormat::kAtom);
  CHECK(feed.title == "Example Wire: Mexico");
  CHECK(feed.link == "https://wire.example.com/mexico/");
  CHECK(feed.lang == "en-US");
  REQUIRE(feed.items.size() == 2);

  const Item& a = feed.items[0];
  CHECK(a.title == "Cartel violence & displacement in Michoacán");
  CHECK(a.url == "https://wire.example.com/mexico/stories/michoacan-displacement");  // via xml:base
  CHECK(a.summary == "Families fled three villages.");
  CHECK(a.content == "First paragraph.\nSecond bold paragraph.");
  REQUIRE(a.published);
  CHECK(format_rfc3339(*a.published) == "2024-05-16T14:15:00Z");  // published wins over updated
  CHECK(a.authors == std::vector<std::string>{"Wire Desk"});      // inherited from the feed
  CHECK(a.tags == std::vector<std::string>{"security", "michoacan"});
  CHECK(a.lang == "en-US");

  const Item& b = feed.items[1];
  CHECK(b.url == "https://wire.example.com/es/reporte");
  CHECK(b.summary == "Plain text summary with a < sign and R&D.");
  REQUIRE(b.published);
  CHECK(format_rfc3339(*b.published) == "2024-05-16T11:00:00Z");  // updated, for want of published
  CHECK(b.authors == std::vector<std::string>{"María López"});
  CHECK(b.lang == "es");
}

TEST_CASE("Atom links resolve against the document URL when there is no xml:base", "[connectors][atom]") {
  const std::string doc = R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
    <entry><title>t</title><link href="../notas/1"/><id>tag:x,2024:1</id></entry></feed>)";
  const auto feed = parse_ok(doc, context("https://diario.example.mx/feeds/atom.xml"));
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].url == "https://diario.example.mx/notas/1");
}

TEST_CASE("RSS 1.0 (RDF) items beside the channel are read with Dublin Core fields", "[connectors][rdf]") {
  const auto feed = parse_ok(test::feeds::kRdf);
  CHECK(feed.format == FeedFormat::kRdf);
  CHECK(feed.title == "RDF Example");
  REQUIRE(feed.items.size() == 2);
  CHECK(feed.items[0].title == "Enfrentamiento en Tamaulipas");
  CHECK(feed.items[0].url == "https://rdf.example.org/nota/1");
  REQUIRE(feed.items[0].published);
  CHECK(format_rfc3339(*feed.items[0].published) == "2024-05-10T19:00:00Z");
  CHECK(feed.items[0].authors == std::vector<std::string>{"Corresponsal"});
  CHECK(feed.items[0].tags == std::vector<std::string>{"Tamaulipas"});
  CHECK(feed.items[0].lang == "es");
  CHECK(feed.items[1].published_is_fetch_time);
}

TEST_CASE("an RSS 0.91 feed parses like RSS 2.0", "[connectors][rss]") {
  const auto feed = parse_ok(R"(<rss version="0.91"><channel><title>Old</title><language>en</language>
      <item><title>Legacy item</title><link>https://old.example/1</link><description>Text</description></item>
      </channel></rss>)");
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Legacy item");
  CHECK(feed.items[0].lang == "en");
}

TEST_CASE("an HTML page is not a feed, and the error says what it found", "[connectors][errors]") {
  auto r = parse_feed("<!DOCTYPE html><html><head><title>Login</title></head><body>hi</body></html>", context());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "parse");
  CHECK_THAT(r.error().message, Catch::Contains("not a feed") && Catch::Contains("<html>"));
}

TEST_CASE("JSON that is not a JSON Feed and empty bodies are not feeds", "[connectors][errors]") {
  auto json = parse_feed(R"({"items": []})", context());
  REQUIRE_FALSE(json.ok());
  CHECK(json.error().reason == "parse");
  CHECK_THAT(json.error().message, Catch::StartsWith("not a JSON Feed"));
  auto empty = parse_feed("  \n ", context());
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message == "empty document");
}

TEST_CASE("an expected format refuses the others", "[connectors][errors]") {
  auto ctx = context();
  ctx.expect = FeedFormat::kAtom;
  auto r = parse_feed(test::feeds::kRssSpanish, ctx);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("expected atom") && Catch::Contains("<rss>"));
}

TEST_CASE("broken XML is recovered: items before and after a bad character survive", "[connectors][rss][recover]") {
  const std::string doc = rss_with_item("<item><title>Antes</title><description>mal \x07 car\xC3\xA1" "cter</description></item>"
                                        "<item><title>Despu\xC3\xA9s</title></item>");
  const auto feed = parse_ok(doc);
  CHECK_FALSE(feed.well_formed);
  REQUIRE(feed.items.size() >= 1);
  CHECK(feed.items[0].title == "Antes");
}

TEST_CASE("leading blanks before the XML declaration are tolerated", "[connectors][rss]") {
  const auto feed = parse_ok("\n\n   " + rss_with_item("<item><title>Ok</title></item>"));
  CHECK(feed.items.size() == 1);
}

TEST_CASE("a bare ampersand in a link or headline is kept as text", "[connectors][rss][recover]") {
  const auto feed = parse_ok(rss_with_item(
      "<item><title>Smith & Wesson, armas &amp; m&aacute;s</title>"
      "<link>https://t.example/nota?id=1&seccion=2&amp;p=3</link><description><![CDATA[a && b]]></description></item>"));
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Smith & Wesson, armas & más");
  CHECK(feed.items[0].url == "https://t.example/nota?id=1&seccion=2&p=3");
  CHECK(feed.items[0].summary == "a && b");  // CDATA is left alone
  CHECK_FALSE(feed.well_formed);
}

TEST_CASE("elements with a customary but undeclared prefix are read as meant", "[connectors][rss]") {
  const auto feed = parse_ok(R"(<rss version="2.0"><channel><title>x</title>
    <atom:link rel="alternate" href="https://t.example/"/>
    <item><title>t</title><content:encoded>&lt;p&gt;Cuerpo&lt;/p&gt;</content:encoded><dc:creator>Ana</dc:creator></item>
    </channel></rss>)");
  CHECK(feed.link == "https://t.example/");
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].content == "Cuerpo");
  CHECK(feed.items[0].authors == std::vector<std::string>{"Ana"});
  CHECK_FALSE(feed.well_formed);  // the namespace error is still reported
}

TEST_CASE("RSS items fall back to Dublin Core and borrowed Atom elements", "[connectors][rss]") {
  const auto feed = parse_ok(R"(<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:dcterms="http://purl.org/dc/terms/" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
      <dc:title>Canal DC</dc:title>
      <item><dc:title>Titular DC</dc:title><dc:description>Resumen DC</dc:description>
        <dcterms:issued>2024-05-16T08:15:00Z</dcterms:issued>
        <atom:author><atom:name>Luis</atom:name></atom:author>
        <atom:content type="html">&lt;p&gt;Cuerpo&lt;/p&gt;</atom:content></item>
      <item><title>Dos</title><body xmlns="http://www.w3.org/1999/xhtml"><p>XHTML</p></body>
        <author>Marta Ruiz &lt;marta@example.mx&gt;</author></item>
      </channel></rss>)");
  CHECK(feed.title == "Canal DC");
  REQUIRE(feed.items.size() == 2);
  CHECK(feed.items[0].title == "Titular DC");
  CHECK(feed.items[0].summary == "Resumen DC");
  CHECK(feed.items[0].content == "Cuerpo");
  CHECK(feed.items[0].authors == std::vector<std::string>{"Luis"});
  REQUIRE(feed.items[0].published);
  CHECK(format_rfc3339(*feed.items[0].published) == "2024-05-16T08:15:00Z");
  CHECK(feed.items[1].content == "XHTML");
  CHECK(feed.items[1].authors == std::vector<std::string>{"Marta Ruiz"});
}

TEST_CASE("RSS author fields give the name in every common layout", "[connectors][rss]") {
  const auto feed = parse_ok(rss_with_item(
      "<item><title>a</title><author>Ana P\xC3\xA9rez (ana@e.mx)</author></item>"
      "<item><title>b</title><author>ana@e.mx (Ana P\xC3\xA9rez)</author></item>"
      "<item><title>c</title><author>ana@e.mx</author></item>"));
  REQUIRE(feed.items.size() == 3);
  CHECK(feed.items[0].authors == std::vector<std::string>{"Ana Pérez"});
  CHECK(feed.items[1].authors == std::vector<std::string>{"Ana Pérez"});
  CHECK(feed.items[2].authors == std::vector<std::string>{"ana@e.mx"});
}

TEST_CASE("ISO-8859-1 declarations are read as Windows-1252, as browsers do", "[connectors][rss][encoding]") {
  const auto feed = parse_ok(rss_with_item("<item><title>\x93" "Cartel\x94 \x96 Guerrero</title></item>",
                                           R"(<?xml version="1.0" encoding="ISO-8859-1"?>)"));
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "“Cartel” – Guerrero");
  CHECK(feed.encoding == "windows-1252");
  CHECK(feed.well_formed);
}

TEST_CASE("a byte Windows-1252 leaves undefined does not end the parse", "[connectors][rss][encoding]") {
  const auto feed = parse_ok(rss_with_item("<item><title>uno\x81 dos</title></item><item><title>tres</title></item>",
                                           R"(<?xml version="1.0" encoding="windows-1252"?>)"));
  REQUIRE(feed.items.size() == 2);
  CHECK(feed.items[0].title == "uno dos");
  CHECK(feed.items[1].title == "tres");
}

TEST_CASE("a UTF-8 charset hint wins over a single-byte declaration the bytes contradict", "[connectors][rss][encoding]") {
  auto ctx = context();
  ctx.charset_hint = "\"UTF-8\"";
  const auto feed = parse_ok(rss_with_item("<item><title>Michoac\xC3\xA1n</title></item>",
                                           R"(<?xml version="1.0" encoding="iso-8859-1"?>)"),
                             ctx);
  CHECK(feed.items.at(0).title == "Michoacán");
  CHECK(feed.encoding == "utf-8");
}

TEST_CASE("an unknown declared encoding is read as UTF-8 and reported", "[connectors][rss][encoding]") {
  const auto feed = parse_ok(rss_with_item("<item><title>Le\xC3\xB3n</title></item>",
                                           R"(<?xml version="1.0" encoding="bogus-8"?>)"));
  CHECK(feed.items.at(0).title == "León");
  CHECK_FALSE(feed.well_formed);
  CHECK_THAT(feed.problem, Catch::Contains("bogus-8"));
}

namespace {
std::string utf16(const std::string& ascii, bool big_endian, bool bom) {
  std::string out = bom ? (big_endian ? std::string("\xFE\xFF") : std::string("\xFF\xFE")) : std::string();
  for (char c : ascii) {
    if (big_endian) out.push_back('\0');
    out.push_back(c);
    if (!big_endian) out.push_back('\0');
  }
  return out;
}
}  // namespace

TEST_CASE("UTF-16 documents decode with or without a byte-order mark", "[connectors][rss][encoding]") {
  const std::string doc =
      R"(<?xml version="1.0" encoding="utf-16"?><rss><channel><item><title>Hola</title></item></channel></rss>)";
  for (const bool be : {true, false}) {
    for (const bool bom : {true, false}) {
      const auto feed = parse_ok(utf16(doc, be, bom));
      REQUIRE(feed.items.size() == 1);
      CHECK(feed.items[0].title == "Hola");
      CHECK(feed.encoding == (be ? "utf-16be" : "utf-16le"));
    }
  }
}

TEST_CASE("numeric references to C1 code points decode as Windows-1252", "[connectors][rss][entities]") {
  const auto feed = parse_ok(rss_with_item("<item><title>don&#146;t</title><description>don&amp;#146;t</description></item>"));
  CHECK(feed.items.at(0).title == "don’t");
  CHECK(feed.items.at(0).summary == "don’t");
}

TEST_CASE("Atom base64 content, text links and draft namespaces are read", "[connectors][atom]") {
  const auto feed = parse_ok(R"(<feed xmlns="http://purl.org/echo/"><title>Eco</title>
    <entry><title mode="base64">SG9sYQ==</title><link>https://t.example/eco</link>
      <content type="application/octet-stream">QWRpw7Nz</content></entry></feed>)");
  CHECK(feed.format == FeedFormat::kAtom);
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Hola");
  CHECK(feed.items[0].content == "Adiós");
  CHECK(feed.items[0].url == "https://t.example/eco");
}

TEST_CASE("raw GUIDs are reported beside the items, and empty entries kept on request", "[connectors][rss]") {
  const std::string doc = rss_with_item(
      "<item><guid> g-1 </guid><pubDate>Thu, 01 Jan 2004 19:48:21 GMT</pubDate></item>"
      "<item><title>t</title></item>");
  const auto skipped = parse_ok(doc);
  CHECK(skipped.items.size() == 1);
  CHECK(skipped.guids == std::vector<std::string>{""});
  auto ctx = context();
  ctx.keep_empty_entries = true;
  const auto kept = parse_ok(doc, ctx);
  REQUIRE(kept.items.size() == 2);
  CHECK(kept.guids == std::vector<std::string>{"g-1", ""});
  REQUIRE(kept.items[0].published);
  CHECK(format_rfc3339(*kept.items[0].published) == "2004-01-01T19:48:21Z");
}

TEST_CASE("an Atom Entry Document is a feed of one item", "[connectors][atom]") {
  const auto feed = parse_ok(R"(<entry xmlns="http://www.w3.org/2005/Atom"><title>Sola</title>
    <link href="https://t.example/sola"/><id>urn:x:1</id><updated>2024-05-16T08:15:00Z</updated></entry>)");
  CHECK(feed.format == FeedFormat::kAtom);
  REQUIRE(feed.items.size() == 1);
  CHECK(feed.items[0].title == "Sola");
  CHECK(feed.items[0].url == "https://t.example/sola");
  CHECK(feed.guids == std::vector<std::string>{"urn:x:1"});
}
