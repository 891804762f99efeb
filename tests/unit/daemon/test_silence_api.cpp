#include <catch2/catch.hpp>

#include "support/test_paths.h"
#include "vigia/alerting/silence_store.h"
#include "vigia/core/http_client.h"
#include "vigia/daemon/admin_server.h"

using namespace vigia;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "s3cret-token-for-tests-0123456789";

Result<HttpResponse> call(int port, const std::string& method, const std::string& path, const std::string& body = {},
                          const std::string& token = kToken) {
  HttpRequest r;
  r.method = method;
  r.url = "http://127.0.0.1:" + std::to_string(port) + path;
  r.allow_private_addresses = true;
  r.body = body;
  // A kept-alive connection would hold the server's stop() for its keep-alive
  // timeout (5 s).
  r.headers.emplace_back("Connection", "close");
  if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
  return make_curl_http_client()->perform(r);
}

Alert michoacan_alert() {
  Alert a;
  a.rule = "cartel-violence";
  a.severity = "high";
  a.category = "security";
  a.entities = {{"places", {"Michoacán"}}};
  return a;
}

const Timestamp kT0 = *parse_rfc3339("2024-06-05T12:00:00Z");

std::string id_of(const std::string& body) {
  const auto p = body.find("\"id\":\"");
  REQUIRE(p != std::string::npos);
  return body.substr(p + 6, 36);
}

}  // namespace

TEST_CASE(
    "the silences API creates, lists and expires silences that "
    "is_silenced then honours",
    "[daemon][http][silence]") {
  vigia::MetricsRegistry registry;
  vigia::test::TempDir dir;
  auto db = StateDb::open(dir / "vigia.db");
  REQUIRE(db.ok());
  auto opened = alerting::SilenceStore::open(*db);
  REQUIRE(opened.ok());
  std::shared_ptr<alerting::SilenceStore> store = std::move(*opened);
  auto clock = std::make_shared<ManualClock>(kT0);
  daemon::AdminServer admin(registry, {});
  admin.enable_silence_api(store, kToken, clock);
  REQUIRE(admin.start("127.0.0.1:0").ok());
  const int port = admin.port();

  const std::string body =
      R"({"matchers":[{"name":"places","value":"Michoacán","op":"="},
    {"name":"severity","value":"medium","op":">="}],
    "endsAt":"2024-06-05T14:00:00Z","createdBy":"ana","comment":"known story"})";

  SECTION("a missing or wrong token is 401 and creates nothing") {
    auto none = call(port, "POST", "/api/v1/silences", body, "");
    REQUIRE(none.ok());
    CHECK(none->status == 401);
    CHECK(none->header("www-authenticate") == "Bearer");
    CHECK(call(port, "POST", "/api/v1/silences", body, "wrong-token-wrong-token")->status == 401);
    CHECK(call(port, "GET", "/api/v1/silences", "", "")->status == 401);
    CHECK(call(port, "DELETE", "/api/v1/silences/abc", "", "x")->status == 401);
    CHECK(store->list().empty());
  }

  SECTION("create, list, silence, delete") {
    auto created = call(port, "POST", "/api/v1/silences", body);
    REQUIRE(created.ok());
    INFO(created->body);
    REQUIRE(created->status == 201);
    const std::string id = id_of(created->body);
    CHECK(created->header("location") == "/api/v1/silences/" + id);

    CHECK(store->is_silenced(michoacan_alert(), kT0 + 1h) == id);
    Alert low = michoacan_alert();
    low.severity = "low";
    CHECK_FALSE(store->is_silenced(low, kT0 + 1h));

    auto list = call(port, "GET", "/api/v1/silences");
    REQUIRE(list.ok());
    CHECK(list->status == 200);
    CHECK_THAT(list->body, Catch::Contains("\"id\":\"" + id + "\""));
    CHECK_THAT(list->body, Catch::Contains("\"state\":\"active\""));
    CHECK_THAT(list->body, Catch::Contains(R"({"name":"severity","op":">=","value":"medium"})"));
    CHECK_THAT(list->body, Catch::Contains("\"createdBy\":\"ana\""));
    CHECK_THAT(list->body, Catch::Contains("\"startsAt\":\"2024-06-05T12:00:00Z\""));

    auto one = call(port, "GET", "/api/v1/silences/" + id);
    CHECK(one->status == 200);

    clock->advance(30min);
    auto deleted = call(port, "DELETE", "/api/v1/silences/" + id);
    REQUIRE(deleted.ok());
    CHECK(deleted->status == 200);
    CHECK_FALSE(store->is_silenced(michoacan_alert(), clock->now()));
    CHECK_THAT(call(port, "GET", "/api/v1/silences")->body, Catch::Contains("\"state\":\"expired\""));
    CHECK(call(port, "DELETE", "/api/v1/silences/00000000-0000-4000-8000-000000000000")->status == 404);
  }

  SECTION("bad bodies are 400 with a clear message and big ones 413") {
    auto bad = call(port, "POST", "/api/v1/silences", "{not json");
    REQUIRE(bad.ok());
    CHECK(bad->status == 400);
    CHECK_THAT(bad->body, Catch::Contains("invalid JSON"));
    auto no_end = call(port, "POST", "/api/v1/silences",
                       R"({"matchers":[{"name":"a","value":"b"}],"createdBy":"x","comment":"y"})");
    CHECK(no_end->status == 400);
    CHECK_THAT(no_end->body, Catch::Contains("endsAt"));
    auto bad_regex = call(port, "POST", "/api/v1/silences",
                          R"({"matchers":[{"name":"a","value":"(","op":"=~"}],"endsAt":"2024-06-06T00:00:00Z",)"
                          R"("createdBy":"x","comment":"y"})");
    CHECK(bad_regex->status == 400);
    CHECK_THAT(bad_regex->body, Catch::Contains("bad regex"));
    auto no_matchers = call(port, "POST", "/api/v1/silences",
                            R"({"matchers":[],"endsAt":"2024-06-06T00:00:00Z","createdBy":"x","comment":"y"})");
    CHECK(no_matchers->status == 400);
    auto huge = call(port, "POST", "/api/v1/silences", std::string(100 * 1024, ' ') + "{}");
    REQUIRE(huge.ok());
    CHECK(huge->status == 413);
    CHECK(store->list().empty());
  }
}

TEST_CASE("the silences API is closed when no token is configured", "[daemon][http][silence]") {
  vigia::MetricsRegistry registry;
  auto opened = alerting::SilenceStore::open(nullptr);
  REQUIRE(opened.ok());
  std::shared_ptr<alerting::SilenceStore> store = std::move(*opened);
  daemon::AdminServer admin(registry, {});
  admin.enable_silence_api(store, "", std::make_shared<ManualClock>(kT0));
  REQUIRE(admin.start("127.0.0.1:0").ok());
  auto r = call(admin.port(), "POST", "/api/v1/silences", "{}", "");
  REQUIRE(r.ok());
  CHECK(r->status == 403);
  CHECK(call(admin.port(), "GET", "/api/v1/silences", "", "")->status == 403);
  CHECK(call(admin.port(), "GET", "/api/v1/silences")->status == 403);

  daemon::AdminServer plain(registry, {});  // never enabled: the routes do not exist
  REQUIRE(plain.start("127.0.0.1:0").ok());
  CHECK(call(plain.port(), "GET", "/api/v1/silences")->status == 404);
}
