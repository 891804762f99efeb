// The whole daemon, as deployed: `vigia run` in its own process, a real feed server and a real
// webhook receiver on loopback, and a Prometheus-style scrape of /metrics.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <simdjson.h>

#include "support/admin_client.h"
#include "support/loopback_server.h"
#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia;
using namespace vigia::test;
using namespace std::chrono_literals;

namespace {

std::string rss(const std::vector<std::tuple<std::string, std::string, std::string>>& items) {
  std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Noticias de prueba</title><link>https://noticias.example.mx/</link>
)";
  for (const auto& [title, link, description] : items) {
    xml += "<item><title>" + title + "</title><link>" + link + "</link><description><![CDATA[" + description +
           "]]></description><pubDate>Mon, 03 May 2021 12:00:00 -0500</pubDate></item>\n";
  }
  return xml + "</channel></rss>\n";
}

// Six different stories that each match the fixture's rule (rewrites of one story would be
// grouped into one alert).
const std::vector<std::string> kSixStories = {
    "Venden vacunas falsas contra Covid en Puebla",
    "Policía de Monterrey asegura cajas con vacunas falsas y detiene a dos hombres",
    "Alertan en Mérida por mensajes que ofrecen vacunas falsas a domicilio",
    "Marina intercepta lancha cargada de vacunas falsas frente a Manzanillo",
    "Clausuran consultorio de Tlaquepaque donde aplicaban vacunas falsas",
    "Fiscalía de Chihuahua investiga red de vacunas falsas vendidas por redes sociales"};

// A feed of the six stories (plus the empty "broken" feed the config names) and a receiver that
// takes 300 ms per alert, so that deliveries queue up behind it.
void serve_six_stories_to_a_slow_receiver(LoopbackServer& feeds, LoopbackServer& hooks) {
  std::vector<std::tuple<std::string, std::string, std::string>> items;
  for (std::size_t i = 0; i < kSixStories.size(); ++i) {
    items.emplace_back(kSixStories[i], "https://noticias.example.mx/caso-" + std::to_string(i), "");
  }
  feeds.serve("/feed.xml", rss(items), "application/rss+xml");
  feeds.serve("/broken.xml", rss({}), "application/rss+xml");
  hooks.on("POST", "/hook", [](const ReceivedRequest&) {
    std::this_thread::sleep_for(300ms);
    return CannedResponse{200, "ok", "text/plain", {}};
  });
}

std::string config(const TempDir& dir, const LoopbackServer& feeds, const LoopbackServer& hooks) {
  return "http: {listen: \"127.0.0.1:0\"}\n"
         "state_dir: " + (dir / "state").string() + "\n"
         "rules: {paths: [" + (source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml").string() + "]}\n"
         "shutdown: {grace: 20s}\n"
         "feeds:\n"
         "  - name: loopback\n"
         "    type: http\n"
         "    url: " + feeds.url("/feed.xml") + "\n"
         "    allow_private: true\n"
         "    interval: 1h\n"
         "  - name: broken\n"
         "    type: http\n"
         "    url: " + feeds.url("/broken.xml") + "\n"
         "    allow_private: true\n"
         "    interval: 1h\n"
         "sinks:\n"
         "  - name: hook\n"
         "    type: webhook\n"
         "    url: " + hooks.url("/hook") + "\n"
         "    allow_private: true\n"
         "    backoff: 50ms\n"
         "  - name: console\n"
         "    type: console\n";
}

}  // namespace

TEST_CASE("a matching feed item reaches the webhook as an Alert and non-matching items do not", "[integration]") {
  LoopbackServer feeds;
  LoopbackServer hooks;
  feeds.serve("/feed.xml",
              rss({{"Venden vacunas falsas contra Covid en Puebla", "https://noticias.example.mx/vacunas-falsas",
                    "<p>Un grupo ligado al <b>CJNG</b> cobraba 500 pesos por dosis.</p>"},
                   {"Jornada de vacunación en el centro de salud", "https://noticias.example.mx/jornada",
                    "Las autoridades aplicaron 2,000 dosis."},
                   {"Es falso que haya vacunas falsas en la capital", "https://noticias.example.mx/verificacion",
                    "Verificación de datos."}}),
              "application/rss+xml");
  feeds.on("GET", "/broken.xml", [](const ReceivedRequest&) { return CannedResponse{500, "oops", "text/plain", {}}; });
  hooks.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });

  TempDir dir;
  write_file(dir / "vigia.yaml", config(dir, feeds, hooks));
  ChildProcess vigia({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir.path());
  const int port = admin_port(vigia);

  REQUIRE(hooks.wait_for("/hook", 1, 30s) == 1);
  const auto received = hooks.requests();
  const std::string& alert = received.at(0).body;
  CHECK_THAT(alert, Catch::Contains(R"("rule":"test-fake-vaccines")"));
  CHECK_THAT(alert, Catch::Contains(R"("category":"fake_vaccine_site")"));
  CHECK_THAT(alert, Catch::Contains(R"("severity":"high")"));
  CHECK_THAT(alert, Catch::Contains(R"("url":"https://noticias.example.mx/vacunas-falsas")"));
  CHECK_THAT(alert, Catch::Contains(R"("source":"loopback")"));
  CHECK_THAT(alert, Catch::Contains(R"([[vacunas falsas]])"));
  CHECK_THAT(alert, Catch::Contains(R"("entities":{"cartels":["CJNG"]})"));
  CHECK_THAT(alert, Catch::Contains(R"("published":"2021-05-03T17:00:00Z")"));
  CHECK(received.at(0).header("content-type") == "application/json");
  CHECK_FALSE(received.at(0).header("webhook-id").empty());

  // The console sink shows the same alert to a human.
  CHECK(vigia.wait_for_out("Venden [[vacunas falsas]] contra Covid en Puebla", 10s));  // the why, at a glance

  CHECK(wait_for_metric(port, R"(vigia_alerting_alerts_sent_total{sink="hook"} 1)", 10s));
  const std::string metrics = scrape(port);
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_connectors_items_sent_total{feed="loopback"} 3)"));
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rules_items_scored_total 3)"));
  CHECK_THAT(metrics, Catch::Contains(
                          R"(vigia_rule_matches_total{category="fake_vaccine_site",rule="test-fake-vaccines",severity="high"} 1)"));
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_connectors_errors_total{feed="broken",reason="http_status"} 1)"));

  vigia.signal(SIGTERM);
  REQUIRE(vigia.wait(20s) == 0);
  CHECK_THAT(vigia.err(), Catch::Contains("stopped cleanly"));
  // Exactly one alert: the vaccination drive and the fact-check never reached the receiver.
  CHECK(hooks.requests().size() == 1);
}

TEST_CASE("SIGTERM drains: alerts for items already accepted are still delivered", "[integration]") {
  LoopbackServer feeds;
  LoopbackServer hooks;
  // The daemon is asked to stop while most deliveries are still queued.
  serve_six_stories_to_a_slow_receiver(feeds, hooks);

  TempDir dir;
  write_file(dir / "vigia.yaml", config(dir, feeds, hooks));
  ChildProcess vigia({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir.path());
  REQUIRE(hooks.wait_for("/hook", 1, 30s) >= 1);
  vigia.signal(SIGTERM);
  REQUIRE(vigia.wait(30s) == 0);
  CHECK(hooks.requests().size() == 6);
  CHECK_THAT(vigia.err(), Catch::Contains("stopped cleanly"));
}

TEST_CASE("the embedded default config prints alerts from the shipped samples with no network", "[integration]") {
  // The README's run command, minus the parts that would touch the source tree or the network:
  // the same samples and packs, the console sink, a private port and state folder.
  TempDir dir;
  write_file(dir / "vigia.yaml",
             "http: {listen: \"127.0.0.1:0\"}\n"
             "state_dir: " + (dir / "state").string() + "\n"
             "rules: {paths: [" + (source_dir() / "rules" / "packs").string() + "]}\n"
             "feeds:\n"
             "  - {name: samples, type: file, path: " + (source_dir() / "config" / "samples").string() + ", interval: 60s}\n"
             "sinks:\n"
             "  - {name: console, type: console}\n"
             "  - {name: alerts-file, type: file, path: " + (dir / "alerts.jsonl").string() + "}\n");
  ChildProcess vigia({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir.path());
  CHECK(vigia.wait_for_out("fake_vaccine_site", 60s));
  CHECK(vigia.wait_for_out("aid_box_branding", 10s));
  CHECK(vigia.wait_for_out("territorial_shift", 10s));
  // Stop only once every sample was read (a stop ends ingest): all ten alerts are in the file, or
  // the budget is spent and the checks below say which are missing.
  const auto alert_lines = [&] {
    if (!std::filesystem::exists(dir / "alerts.jsonl")) return std::size_t{0};
    const std::string text = read_file(dir / "alerts.jsonl");
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (alert_lines() < 10 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  vigia.signal(SIGINT);
  REQUIRE(vigia.wait(30s) == 0);

  // config/samples/README.md lists what must alert (10 of 26 items) and by which rule.
  const std::vector<std::pair<std::string, std::string>> expected{
      {"falso centro de vacunación en Ecatepec", "fake-covid-vaccine-or-test-site"},
      {"logo del Cártel del Golfo en colonias de Reynosa", "cartel-aid-boxes-named"},
      {"CJNG irrumpe en Fresnillo", "cartel-territorial-shift-named"},
      {"fake COVID-19 testing site charging $50", "fake-covid-vaccine-or-test-site"},
      {"Jalisco cartel moves into Zacatecas", "cartel-territorial-shift-named"},
      {"Gulf Cartel hands out aid boxes", "cartel-aid-boxes-named"},
      {"Counterfeit Sputnik V vaccines seized", "fake-covid-vaccine-or-test-site"},
      {"Narcobloqueos en Celaya", "cartel-territorial-shift-named"},
      {"Narcos reparten juguetes en Culiacán", "narco-aid-boxes-generic"},
      {"'El Chapo 701' aid packages", "cartel-aid-boxes-named"},
  };
  std::vector<std::string> lines;
  std::istringstream alerts(read_file(dir / "alerts.jsonl"));
  for (std::string line; std::getline(alerts, line);) lines.push_back(line);
  CHECK(lines.size() == expected.size());
  for (const auto& [title, rule] : expected) {
    INFO(title << " -> " << rule);
    const auto found = std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find(title) != std::string::npos && l.find("\"rule\":\"" + rule + "\"") != std::string::npos;
    });
    CHECK(found == 1);
  }
}

TEST_CASE("a feed that keeps failing is reported broken to an ops receiver, with state kept in vigia.db", "[integration]") {
  LoopbackServer feeds;
  LoopbackServer hooks;
  feeds.on("GET", "/down.xml", [](const ReceivedRequest&) { return CannedResponse{503, "maintenance", "text/plain", {}}; });
  hooks.on("POST", "/ops", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  hooks.on("POST", "/floor", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  TempDir dir;
  write_file(dir / "vigia.yaml",
             "http: {listen: \"127.0.0.1:0\"}\n"
             "state_dir: " + (dir / "state").string() + "\n"
             "rules: {paths: [" + (source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml").string() + "]}\n"
             "ingest: {broken_after: 2, backoff: 50ms, max_backoff: 100ms}\n"
             "feeds:\n"
             "  - {name: down, type: http, url: \"" + feeds.url("/down.xml") + "\", allow_private: true, interval: 1h}\n"
             "sinks:\n"
             "  - {name: ops, type: webhook, url: \"" + hooks.url("/ops") + "\", allow_private: true, categories: [ops]}\n"
             "  - {name: floor, type: webhook, url: \"" + hooks.url("/floor") + "\", allow_private: true,\n"
             "     categories: [fake_vaccine_site]}\n");
  ChildProcess vigia({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir.path());
  REQUIRE(hooks.wait_for("/ops", 1, 30s) >= 1);
  const auto ops = hooks.requests().at(0);
  CHECK(ops.path == "/ops");
  CHECK_THAT(ops.body, Catch::Contains(R"("rule":"vigia-feed-broken")"));
  CHECK_THAT(ops.body, Catch::Contains(R"("category":"ops")"));
  CHECK_THAT(ops.body, Catch::Contains("'down' is broken: 2 failed polls in a row"));
  vigia.signal(SIGTERM);
  REQUIRE(vigia.wait(20s) == 0);
  CHECK(hooks.wait_for("/floor", 1, 10ms) == 0);  // the watch floor is not paged for ops events
  CHECK(std::filesystem::exists(dir / "state" / "vigia.db"));
}

TEST_CASE("kill -9 during delivery, then a restart: every alert arrives, and a repeat carries the same id",
          "[integration]") {
  LoopbackServer feeds;
  LoopbackServer hooks;
  // Most alerts are still queued when the process is killed.
  serve_six_stories_to_a_slow_receiver(feeds, hooks);
  TempDir dir;
  write_file(dir / "vigia.yaml", config(dir, feeds, hooks));
  std::filesystem::create_directories(dir / "first");
  std::filesystem::create_directories(dir / "second");
  {
    ChildProcess first({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir / "first");
    REQUIRE(hooks.wait_for("/hook", 1, 30s) >= 1);
    first.signal(SIGKILL);
    REQUIRE(first.wait(10s).has_value());
  }
  const std::size_t before_restart = hooks.requests().size();
  CHECK(before_restart < kSixStories.size());  // the kill did interrupt the deliveries

  ChildProcess second({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir / "second");
  auto distinct_ids = [&] {
    std::set<std::string> ids;
    for (const auto& r : hooks.requests()) ids.insert(r.header("webhook-id"));
    return ids;
  };
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (distinct_ids().size() < kSixStories.size() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  second.signal(SIGTERM);
  REQUIRE(second.wait(30s) == 0);
  CHECK_THAT(second.err(), Catch::Contains("replayed"));
  const auto ids = distinct_ids();
  CHECK(ids.size() == kSixStories.size());  // every story's alert arrived
  // Any request beyond one per story repeats an alert already sent, under the same webhook-id.
  std::map<std::string, std::set<std::string>> bodies_by_id;
  for (const auto& r : hooks.requests()) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(r.body).get(doc) == simdjson::SUCCESS);
    std::string_view alert_id;
    REQUIRE(doc["id"].get_string().get(alert_id) == simdjson::SUCCESS);
    bodies_by_id[r.header("webhook-id")].insert(std::string(alert_id));
  }
  for (const auto& [webhook_id, alert_ids] : bodies_by_id) CHECK(alert_ids.size() == 1);
}
