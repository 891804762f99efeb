// What the HTTP-based connector kinds (http, gdelt, json_api) share: keys and their defaults,
// validators kept across instances, bytes, JSON Feed over HTTP.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>

#include "connector_test_util.h"
#include "support/loopback_server.h"
#include "http_fetch.h"
#include "vigia/connectors/connector.h"

using namespace vigia;
using namespace vigia::connectors;
using namespace std::chrono_literals;
using vigia::test::CannedResponse;
using vigia::test::CollectingWriter;
using vigia::test::kNow;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {

ConnectorPtr http_connector(const LoopbackServer& server, const std::string& path, FeedStatePtr state) {
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  const ConnectorKind* kind = registry.find("http");
  FeedSpec spec;
  spec.name = "loopback";
  spec.type = "http";
  spec.settings = defaults_of(kind->schema);
  spec.settings.set("url", server.url(path));
  spec.settings.set("allow_private", true);
  spec.settings.set("timeout", std::chrono::milliseconds(5000));
  return kind->create(
      spec, ConnectorServices{make_curl_http_client(), std::make_shared<ManualClock>(kNow), std::move(state)});
}

Result<PollReport> poll(Connector& c, CollectingWriter& out) { return c.poll(out, std::stop_source().get_token()); }

const std::string kFeed =
    R"(<rss><channel><item><title>Uno</title><link>https://e.example.mx/1</link></item></channel></rss>)";

}  // namespace

TEST_CASE("every HTTP-based connector kind declares the shared keys with the same defaults",
          "[connectors][http_fetch]") {
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  for (const char* name : {"http", "gdelt", "json_api"}) {
    INFO(name);
    const ConnectorKind* kind = registry.find(name);
    REQUIRE(kind != nullptr);
    std::set<std::string> keys;
    for (const auto& key : kind->schema) CHECK(keys.insert(key.name).second);  // no key twice
    const ConfigValues v = defaults_of(kind->schema);
    CHECK_FALSE(v.boolean("allow_private"));
    CHECK(v.duration("timeout") == 30s);
    CHECK(v.integer("max_bytes") == 8 * 1024 * 1024);
    CHECK(v.string("user_agent") == "Vigia/0.1 (news monitor; set user_agent to add your contact)");
    CHECK(v.string("proxy").empty());
  }
  const ConfigValues gdelt = defaults_of(registry.find("gdelt")->schema);
  CHECK_FALSE(gdelt.has("query"));
  CHECK(gdelt.integer("maxrecords") == 250);
  CHECK(gdelt.string("endpoint") == "https://api.gdeltproject.org/api/v2/doc/doc");
  CHECK(gdelt.duration("initial_window") == 1h);
  CHECK(gdelt.duration("lag") == 15min);
  const ConfigValues api = defaults_of(registry.find("json_api")->schema);
  CHECK_FALSE(api.has("url"));
  CHECK_FALSE(api.has("title"));
  CHECK(api.string("items").empty());
  CHECK(api.strings("headers").empty());
}

TEST_CASE("http validators kept in the feed state make a second connector instance get a 304",
          "[connectors][http_fetch]") {
  LoopbackServer server;
  server.on("GET", "/rss", [](const ReceivedRequest& r) {
    if (r.header("If-None-Match") == "\"v7\"") return CannedResponse{304, "", "text/plain", {}};
    return CannedResponse{
        200, kFeed, "application/rss+xml", {{"ETag", "\"v7\""}, {"Last-Modified", "Mon, 20 May 2024 10:00:00 GMT"}}};
  });
  auto state = std::make_shared<MemoryFeedState>();
  CollectingWriter out;
  {
    auto first = http_connector(server, "/rss", state);
    auto r = poll(*first, out);
    REQUIRE(r.ok());
    CHECK(r->items == 1);
  }
  CHECK(state->get("loopback", "http.etag") == std::optional<std::string>("\"v7\""));
  CHECK(state->get("loopback", "http.last_modified") == std::optional<std::string>("Mon, 20 May 2024 10:00:00 GMT"));

  auto second = http_connector(server, "/rss", state);  // as after a restart
  auto r = poll(*second, out);
  REQUIRE(r.ok());
  CHECK(r->not_modified);
  CHECK(out.items.size() == 1);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].header("If-None-Match") == "\"v7\"");
  CHECK(requests[1].header("If-Modified-Since") == "Mon, 20 May 2024 10:00:00 GMT");
}

TEST_CASE("a 200 without validators makes the http connector forget the old ones", "[connectors][http_fetch]") {
  LoopbackServer server;
  int calls = 0;
  server.on("GET", "/rss", [&calls](const ReceivedRequest&) {
    ++calls;
    if (calls == 1) return CannedResponse{200, kFeed, "application/rss+xml", {{"ETag", "\"old\""}}};
    return CannedResponse{200, kFeed, "application/rss+xml", {}};
  });
  auto state = std::make_shared<MemoryFeedState>();
  auto c = http_connector(server, "/rss", state);
  CollectingWriter out;
  REQUIRE(poll(*c, out).ok());
  REQUIRE(poll(*c, out).ok());
  CHECK_FALSE(state->get("loopback", "http.etag"));
  REQUIRE(poll(*c, out).ok());
  CHECK(server.requests().at(2).header("If-None-Match").empty());
}

TEST_CASE("the http connector reports the bytes it read and parses a JSON Feed it is served",
          "[connectors][http_fetch]") {
  LoopbackServer server;
  const std::string body = R"({"version": "https://jsonfeed.org/version/1.1", "home_page_url": "https://e.example.mx/",
    "items": [{"id": "1", "url": "notas/1", "title": "Nota en JSON Feed"}]})";
  server.serve("/feed.json", body, "application/feed+json");
  auto c = http_connector(server, "/feed.json", nullptr);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->bytes == body.size());
  REQUIRE(out.items.size() == 1);
  CHECK(out.items[0].url == "https://e.example.mx/notas/1");
  CHECK(out.items[0].connector == "http");
  CHECK_THAT(server.requests().at(0).header("Accept"), Catch::Contains("application/feed+json"));
}

TEST_CASE("the charset parameter of a Content-Type is found with or without blanks and quotes", "[connectors][http]") {
  using vigia::connectors::detail::charset_of;
  CHECK(charset_of("application/rss+xml; charset=ISO-8859-1") == "ISO-8859-1");
  CHECK(charset_of("text/xml;charset = \"us-ascii\"") == "us-ascii");
  CHECK(charset_of("text/xml; CHARSET=windows-1252; q=1") == "windows-1252");
  CHECK(charset_of("text/xml; notcharset; charset=utf-8") == "utf-8");
  CHECK(charset_of("text/xml").empty());
}
