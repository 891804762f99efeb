#include <catch2/catch.hpp>

#include "vigia/core/http_client.h"
#include "vigia/daemon/admin_server.h"

using namespace vigia;

namespace {
Result<HttpResponse> get(int port, const std::string& path) {
  HttpRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(port) + path;
  r.allow_private_addresses = true;
  return make_curl_http_client()->perform(r);
}
}  // namespace

TEST_CASE("admin server serves metrics, liveness and readiness", "[daemon][http]") {
  vigia::MetricsRegistry registry;
  counter_family(registry, "vigia_test_things_total", "Things").Add({{"kind", "a"}}).Increment(3);
  int scrapes = 0;
  daemon::AdminServer admin(registry, [&] { ++scrapes; });
  REQUIRE(admin.start("127.0.0.1:0").ok());
  REQUIRE(admin.port() > 0);

  auto metrics = get(admin.port(), "/metrics");
  REQUIRE(metrics.ok());
  CHECK(metrics->status == 200);
  CHECK_THAT(metrics->header("content-type"), Catch::StartsWith("text/plain; version=0.0.4"));
  CHECK_THAT(metrics->body, Catch::Contains("# TYPE vigia_test_things_total counter"));
  CHECK_THAT(metrics->body, Catch::Contains(R"(vigia_test_things_total{kind="a"} 3)"));
  CHECK(scrapes == 1);

  CHECK(get(admin.port(), "/healthz")->status == 200);
  CHECK(get(admin.port(), "/readyz")->status == 503);
  admin.set_ready(true);
  CHECK(get(admin.port(), "/readyz")->status == 200);
  CHECK(get(admin.port(), "/nope")->status == 404);
}

TEST_CASE("admin server reports a port it cannot bind", "[daemon][http]") {
  vigia::MetricsRegistry registry;
  daemon::AdminServer first(registry, {});
  REQUIRE(first.start("127.0.0.1:0").ok());
  daemon::AdminServer second(registry, {});
  auto s = second.start("127.0.0.1:" + std::to_string(first.port()));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().reason == "bind");
}
