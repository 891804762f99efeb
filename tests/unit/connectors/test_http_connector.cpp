#include <catch2/catch.hpp>

#include "connector_test_util.h"

#include <memory>

#include "sample_feeds.h"
#include "support/loopback_server.h"
#include "vigia/connectors/connector.h"

using namespace vigia;
using namespace vigia::connectors;
using vigia::test::CollectingWriter;
using vigia::test::kNow;
using namespace std::chrono_literals;
using vigia::test::CannedResponse;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {

struct Fixture {
  LoopbackServer server;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNow);

  ConnectorPtr connector(const std::string& path, bool allow_private = true) {
    ConnectorRegistry registry;
    register_builtin_connectors(registry);
    const ConnectorKind* kind = registry.find("http");
    REQUIRE(kind != nullptr);
    FeedSpec spec;
    spec.name = "loopback";
    spec.type = "http";
    spec.settings = defaults_of(kind->schema);
    spec.settings.set("url", server.url(path));
    spec.settings.set("allow_private", allow_private);
    spec.settings.set("timeout", std::chrono::milliseconds(5000));
    return kind->create(spec, ConnectorServices{make_curl_http_client(), clock});
  }
};

Result<PollReport> poll(Connector& c, CollectingWriter& out) { return c.poll(out, std::stop_source().get_token()); }

}  // namespace

TEST_CASE("the http connector turns a 200 feed into items stamped with source, kind and fetch time", "[connectors][http]") {
  Fixture f;
  f.server.serve("/rss", test::feeds::kRssSpanish, "application/rss+xml; charset=utf-8");
  auto c = f.connector("/rss");
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->items == 3);
  CHECK_FALSE(r->not_modified);
  REQUIRE(out.items.size() == 3);
  for (const auto& item : out.items) {
    CHECK(item.source == "loopback");
    CHECK(item.connector == "http");
    CHECK(item.fetched == kNow);
    CHECK(item.id.size() == 32);
  }
  CHECK(out.items[1].published == kNow);  // the undated item
  const auto requests = f.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("User-Agent") == "Vigia/0.1 (news monitor; set user_agent to add your contact)");
  CHECK_THAT(requests[0].header("Accept"), Catch::Contains("application/rss+xml"));
}

TEST_CASE("the http connector resolves relative links against the URL it fetched", "[connectors][http]") {
  Fixture f;
  f.server.serve("/feeds/a.xml", R"(<rss><channel><item><title>x</title><link>../nota/9</link></item></channel></rss>)",
                 "text/xml");
  auto c = f.connector("/feeds/a.xml");
  CollectingWriter out;
  REQUIRE(poll(*c, out).ok());
  REQUIRE(out.items.size() == 1);
  CHECK(out.items[0].url == f.server.url("/nota/9"));
}

TEST_CASE("the http connector sends its validators back and reports 304 as not modified", "[connectors][http]") {
  Fixture f;
  f.server.on("GET", "/rss", [](const ReceivedRequest& r) {
    if (r.header("If-None-Match") == "\"v1\"" && r.header("If-Modified-Since") == "Mon, 20 May 2024 10:00:00 GMT") {
      return CannedResponse{304, "", "text/plain", {{"ETag", "\"v1\""}}};
    }
    return CannedResponse{200, test::feeds::kRdf, "application/rdf+xml",
                          {{"ETag", "\"v1\""}, {"Last-Modified", "Mon, 20 May 2024 10:00:00 GMT"}}};
  });
  auto c = f.connector("/rss");
  CollectingWriter out;
  auto first = poll(*c, out);
  REQUIRE(first.ok());
  CHECK(first->items == 2);
  CHECK(f.server.requests()[0].header("If-None-Match").empty());

  auto second = poll(*c, out);
  REQUIRE(second.ok());
  CHECK(second->not_modified);
  CHECK(second->items == 0);
  CHECK(out.items.size() == 2);
  const auto requests = f.server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].header("If-None-Match") == "\"v1\"");
  CHECK(requests[1].header("If-Modified-Since") == "Mon, 20 May 2024 10:00:00 GMT");
}

TEST_CASE("the http connector keeps no validators from a body that did not parse", "[connectors][http]") {
  Fixture f;
  f.server.on("GET", "/rss", [](const ReceivedRequest&) {
    return CannedResponse{200, "<html><body>maintenance</body></html>", "text/html", {{"ETag", "\"broken\""}}};
  });
  auto c = f.connector("/rss");
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "parse");
  CHECK_THAT(r.error().message, Catch::StartsWith("feed 'loopback': ") && Catch::Contains("not a feed") &&
                                    Catch::Contains("<html>"));
  REQUIRE_FALSE(poll(*c, out).ok());
  CHECK(f.server.requests().at(1).header("If-None-Match").empty());
}

TEST_CASE("the http connector reports a 500 as an http_status error naming the code, not the URL's secrets",
          "[connectors][http]") {
  Fixture f;
  f.server.on("GET", "/rss", [](const ReceivedRequest&) { return CannedResponse{500, "oops", "text/plain", {}}; });
  auto c = f.connector("/rss?api_key=s3cret");
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "http_status");
  CHECK(r.error().message == "feed 'loopback': HTTP 500 from " + f.server.url(""));
  CHECK_FALSE(c->retry_after());
}

TEST_CASE("the http connector exposes a 429's Retry-After in seconds", "[connectors][http]") {
  Fixture f;
  f.server.on("GET", "/rss", [](const ReceivedRequest&) {
    return CannedResponse{429, "slow down", "text/plain", {{"Retry-After", "120"}}};
  });
  auto c = f.connector("/rss");
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "http_status");
  CHECK_THAT(r.error().message, Catch::Contains("HTTP 429") && Catch::Contains("Retry-After 120s"));
  REQUIRE(c->retry_after());
  CHECK(*c->retry_after() == 120s);
}

TEST_CASE("the http connector reads a 503's Retry-After given as an HTTP-date", "[connectors][http]") {
  Fixture f;
  f.server.on("GET", "/rss", [](const ReceivedRequest&) {
    return CannedResponse{503, "", "text/plain", {{"Retry-After", "Mon, 20 May 2024 12:05:00 GMT"}}};
  });
  auto c = f.connector("/rss");
  CollectingWriter out;
  REQUIRE_FALSE(poll(*c, out).ok());
  REQUIRE(c->retry_after());
  CHECK(*c->retry_after() == 5min);  // the clock says 12:00:00

  f.server.serve("/rss", test::feeds::kRdf, "application/rdf+xml");
  REQUIRE(poll(*c, out).ok());
  CHECK_FALSE(c->retry_after());  // a later answer without the header clears it
}

TEST_CASE("the http connector refuses loopback feeds unless allow_private is set", "[connectors][http][security]") {
  Fixture f;
  f.server.serve("/rss", test::feeds::kRssSpanish, "application/rss+xml");
  auto c = f.connector("/rss", /*allow_private=*/false);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "blocked_address");
  CHECK_THAT(r.error().message, Catch::StartsWith("feed 'loopback': "));
  CHECK(f.server.requests().empty());
  CHECK(out.items.empty());
}

TEST_CASE("the http connector refuses URLs that are not http or https", "[connectors][http]") {
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  const ConnectorKind* kind = registry.find("http");
  FeedSpec spec;
  spec.name = "bad";
  spec.settings = defaults_of(kind->schema);
  spec.settings.set("url", std::string("file:///etc/passwd"));
  auto c = kind->create(spec, ConnectorServices{});
  CollectingWriter out;
  auto r = c->poll(out, std::stop_source().get_token());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "config");
}

TEST_CASE("the http connector stops writing once stop is requested", "[connectors][http]") {
  Fixture f;
  f.server.serve("/rss", test::feeds::kRssSpanish, "application/rss+xml");
  auto c = f.connector("/rss");
  std::stop_source stop;

  class StoppingWriter final : public ItemWriter {
   public:
    explicit StoppingWriter(std::stop_source& s) : stop_(s) {}
    Status write(Item) override {
      ++written;
      stop_.request_stop();  // as if shutdown began right after the first item
      return ok_status();
    }
    int written = 0;

   private:
    std::stop_source& stop_;
  } out(stop);

  auto r = c->poll(out, stop.get_token());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "cancelled");
  CHECK(out.written == 1);
}
