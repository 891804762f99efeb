#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include <simdjson.h>

#include "alerting_test_util.h"
#include "message_format.h"
#include "support/loopback_server.h"
#include "support/test_paths.h"
#include "vigia/core/clock.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace vigia::alerting::test;
using vigia::test::CannedResponse;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {

DeliveryResult deliver_and_close(Sink& sink, const Alert& alert) {
  DeliveryResult r;
  std::thread([&] { r = sink.deliver(alert); }).join();
  return r;
}

SinkSpec receiver_spec(const std::string& type, const std::string& url) {
  SinkSpec spec = make_spec(type + "-ops", type);
  spec.settings.set("url", url);
  spec.settings.set("allow_private", true);  // the receiver is on loopback
  spec.settings.set("timeout", std::chrono::milliseconds{3000});
  return spec;
}

// Delivers `alert` through a `type` sink to a loopback receiver answering 200; returns the body
// it received (REQUIREs exactly one POST to `path`).
std::string delivered_body(const std::string& type, const Alert& alert, SinkSpec* custom = nullptr,
                           const std::string& path = "/hook") {
  LoopbackServer server;
  server.on("POST", path, [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  SinkSpec spec = custom ? *custom : receiver_spec(type, server.url("/hook"));
  if (custom) spec.settings.set("url", server.url("/hook"));
  auto clock = std::make_shared<ManualClock>(at("2024-05-03T12:10:00Z"));
  SinkServices services;
  services.clock = clock;
  auto sink = create_sink(spec, services);
  const DeliveryResult r = deliver_and_close(*sink, alert);
  REQUIRE(r.outcome == Delivery::kDelivered);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == path);
  CHECK(requests[0].header("Content-Type") == "application/json");
  return requests[0].body;
}

struct Json {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  explicit Json(const std::string& body) {
    // simdjson validates UTF-8: a cut in the middle of a character fails here.
    REQUIRE(parser.parse(body).get(doc) == simdjson::SUCCESS);
  }
  std::string str(const char* pointer) const {
    std::string_view out;
    if (doc.at_pointer(pointer).get_string().get(out) != simdjson::SUCCESS) return "<missing>";
    return std::string(out);
  }
  bool has(const char* pointer) const { return doc.at_pointer(pointer).error() == simdjson::SUCCESS; }
  std::size_t size(const char* pointer) const {
    simdjson::dom::array a;
    if (doc.at_pointer(pointer).get_array().get(a) != simdjson::SUCCESS) return 0;
    return a.size();
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// An alert whose feed text tries every markup trick, and a second passage to highlight.
Alert hostile_alert() {
  Alert a = sample_alert();
  a.item.title = "*URGENT* <!channel> @everyone _x_ & [link](http://evil) `code` # CJNG";
  a.snippets = {{"cjng", "title", 65, 69, ""},
                {"robo", "summary", 10, 30, "ligadas al [[robo <b>de</b> combustible]] & *más*"}};
  a.story.sources = {"El Universal", "Milenio", "Reforma"};
  return a;
}

// A huge alert: long titles, many long multi-byte snippets, many sources.
Alert huge_alert() {
  Alert a = sample_alert();
  std::string long_text;
  for (int i = 0; i < 400; ++i) long_text += "ñandú 🚨 ";
  a.title = long_text;
  a.item.title = long_text;
  a.snippets.clear();
  for (std::size_t i = 0; i < 10; ++i) {
    a.snippets.push_back({"p", "content", i * 1000, i * 1000 + 5, long_text + "[[match]]" + long_text});
  }
  a.story.sources.clear();
  for (int i = 0; i < 200; ++i) a.story.sources.push_back("Fuente número " + std::to_string(i) + " " + long_text);
  a.entities = {{"places_mx", std::vector<std::string>(100, long_text)}};
  return a;
}

}  // namespace

TEST_CASE("slack receiver posts Block Kit blocks with a fallback text to a real receiver", "[alerting][receivers]") {
  Alert alert = sample_alert();
  alert.story.sources = {"El Universal", "Milenio", "Reforma"};
  Json j(delivered_body("slack", alert));
  CHECK(j.str("/text") == "[HIGH] Actividad del Cártel Jalisco Nueva Generación — Detienen a presuntos integrantes "
                          "del CJNG en Salamanca");
  REQUIRE(j.size("/blocks") == 3);
  CHECK(j.str("/blocks/0/type") == "header");
  CHECK(j.str("/blocks/0/text/type") == "plain_text");
  CHECK(j.str("/blocks/0/text/text") == "[HIGH] Actividad del Cártel Jalisco Nueva Generación");
  CHECK(j.str("/blocks/1/type") == "section");
  CHECK(j.str("/blocks/1/text/type") == "mrkdwn");
  const std::string body = j.str("/blocks/1/text/text");
  // The linked title with both matches in bold, then category, severity, score, sources, entities.
  CHECK(contains(body, "<" + alert.item.url + "|**Detienen* a presuntos integrantes del *CJNG* en Salamanca*>"));
  CHECK(contains(body, "cartels · HIGH · score 8.5 · reported by 3 sources: El Universal, Milenio, Reforma"));
  CHECK(contains(body, "Entities: cartels: CJNG · places_mx: Guanajuato, Salamanca"));
  CHECK(contains(body, "Rule cjng-activity"));
  CHECK_FALSE(contains(body, "Update"));
  CHECK(j.str("/blocks/2/type") == "context");
  CHECK(contains(j.str("/blocks/2/elements/0/text"), "reported by 3 sources"));
}

TEST_CASE("slack receiver escapes mrkdwn control characters from feed text and bolds matches", "[alerting][receivers]") {
  Json j(delivered_body("slack", hostile_alert()));
  const std::string body = j.str("/blocks/1/text/text");
  CHECK(contains(body, "&lt;!channel&gt;"));
  CHECK_FALSE(contains(body, "<!channel>"));
  CHECK(contains(body, "*CJNG*"));
  CHECK(contains(body, "> summary: ligadas al *robo &lt;b&gt;de&lt;/b&gt; combustible* &amp; *más*"));
  CHECK(contains(j.str("/text"), "&lt;!channel&gt; @everyone _x_ &amp;"));
}

TEST_CASE("slack receiver keeps header, section and fallback within Block Kit limits on UTF-8 boundaries",
          "[alerting][receivers]") {
  Json j(delivered_body("slack", huge_alert()));
  CHECK(text_length(j.str("/blocks/0/text/text")) <= 150);
  CHECK(text_length(j.str("/blocks/1/text/text")) <= 3000);
  CHECK(text_length(j.str("/blocks/2/elements/0/text")) <= 3000);
  CHECK(text_length(j.str("/text")) <= 3000);
  CHECK(j.str("/blocks/0/text/text").size() > 100);  // cut, not emptied
}

TEST_CASE("chat receivers say when a message is an update of an earlier alert", "[alerting][receivers]") {
  Alert alert = sample_alert();
  alert.sequence = 3;
  alert.story.sources = {"El Universal", "Milenio"};
  {
    Json j(delivered_body("slack", alert));
    CHECK(j.str("/blocks/0/text/text") == "[HIGH] Update #3: Actividad del Cártel Jalisco Nueva Generación");
    CHECK(contains(j.str("/blocks/1/text/text"), "Update #3 of this alert · now reported by 2 sources"));
  }
  {
    Json j(delivered_body("discord", alert));
    CHECK(contains(j.str("/content"), "Update \\#3: Actividad"));
    CHECK(contains(j.str("/embeds/0/description"), "Update \\#3 of this alert · now reported by 2 sources"));
  }
  {
    Json j(delivered_body("mattermost", alert));
    CHECK(contains(j.str("/text"), "Update \\#3 of this alert · now reported by 2 sources"));
  }
  {
    Json j(delivered_body("teams", alert));
    CHECK(contains(j.str("/attachments/0/content/body/0/text"), "Update \\#3: Actividad"));
    CHECK(contains(j.str("/attachments/0/content/body/2/text"), "Update \\#3 of this alert"));
  }
  {
    Json j(delivered_body("alertmanager", alert, nullptr, "/hook/api/v2/alerts"));
    CHECK(j.str("/0/annotations/sequence") == "3");
    CHECK(contains(j.str("/0/annotations/description"), "Update #3 of this alert"));
  }
}

TEST_CASE("discord receiver posts content and one embed and never lets feed text ping or format",
          "[alerting][receivers]") {
  Json j(delivered_body("discord", hostile_alert()));
  CHECK(j.str("/content") == "**\\[HIGH\\] Actividad del Cártel Jalisco Nueva Generación**");
  REQUIRE(j.has("/allowed_mentions/parse"));
  CHECK(j.size("/allowed_mentions/parse") == 0);
  REQUIRE(j.size("/embeds") == 1);
  CHECK(j.str("/embeds/0/title") ==
        "\\*URGENT\\* \\<!channel\\> @\u2060everyone \\_x\\_ & \\[link\\](http://evil) \\`code\\` \\# CJNG");
  CHECK(j.str("/embeds/0/url") == sample_alert().item.url);
  const std::string description = j.str("/embeds/0/description");
  CHECK(contains(description, "> summary: ligadas al **robo \\<b\\>de\\</b\\> combustible** & \\*más\\*"));
  CHECK(contains(description, "reported by 3 sources"));
  int64_t color = 0;
  REQUIRE(j.doc.at_pointer("/embeds/0/color").get_int64().get(color) == simdjson::SUCCESS);
  CHECK(color == 0xe01e5a);
  CHECK(j.str("/embeds/0/timestamp") == "2024-05-03T12:05:00Z");
}

TEST_CASE("discord receiver respects content, title and description limits", "[alerting][receivers]") {
  Json j(delivered_body("discord", huge_alert()));
  CHECK(text_length(j.str("/content")) <= 2000);
  CHECK(text_length(j.str("/embeds/0/title")) <= 256);
  const std::string description = j.str("/embeds/0/description");
  CHECK(text_length(description) <= 4096);
  CHECK(text_length(description) > 1000);
  CHECK(text_length(j.str("/embeds/0/footer/text")) <= 2048);
}

TEST_CASE("mattermost receiver posts escaped markdown text within its limit", "[alerting][receivers]") {
  SinkSpec spec = make_spec("mm", "mattermost");
  spec.settings.set("allow_private", true);
  spec.settings.set("username", std::string("vigia"));
  Json j(delivered_body("mattermost", hostile_alert(), &spec));
  const std::string text = j.str("/text");
  CHECK(text.rfind("#### \\[HIGH\\] Actividad del Cártel", 0) == 0);
  CHECK(contains(text, "@\u2060everyone"));
  CHECK(contains(text, "**CJNG**"));
  CHECK(contains(text, "\\[link\\](http://evil)"));
  CHECK(j.str("/username") == "vigia");
  CHECK(text_length(Json(delivered_body("mattermost", huge_alert())).str("/text")) <= 4000);
}

TEST_CASE("teams receiver posts an Adaptive Card attachment with facts, snippets and a link", "[alerting][receivers]") {
  Alert alert = hostile_alert();
  Json j(delivered_body("teams", alert));
  CHECK(j.str("/type") == "message");
  REQUIRE(j.size("/attachments") == 1);
  CHECK(j.str("/attachments/0/contentType") == "application/vnd.microsoft.card.adaptive");
  CHECK(j.str("/attachments/0/content/type") == "AdaptiveCard");
  CHECK(j.str("/attachments/0/content/version") == "1.4");
  CHECK(j.str("/attachments/0/content/body/0/text") == "\\[HIGH\\] Actividad del Cártel Jalisco Nueva Generación");
  CHECK(j.str("/attachments/0/content/body/0/color") == "Attention");
  CHECK(contains(j.str("/attachments/0/content/body/1/text"), "**CJNG**"));
  CHECK(contains(j.str("/attachments/0/content/body/1/text"), "](" + alert.item.url + ")"));
  CHECK(j.str("/attachments/0/content/body/2/type") == "FactSet");
  CHECK(j.str("/attachments/0/content/body/2/facts/0/title") == "Category");
  CHECK(j.str("/attachments/0/content/body/2/facts/0/value") == "cartels");
  CHECK(contains(j.str("/attachments/0/content/body/2/facts/3/value"), "reported by 3 sources"));
  CHECK(contains(j.str("/attachments/0/content/body/3/text"), "**robo \\<b\\>de\\</b\\> combustible**"));
  CHECK(j.str("/attachments/0/content/actions/0/type") == "Action.OpenUrl");
  CHECK(j.str("/attachments/0/content/actions/0/url") == alert.item.url);
  const std::string huge = delivered_body("teams", huge_alert());
  CHECK(huge.size() < 28 * 1024);
}

TEST_CASE("alertmanager receiver posts a v2 alert array with bounded labels", "[alerting][receivers]") {
  SinkSpec spec = make_spec("am", "alertmanager");
  spec.settings.set("allow_private", true);
  spec.settings.set("entity_labels", std::vector<std::string>{"places_mx", "weapons"});
  spec.settings.set("resolve_after", std::chrono::milliseconds{2 * 3600 * 1000});
  Alert alert = hostile_alert();
  Json j(delivered_body("alertmanager", alert, &spec, "/hook/api/v2/alerts"));
  REQUIRE(j.size("") == 1);
  CHECK(j.str("/0/labels/alertname") == "cjng-activity");
  CHECK(j.str("/0/labels/rule") == "cjng-activity");
  CHECK(j.str("/0/labels/severity") == "high");
  CHECK(j.str("/0/labels/category") == "cartels");
  CHECK(j.str("/0/labels/vigia_alert") == alert.id);
  CHECK(j.str("/0/labels/places_mx") == "Guanajuato");
  simdjson::dom::object labels;
  REQUIRE(j.doc.at_pointer("/0/labels").get_object().get(labels) == simdjson::SUCCESS);
  CHECK(labels.size() == 6);  // no label for an entity list the alert lacks, none from feed text
  CHECK(contains(j.str("/0/annotations/summary"), "[HIGH] Actividad del Cártel"));
  CHECK(contains(j.str("/0/annotations/description"), "robo <b>de</b> combustible"));  // plain text, no markup
  CHECK(j.str("/0/annotations/url") == alert.item.url);
  CHECK(j.str("/0/annotations/source_count") == "3");
  CHECK(j.str("/0/startsAt") == "2024-05-03T12:05:00Z");
  CHECK(j.str("/0/endsAt") == "2024-05-03T14:10:00Z");  // the injected now + resolve_after
  CHECK(j.str("/0/generatorURL") == alert.item.url);
}

TEST_CASE("every receiver kind retries 429 with Retry-After and 500 and rejects 400", "[alerting][receivers]") {
  for (const std::string type : {"slack", "teams", "discord", "mattermost", "alertmanager"}) {
    CAPTURE(type);
    LoopbackServer server;
    int call = 0;
    server.on("POST", type == "alertmanager" ? "/hook/api/v2/alerts" : "/hook", [&call](const ReceivedRequest&) {
      ++call;
      if (call == 1) return CannedResponse{429, "slow down", "text/plain", {{"Retry-After", "12"}}};
      if (call == 2) return CannedResponse{500, "boom", "text/plain", {}};
      return CannedResponse{400, "invalid_blocks", "text/plain", {}};
    });
    auto sink = create_sink(receiver_spec(type, server.url("/hook")));
    const DeliveryResult limited = deliver_and_close(*sink, sample_alert());
    CHECK(limited.outcome == Delivery::kRetry);
    CHECK(limited.reason == "http_429");
    CHECK(limited.retry_after == std::chrono::milliseconds{12'000});
    const DeliveryResult failed = deliver_and_close(*sink, sample_alert());
    CHECK(failed.outcome == Delivery::kRetry);
    CHECK(failed.reason == "http_5xx");
    CHECK_FALSE(failed.retry_after.has_value());
    const DeliveryResult rejected = deliver_and_close(*sink, sample_alert());
    CHECK(rejected.outcome == Delivery::kReject);
    CHECK(rejected.reason == "http_4xx");
    CHECK(contains(rejected.message, "invalid_blocks"));
    CHECK_FALSE(contains(rejected.message, "/hook"));  // the URL path is a secret
  }
}

TEST_CASE("receiver URLs come from url, url_env or url_file and exactly one of them", "[alerting][receivers]") {
  LoopbackServer server;
  server.on("POST", "/T000/SECRET", [](const ReceivedRequest&) { return CannedResponse{200, "", "text/plain", {}}; });
  vigia::test::TempDir dir;
  vigia::test::write_file(dir / "url", server.url("/T000/SECRET") + "\n");
  SinkSpec spec = make_spec("chat", "slack");
  spec.settings.set("allow_private", true);
  spec.settings.set("url_file", (dir / "url").string());
  CHECK(deliver_and_close(*create_sink(spec), sample_alert()).outcome == Delivery::kDelivered);

  ::setenv("VIGIA_TEST_SLACK_URL", server.url("/T000/SECRET").c_str(), 1);
  spec.settings.set("url_file", std::string(""));
  spec.settings.set("url_env", std::string("VIGIA_TEST_SLACK_URL"));
  CHECK(deliver_and_close(*create_sink(spec), sample_alert()).outcome == Delivery::kDelivered);
  CHECK(server.requests().size() == 2);

  spec.settings.set("url", server.url("/T000/SECRET"));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("sink 'chat'") && Catch::Contains("only one of"));
  ::unsetenv("VIGIA_TEST_SLACK_URL");

  SinkSpec none = make_spec("chat", "discord");
  CHECK_THROWS_WITH(create_sink(none), Catch::Contains("set one of url, url_env, url_file"));
  none.settings.set("url", std::string("ftp://hooks.example.com/T000/SECRET"));
  CHECK_THROWS_WITH(create_sink(none), Catch::Contains("sink 'chat'") && !Catch::Contains("SECRET"));
}

TEST_CASE("user templates render documented variables escaped for the platform", "[alerting][receivers][templates]") {
  SinkSpec spec = make_spec("tmpl", "slack");
  spec.settings.set("allow_private", true);
  spec.settings.set("template", std::string("{{#is_update}}UPDATE {{/is_update}}{{severity}} {{title}} ({{score}}, "
                                            "{{source_count}} sources: {{#sources}}{{.}};{{/sources}})\n"
                                            "{{{title_highlighted}}}\n"
                                            "{{#snippets}}> {{field}}: {{{highlighted}}}\n{{/snippets}}"
                                            "{{#entities}}{{list}}={{names}} {{/entities}}\n<{{url}}|open>"));
  Alert alert = hostile_alert();
  alert.title = "Rule <with> & markup";
  alert.sequence = 2;
  Json j(delivered_body("slack", alert, &spec));
  const std::string body = j.str("/blocks/1/text/text");
  CHECK(contains(body, "UPDATE HIGH Rule &lt;with&gt; &amp; markup (8.5, 3 sources: El Universal;Milenio;Reforma;)"));
  CHECK(contains(body, "&lt;!channel&gt;"));
  CHECK(contains(body, "*CJNG*"));
  CHECK(contains(body, "> summary: ligadas al *robo &lt;b&gt;de&lt;/b&gt; combustible*"));
  CHECK(contains(body, "cartels=CJNG places_mx=Guanajuato, Salamanca"));
  CHECK(contains(body, "<" + alert.item.url + "|open>"));
  // The header and fallback stay the built-in ones.
  CHECK(j.str("/blocks/0/text/text") == "[HIGH] Update #2: Rule <with> & markup");  // plain_text: no escaping

  SinkSpec discord = make_spec("tmpl", "discord");
  discord.settings.set("allow_private", true);
  discord.settings.set("template", std::string("{{item_title}} — {{sources_phrase}}"));
  Json d(delivered_body("discord", hostile_alert(), &discord));
  CHECK(d.str("/embeds/0/description") ==
        "\\*URGENT\\* \\<!channel\\> @\u2060everyone \\_x\\_ & \\[link\\](http://evil) \\`code\\` \\# CJNG — reported "
        "by 3 sources");
}

TEST_CASE("a template error is a configuration error naming the sink", "[alerting][receivers][templates]") {
  SinkSpec spec = make_spec("team-chat", "teams");
  spec.settings.set("url", std::string("https://example.com/hook"));
  spec.settings.set("template", std::string("{{#snippets}}unclosed"));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("sink 'team-chat'") && Catch::Contains("template error"));
  spec.settings.set("template", std::string("{{nothing_here}}"));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("empty message"));
  vigia::test::TempDir dir;
  vigia::test::write_file(dir / "t.mustache", "{{severity}} {{title}}");
  spec.settings.set("template_file", (dir / "t.mustache").string());
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("only one of template, template_file"));
  spec.settings.set("template", std::string(""));
  CHECK_NOTHROW(create_sink(spec));
  spec.settings.set("template_file", (dir / "missing.mustache").string());
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("sink 'team-chat'") && Catch::Contains("cannot read"));
}

TEST_CASE("truncation counts UTF-16 units and never cuts a character or a line's markup", "[alerting][receivers]") {
  CHECK(text_length("abc") == 3);
  CHECK(text_length("ñ") == 1);
  CHECK(text_length("🚨") == 2);
  CHECK(truncate_text("ñandú", 10) == "ñandú");
  CHECK(truncate_text("ñandú", 3) == "ña…");
  CHECK(truncate_text("🚨🚨🚨", 4) == "🚨…");
  CHECK(fit_lines({"**one**", "**two**", "**three**"}, 17) == "**one**\n**two**\n…");
  CHECK(fit_lines({"**one**", "**two**"}, 100) == "**one**\n**two**");
  CHECK(text_length(fit_lines({std::string(50, 'x')}, 10)) == 10);
}
