// docs/metrics.md against what the daemon really serves: scrapes of an embedded-mode process and
// of a Kafka-mode process (all roles, on the mock cluster in its own process) must pass
// `promtool check metrics`, every family they list must be catalogued with its type and labels,
// and every catalogued family must be in one of them. The dashboard and alert rule checks
// (test_monitoring.cpp) hold their queries to the same catalogue.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "deploy_util.h"
#include "support/admin_client.h"
#include "support/growing_feed.h"
#include "support/loopback_server.h"
#include "support/metrics_catalogue.h"
#include "support/metrics_text.h"
#include "support/mock_kafka_process.h"
#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia;
using namespace vigia::test;
using namespace std::chrono_literals;

namespace {

std::string promtool() { return required_tool(VIGIA_PROMTOOL, "prometheus"); }

// name -> type from the "# TYPE" lines of a scrape.
std::map<std::string, std::string> families_of(const std::string& scrape) {
  std::map<std::string, std::string> out;
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream words(line.substr(7));
    std::string name, type;
    words >> name >> type;
    out[name] = type;
  }
  return out;
}

// What promtool and the catalogue say about one scrape; returns its families.
std::map<std::string, std::string> check_scrape(const std::string& what, const std::string& scrape,
                                                const std::map<std::string, CataloguedMetric>& catalogue) {
  INFO(what);
  const auto lint = run_process({promtool(), "check", "metrics"}, scrape, 30s);
  INFO("promtool check metrics: " << lint.out << lint.err);
  CHECK(lint.exit_code == 0);
  CHECK(lint.out.empty());

  const auto families = families_of(scrape);
  CHECK(families.size() > 10);
  for (const auto& [name, type] : families) {
    INFO("family " << name << " (" << type << ") in the " << what << " scrape");
    CHECK(name.rfind("vigia_", 0) == 0);
    const auto it = catalogue.find(name);
    CHECK(it != catalogue.end());  // not in docs/metrics.md
    if (it != catalogue.end()) CHECK(it->second.type == type);
  }
  for (const auto& sample : parse_metrics(scrape)) {
    const std::string family = metric_family_of(sample.name, catalogue);
    INFO("sample " << sample.name << " in the " << what << " scrape");
    REQUIRE_FALSE(family.empty());
    for (const auto& [label, value] : sample.labels) {
      if (label == "le") continue;  // a histogram's buckets
      INFO("label " << label << "=\"" << value << "\" is not documented for " << family);
      CHECK(catalogue.at(family).labels.count(label) == 1);
    }
  }
  return families;
}

}  // namespace

TEST_CASE("docs/metrics.md lists exactly the families the daemon exports, and promtool accepts every scrape",
          "[deploy][metrics]") {
  const auto catalogue = metrics_catalogue();
  REQUIRE(catalogue.size() > 40);
  TempDir dir;
  LoopbackServer feeds;
  LoopbackServer hooks;
  feeds.serve("/feed.xml",
              rss({{"Venden vacunas falsas contra Covid en Puebla, dice el CJNG", "https://noticias.example.mx/1"},
                   {"Festival de cine en Morelia", "https://noticias.example.mx/2"}}),
              "application/rss+xml");
  hooks.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  const auto config = [&](const std::string& name, const std::string& bus) {
    const auto folder = dir / name;
    std::filesystem::create_directories(folder);
    // clang-format off
    write_file(folder / "vigia.yaml",
               "http: {listen: \"127.0.0.1:0\"}\n"
               "state_dir: " + (folder / "state").string() + "\n"
               "rules: {paths: [" + (source_dir() / "rules" / "packs").string() + "]}\n" + bus +
               "feeds:\n"
               "  - {name: loopback, type: http, url: \"" + feeds.url("/feed.xml") + "\", allow_private: true,"
               " interval: 1h}\n"
               "sinks:\n"
               "  - {name: hook, type: webhook, url: \"" + hooks.url("/hook") + "\", allow_private: true}\n");
    // clang-format on
    return folder;
  };

  std::map<std::string, std::string> exported;
  {
    const auto folder = config("embedded", "");
    ChildProcess vigia({vigia_binary(), "run", "--config", (folder / "vigia.yaml").string()}, folder);
    const int port = admin_port(vigia);
    // Once an item went through, labelled series exist and their labels get checked too.
    REQUIRE(wait_for_metric(port, "vigia_rules_items_scored_total 2", 30s));
    for (const auto& f : check_scrape("embedded", scrape(port), catalogue)) exported.insert(f);
  }
  {
    MockKafkaProcess mock(dir / "mock", {"--brokers", "1", "--topic", "vigia.items:2", "--topic", "vigia.hits:2",
                                         "--topic", "vigia.dlq:1", "--topic", "vigia.feeds:2"});
    const auto folder = config("kafka", "bus:\n"
                                        "  kind: kafka\n"
                                        "  kafka: {bootstrap.servers: \"" + mock.bootstrap() +
                                            "\", fetch.wait.max.ms: 5, statistics.interval.ms: 500}\n");
    ChildProcess vigia({vigia_binary(), "run", "--config", (folder / "vigia.yaml").string(), "--role", "all"},
                       folder);
    const int port = admin_port(vigia);
    {
      INFO(vigia.err());
      // Statistics have arrived (the exporters' series exist) and the item reached the scorer.
      REQUIRE(wait_for_metric(port, "vigia_kafka_assigned_partitions{", 60s));
      REQUIRE(wait_for_metric(port, "vigia_rules_items_scored_total 2", 60s));
    }
    for (const auto& f : check_scrape("kafka", scrape(port), catalogue)) exported.insert(f);
  }

  for (const auto& [name, entry] : catalogue) {
    INFO(name << " is in docs/metrics.md but in neither scrape");
    CHECK(exported.count(name) == 1);
  }
}
