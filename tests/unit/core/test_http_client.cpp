#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "support/loopback_server.h"
#include "vigia/core/http_client.h"

using namespace vigia;
using vigia::test::CannedResponse;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {
HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.allow_private_addresses = true;  // the test server is on loopback
  r.total_timeout = std::chrono::milliseconds(5000);
  return r;
}
}  // namespace

TEST_CASE("HTTP client fetches a body with status and lower-cased headers", "[core][http]") {
  LoopbackServer server;
  server.on("GET", "/feed", [](const ReceivedRequest& r) {
    return CannedResponse{200, "hello " + r.header("User-Agent"), "text/plain", {{"ETag", "\"v1\""}}};
  });
  auto req = get(server.url("/feed"));
  req.user_agent = "vigia-test/1";
  auto res = make_curl_http_client()->perform(req);
  REQUIRE(res.ok());
  CHECK(res->status == 200);
  CHECK(res->body == "hello vigia-test/1");
  CHECK(res->header("etag") == "\"v1\"");
}

TEST_CASE("HTTP client refuses loopback unless the request allows internal addresses", "[core][http]") {
  LoopbackServer server;
  server.serve("/feed", "secret", "text/plain");
  auto req = get(server.url("/feed"));
  req.allow_private_addresses = false;
  auto res = make_curl_http_client()->perform(req);
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().reason == "blocked_address");
  CHECK(server.requests().empty());
}

TEST_CASE("HTTP client aborts a body past the cap even without Content-Length", "[core][http]") {
  LoopbackServer server;
  server.serve("/big", std::string(100'000, 'x'), "text/plain");
  auto req = get(server.url("/big"));
  req.max_body_bytes = 1000;
  auto res = make_curl_http_client()->perform(req);
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().reason == "too_large");
}

TEST_CASE("HTTP client follows a bounded number of redirects", "[core][http]") {
  LoopbackServer server;
  for (int i = 0; i < 8; ++i) {
    server.on("GET", "/r" + std::to_string(i), [i](const ReceivedRequest&) {
      return CannedResponse{302, "", "text/plain", {{"Location", "/r" + std::to_string(i + 1)}}};
    });
  }
  server.serve("/r3", "arrived", "text/plain");
  auto ok = get(server.url("/r0"));
  ok.max_redirects = 5;
  auto res = make_curl_http_client()->perform(ok);
  REQUIRE(res.ok());
  CHECK(res->body == "arrived");
  CHECK(res->effective_url == server.url("/r3"));

  server.on("GET", "/r3", [](const ReceivedRequest&) {
    return CannedResponse{302, "", "text/plain", {{"Location", "/r4"}}};
  });
  auto too_many = make_curl_http_client()->perform(ok);
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().reason == "too_many_redirects");
}

TEST_CASE("HTTP client refuses non-HTTP schemes", "[core][http]") {
  auto res = make_curl_http_client()->perform(get("file:///etc/passwd"));
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().reason == "protocol");
}

TEST_CASE("HTTP client posts a body with headers", "[core][http]") {
  LoopbackServer server;
  server.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{204, "", "text/plain", {}}; });
  auto req = get(server.url("/hook"));
  req.method = "POST";
  req.body = R"({"a":1})";
  req.headers = {{"Content-Type", "application/json"}, {"X-Test", "yes"}};
  auto res = make_curl_http_client()->perform(req);
  REQUIRE(res.ok());
  CHECK(res->status == 204);
  auto got = server.requests();
  REQUIRE(got.size() == 1);
  CHECK(got[0].body == R"({"a":1})");
  CHECK(got[0].header("x-test") == "yes");
  CHECK(got[0].header("content-type") == "application/json");
}

TEST_CASE("internal address check covers private, loopback, link-local and mapped forms", "[core][http]") {
  auto v4 = [](const char* ip) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &sa.sin_addr);
    return is_internal_address(&sa, sizeof sa);
  };
  auto v6 = [](const char* ip) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &sa.sin6_addr);
    return is_internal_address(&sa, sizeof sa);
  };
  CHECK(v4("127.0.0.1"));
  CHECK(v4("10.1.2.3"));
  CHECK(v4("172.20.0.1"));
  CHECK(v4("192.168.1.1"));
  CHECK(v4("169.254.169.254"));
  CHECK(v4("100.64.0.1"));
  CHECK(v4("0.0.0.0"));
  CHECK_FALSE(v4("8.8.8.8"));
  CHECK_FALSE(v4("172.32.0.1"));
  CHECK(v6("::1"));
  CHECK(v6("fe80::1"));
  CHECK(v6("fd00::1"));
  CHECK(v6("::ffff:127.0.0.1"));
  CHECK_FALSE(v6("2001:4860:4860::8888"));
  CHECK_FALSE(v6("::ffff:8.8.8.8"));
}

TEST_CASE("HTTP errors never quote more of a URL than scheme and host", "[core][http]") {
  CHECK(redact_url("https://hooks.slack.com/services/T000/B000/secret") == "https://hooks.slack.com");
  CHECK(redact_url("http://user:pass@10.0.0.1:8080/x?token=y") == "http://10.0.0.1:8080");
  CHECK(redact_url("HTTPS://user:pw@Example.COM:8443/x?y=1#z") == "https://example.com:8443");
  CHECK(redact_url("http://[::1]:9000/hook") == "http://[::1]:9000");
  CHECK(redact_url("http://host?token=1") == "http://host");
  CHECK(redact_url("not a url") == "<invalid url>");
  LoopbackServer server;
  auto req = get(server.url("/hook/super-secret-token"));
  req.allow_private_addresses = false;
  auto res = make_curl_http_client()->perform(req);
  REQUIRE_FALSE(res.ok());
  CHECK_THAT(res.error().message, !Catch::Contains("super-secret-token"));
  CHECK_THAT(res.error().message, Catch::Contains("http://127.0.0.1:"));
}
