#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "connector_test_util.h"
#include "support/loopback_server.h"
#include "vigia/connectors/connector.h"
#include "vigia/connectors/item_id.h"

using namespace vigia;
using namespace vigia::connectors;
using namespace std::chrono_literals;
using vigia::test::CannedResponse;
using vigia::test::CollectingWriter;
using vigia::test::kNow;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {

// Written for these tests: a newsroom API that wraps its list and nests its fields.
const std::string kNested = R"({
  "status": "ok",
  "data": {
    "total": 4,
    "results": [
      {
        "headline": "Hallan fosa clandestina en Zacatecas",
        "dek": "<p>La Fiscalía estatal <b>confirmó</b> el hallazgo.</p>",
        "body": "Primer párrafo.\nSegundo párrafo.",
        "meta": {"id": 17, "published": 1716206400},
        "links": {"web": "/nacional/fosa-zacatecas?utm_medium=api"}
      },
      {
        "headline": "Bloqueos en Michoacán &amp; Jalisco",
        "meta": {"id": "a-18", "published": 1716210000123},
        "links": {"web": "https://otro.example.mx/bloqueos"}
      },
      {
        "dek": "Sin titular: se descarta",
        "meta": {"id": 19}
      },
      {
        "headline": "",
        "meta": {"id": 20}
      },
      {
        "headline": "Sin fecha ni enlace",
        "meta": {"published": "ayer"}
      }
    ]
  }
})";

struct Fixture {
  LoopbackServer server;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNow);

  FeedSpec spec(const std::string& path) {
    ConnectorRegistry registry;
    register_builtin_connectors(registry);
    const ConnectorKind* kind = registry.find("json_api");
    REQUIRE(kind != nullptr);
    FeedSpec s;
    s.name = "api";
    s.type = "json_api";
    s.settings = defaults_of(kind->schema);
    s.settings.set("url", server.url(path));
    s.settings.set("title", std::string("/headline"));
    s.settings.set("allow_private", true);
    s.settings.set("timeout", std::chrono::milliseconds(5000));
    return s;
  }

  ConnectorPtr connector(const FeedSpec& s, FeedStatePtr state = nullptr) {
    ConnectorRegistry registry;
    register_builtin_connectors(registry);
    return registry.find("json_api")->create(s, ConnectorServices{make_curl_http_client(), clock, std::move(state)});
  }
};

Result<PollReport> poll(Connector& c, CollectingWriter& out) { return c.poll(out, std::stop_source().get_token()); }

}  // namespace

TEST_CASE("the json_api connector maps nested pointers, epoch dates and relative links, skipping untitled items",
          "[connectors][json_api]") {
  Fixture f;
  f.server.serve("/v2/news", kNested, "application/json");
  FeedSpec s = f.spec("/v2/news");
  s.settings.set("items", std::string("/data/results"));
  s.settings.set("id", std::string("/meta/id"));
  s.settings.set("link", std::string("/links/web"));
  s.settings.set("date", std::string("/meta/published"));
  s.settings.set("summary", std::string("/dek"));
  s.settings.set("content", std::string("/body"));
  auto c = f.connector(s);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->items == 3);
  CHECK(r->skipped == 2);  // no headline, and an empty one
  CHECK(r->bytes == kNested.size());
  REQUIRE(out.items.size() == 3);

  const Item& a = out.items[0];
  CHECK(a.title == "Hallan fosa clandestina en Zacatecas");
  CHECK(a.url == f.server.url("/nacional/fosa-zacatecas?utm_medium=api"));
  CHECK(a.summary == "La Fiscalía estatal confirmó el hallazgo.");
  CHECK(a.content == "Primer párrafo.\nSegundo párrafo.");
  CHECK(a.published == parse_rfc3339("2024-05-20T12:00:00Z"));  // epoch seconds
  CHECK_FALSE(a.published_is_fetch_time);
  CHECK(a.id == item_id("api", a.url, "17", a.title, a.summary));
  CHECK(a.source == "api");
  CHECK(a.connector == "json_api");
  CHECK(a.fetched == kNow);

  const Item& b = out.items[1];
  CHECK(b.title == "Bloqueos en Michoacán & Jalisco");
  CHECK(b.url == "https://otro.example.mx/bloqueos");
  CHECK(b.published == parse_rfc3339("2024-05-20T13:00:00.123Z"));  // epoch milliseconds
  CHECK(b.id == item_id("api", b.url, "a-18", "", ""));

  const Item& c3 = out.items[2];
  CHECK(c3.url.empty());
  CHECK(c3.published == kNow);  // "ayer" is not a date
  CHECK(c3.published_is_fetch_time);
}

TEST_CASE("the json_api connector reads a root array, string dates and its extra headers", "[connectors][json_api]") {
  Fixture f;
  f.server.on("GET", "/list", [](const ReceivedRequest& req) {
    if (req.header("X-Api-Key") != "s3cret") return CannedResponse{401, "no key", "text/plain", {}};
    return CannedResponse{200,
                          R"([
      {"t": "Nota RFC 3339", "d": "2024-05-14T09:30:00-06:00", "u": "https://e.example.mx/1"},
      {"t": "Nota RFC 822", "d": "Tue, 14 May 2024 10:00:00 CDT", "u": "https://e.example.mx/2"},
      {"t": "Nota epoch en texto", "d": "1716206400000", "u": "https://e.example.mx/3"}
    ])",
                          "application/json",
                          {}};
  });
  FeedSpec s = f.spec("/list");
  s.settings.set("title", std::string("/t"));
  s.settings.set("date", std::string("/d"));
  s.settings.set("link", std::string("/u"));
  s.settings.set("headers", std::vector<std::string>{"X-Api-Key: s3cret", "X-Client:  vigia "});
  auto c = f.connector(s);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  REQUIRE(out.items.size() == 3);
  CHECK(out.items[0].published == parse_rfc3339("2024-05-14T15:30:00Z"));
  CHECK(out.items[1].published == parse_rfc3339("2024-05-14T15:00:00Z"));
  CHECK(out.items[2].published == parse_rfc3339("2024-05-20T12:00:00Z"));
  CHECK(out.items[0].id == item_id("api", "https://e.example.mx/1", "", "", ""));  // no id pointer: the link
  const auto requests = f.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("X-Client") == "vigia");
  CHECK_THAT(requests[0].header("Accept"), Catch::StartsWith("application/json"));
}

TEST_CASE("a json_api items pointer that does not reach an array is a parse error naming it",
          "[connectors][json_api]") {
  Fixture f;
  f.server.serve("/v2/news", kNested, "application/json");
  FeedSpec missing = f.spec("/v2/news");
  missing.settings.set("items", std::string("/data/items"));
  CollectingWriter out;
  auto r = poll(*f.connector(missing), out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "parse");
  CHECK_THAT(r.error().message, Catch::StartsWith("feed 'api': ") && Catch::Contains("'/data/items'") &&
                                    Catch::Contains("does not resolve"));

  FeedSpec object = f.spec("/v2/news");  // the default "" is the root, here an object
  auto o = poll(*f.connector(object), out);
  REQUIRE_FALSE(o.ok());
  CHECK(o.error().reason == "parse");
  CHECK_THAT(o.error().message, Catch::Contains("items pointer ''") && Catch::Contains("an object, not an array"));
  CHECK(out.items.empty());
}

TEST_CASE("a json_api answer that is not JSON is a parse error, bad pointers and headers are config errors",
          "[connectors][json_api]") {
  Fixture f;
  f.server.serve("/html", "<html><body>Mantenimiento</body></html>", "text/html");
  CollectingWriter out;
  auto html = poll(*f.connector(f.spec("/html")), out);
  REQUIRE_FALSE(html.ok());
  CHECK(html.error().reason == "parse");
  CHECK_THAT(html.error().message, Catch::Contains("not JSON"));

  FeedSpec bad_pointer = f.spec("/html");
  bad_pointer.settings.set("link", std::string("links.web"));
  auto p = poll(*f.connector(bad_pointer), out);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().reason == "config");
  CHECK_THAT(p.error().message, Catch::Contains("link 'links.web' is not a JSON pointer"));

  FeedSpec bad_header = f.spec("/html");
  bad_header.settings.set("headers", std::vector<std::string>{"Authorization Bearer x"});
  auto h = poll(*f.connector(bad_header), out);
  REQUIRE_FALSE(h.ok());
  CHECK(h.error().reason == "config");
  CHECK(f.server.requests().size() == 1);  // config errors never reach the network
}

TEST_CASE("the json_api connector exposes a 429's Retry-After and keeps validators for a 304",
          "[connectors][json_api]") {
  Fixture f;
  f.server.on("GET", "/limited", [](const ReceivedRequest&) {
    return CannedResponse{429, "{}", "application/json", {{"Retry-After", "120"}}};
  });
  CollectingWriter out;
  auto limited = f.connector(f.spec("/limited"));
  auto r = poll(*limited, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "http_status");
  REQUIRE(limited->retry_after());
  CHECK(*limited->retry_after() == 120s);

  f.server.on("GET", "/etag", [](const ReceivedRequest& req) {
    if (req.header("If-None-Match") == "\"j1\"") return CannedResponse{304, "", "application/json", {}};
    return CannedResponse{200, R"([{"headline": "Una"}])", "application/json", {{"ETag", "\"j1\""}}};
  });
  auto state = std::make_shared<MemoryFeedState>();
  auto first = f.connector(f.spec("/etag"), state);
  auto a = poll(*first, out);
  REQUIRE(a.ok());
  CHECK(a->items == 1);
  auto again = f.connector(f.spec("/etag"), state);  // a restart
  auto b = poll(*again, out);
  REQUIRE(b.ok());
  CHECK(b->not_modified);
}
