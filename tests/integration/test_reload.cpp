// Live rule reload, as an operator does it: `vigia run` in its own process, the rule file
// rewritten under it, then SIGHUP (or nothing: the inotify watch), and a news item that arrives
// afterwards alerts on a loopback webhook with the new rule.
#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

#include "support/admin_client.h"
#include "support/loopback_server.h"
#include "support/process.h"
#include "support/sample_rule_files.h"
#include "support/test_paths.h"

using namespace vigia;
using namespace vigia::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const char* kBrokenRules = R"(rules:
  - id: reload-broken
    title: Broken
    category: illicit_economy
    severity: low
    treshold: 2
    patterns:
      - id: p
        terms: [huachicol]
)";

std::string jsonl_item(const std::string& id, const std::string& title) {
  return R"({"id":")" + id + R"(","title":")" + title + R"(","url":"https://noticias.example.mx/)" + id +
         R"(","published":"2021-05-03T17:00:00Z"})" + "\n";
}

// Items arrive through a file feed folder polled every second: a new file is a new item.
std::string config(const TempDir& dir, const fs::path& rules, const LoopbackServer& hooks) {
  return "http: {listen: \"127.0.0.1:0\"}\n"
         "state_dir: " + (dir / "state").string() + "\n"
         "rules: {paths: [" + rules.string() + "]}\n"
         "shutdown: {grace: 20s}\n"
         "feeds:\n"
         "  - {name: wire, type: file, path: " + (dir / "feed").string() + ", interval: 1s}\n"
         "sinks:\n"
         "  - {name: floor, type: webhook, url: \"" + hooks.url("/floor") + "\", allow_private: true,\n"
         "     categories: [fake_vaccine_site, illicit_economy]}\n"
         "  - {name: ops, type: webhook, url: \"" + hooks.url("/ops") + "\", allow_private: true, categories: [ops]}\n";
}

// Written beside, then renamed over: how editors and deploy tools replace a file.
void replace_file(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  write_file(tmp, content);
  fs::rename(tmp, path);
}

std::vector<ReceivedRequest> requests_to(const LoopbackServer& server, const std::string& path) {
  std::vector<ReceivedRequest> out;
  for (auto& r : server.requests()) {
    if (r.path == path) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("SIGHUP reloads a rewritten rule file and the next item alerts with the new rule", "[integration][reload]") {
  LoopbackServer hooks;
  hooks.on("POST", "/floor", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  hooks.on("POST", "/ops", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  TempDir dir;
  // The configured rule file is a link to where the deploy writes the content: rewriting the
  // content changes nothing in the watched folder, so only SIGHUP can make the daemon see it.
  fs::create_directories(dir / "rules");
  fs::create_directories(dir / "deploy");
  fs::create_directories(dir / "feed");
  write_file(dir / "deploy" / "pack.yaml", test::kFakeVaccineRuleFile);
  fs::create_symlink(dir / "deploy" / "pack.yaml", dir / "rules" / "pack.yaml");
  write_file(dir / "feed" / "1.jsonl", jsonl_item("n1", "Venden vacunas falsas en Puebla"));
  write_file(dir / "vigia.yaml", config(dir, dir / "rules" / "pack.yaml", hooks));

  ChildProcess vigia({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir.path());
  const int port = admin_port(vigia);
  REQUIRE(hooks.wait_for("/floor", 1, 30s) == 1);
  CHECK_THAT(requests_to(hooks, "/floor").at(0).body, Catch::Contains(R"("rule":"reload-old")"));

  write_file(dir / "deploy" / "pack.yaml", test::kFuelTheftRuleFile);
  vigia.signal(SIGHUP);
  REQUIRE(wait_for_metric(port, R"(vigia_rules_reloads_total{result="success"} 1)", 30s));
  CHECK_THAT(vigia.err(), Catch::Contains("reloading rules (SIGHUP)"));
  CHECK_THAT(vigia.err(), !Catch::Contains("reloading rules (change to"));
  CHECK_THAT(vigia.err(), Catch::Contains("rules reloaded: version "));

  write_file(dir / "feed" / "2.jsonl", jsonl_item("n2", "Roban huachicol y venden vacunas falsas en Puebla"));
  REQUIRE(hooks.wait_for("/floor", 2, 30s) == 2);
  const auto floor = requests_to(hooks, "/floor");
  CHECK_THAT(floor.at(1).body, Catch::Contains(R"("rule":"reload-new")"));
  CHECK_THAT(floor.at(1).body, !Catch::Contains(R"("rule":"reload-old")"));

  const std::string metrics = scrape(port);
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rules_reloads_total{result="success"} 1)"));
  CHECK_THAT(metrics, Catch::Contains(R"(vigia_rules_reloads_total{result="failure"} 0)"));
  CHECK_THAT(metrics, Catch::Contains(
                          R"(vigia_rule_matches_total{category="illicit_economy",rule="reload-new",severity="medium"} 1)"));

  vigia.signal(SIGTERM);
  REQUIRE(vigia.wait(20s) == 0);
  CHECK(requests_to(hooks, "/ops").empty());
}

TEST_CASE("a watched rule folder reloads by itself: a broken edit pages ops, a good one goes live",
          "[integration][reload]") {
  LoopbackServer hooks;
  hooks.on("POST", "/floor", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  hooks.on("POST", "/ops", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  TempDir dir;
  fs::create_directories(dir / "rules");
  fs::create_directories(dir / "feed");
  write_file(dir / "rules" / "pack.yaml", test::kFakeVaccineRuleFile);
  write_file(dir / "feed" / "1.jsonl", jsonl_item("n1", "Venden vacunas falsas en Puebla"));
  write_file(dir / "vigia.yaml", config(dir, dir / "rules", hooks));

  ChildProcess vigia({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir.path());
  const int port = admin_port(vigia);
  REQUIRE(hooks.wait_for("/floor", 1, 30s) == 1);

  // A broken edit: rejected, the old rules keep running, and the ops receiver is paged.
  replace_file(dir / "rules" / "pack.yaml", kBrokenRules);
  REQUIRE(hooks.wait_for("/ops", 1, 30s) == 1);
  const std::string ops = requests_to(hooks, "/ops").at(0).body;
  CHECK_THAT(ops, Catch::Contains(R"("rule":"vigia-rules-reload-failed")"));
  CHECK_THAT(ops, Catch::Contains(R"("category":"ops")"));
  CHECK_THAT(ops, Catch::Contains(R"("severity":"high")"));
  CHECK(wait_for_metric(port, R"(vigia_rules_reloads_total{result="failure"} 1)", 10s));
  CHECK_THAT(vigia.err(), Catch::Contains("error[rule.unknown-key]"));

  // The fix: reloaded without a signal.
  replace_file(dir / "rules" / "pack.yaml", test::kFuelTheftRuleFile);
  REQUIRE(wait_for_metric(port, R"(vigia_rules_reloads_total{result="success"} 1)", 30s));
  write_file(dir / "feed" / "2.jsonl", jsonl_item("n2", "Roban huachicol en Puebla"));
  REQUIRE(hooks.wait_for("/floor", 2, 30s) == 2);
  CHECK_THAT(requests_to(hooks, "/floor").at(1).body, Catch::Contains(R"("rule":"reload-new")"));

  vigia.signal(SIGTERM);
  REQUIRE(vigia.wait(20s) == 0);
  CHECK_THAT(vigia.err(), Catch::Contains("stopped cleanly"));
}
