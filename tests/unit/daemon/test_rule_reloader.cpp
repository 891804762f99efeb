#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

#include "support/log_capture.h"
#include "support/sample_rule_files.h"

#include "support/test_paths.h"
#include "vigia/core/codec.h"
#include "vigia/core/log.h"
#include "vigia/core/memory_bus.h"
#include "vigia/daemon/rule_reloader.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/score_stage.h"

using namespace vigia;
using namespace vigia::daemon;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Line 6, column 5: a misspelt key, which `vigia rules check` reports with a suggestion.
const char* kBroken = R"(rules:
  - id: reload-broken
    title: Broken
    category: test
    severity: low
    treshold: 2
    patterns:
      - id: p
        terms: [algo]
)";
// Loads and compiles, but its own sample does not match.
const char* kFailingTest = R"(rules:
  - id: reload-untested
    title: Untested
    category: test
    severity: low
    patterns:
      - id: p
        terms: [narcomanta]
    tests:
      match: [Aparece una manta en el puente]
)";

std::string version_of(const char* text) {
  auto loaded = rules::load_rule_set_from_text({{"pack.yaml", text}});
  REQUIRE(loaded.rules);
  return loaded.rules->version();
}

// A score stage on a RuleStore loaded from a rule folder, and a reloader on that folder: what
// the daemon wires up, minus connectors and sinks.
struct Rig {
  explicit Rig(RuleReloaderOptions options = {}) {
    fs::create_directories(rules_dir);
    test::write_file(rules_dir / "pack.yaml", test::kFakeVaccineRuleFile);
    auto loaded = rules::load_rule_set({rules_dir});
    REQUIRE(loaded.rules);
    store = std::make_shared<rules::RuleStore>(loaded.rules);
    stage = std::make_unique<rules::ScoreStage>(store, bus, registry, rules::ScoreStageOptions{.workers = 1});
    stage->start();
    if (options.paths.empty()) options.paths = {rules_dir};
    reloader = std::make_unique<RuleReloader>(store, bus, registry, system_clock(), options);
  }
  ~Rig() {
    reloader->stop();
    stage->abort();
    stage->join();
  }

  void publish(const std::string& id, const std::string& title) {
    Item item;
    item.id = id;
    item.title = title;
    REQUIRE(bus.publish(topics::kItems, id, encode_item(item)).ok());
  }
  // The next record on the hits topic (news hits and ops events alike), bounded.
  Hit next_hit() {
    auto got = hits->poll(20s);
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    (void)hits->commit(**got);
    auto hit = decode_hit((**got).value);
    REQUIRE(hit.ok());
    return *hit;
  }
  std::string metrics() { return serialize_metrics(registry); }
  std::string running() { return store->current().rules->version(); }

  test::TempDir dir;
  fs::path rules_dir = dir / "rules";
  MemoryBus bus{64};
  ConsumerPtr hits = bus.subscribe(topics::kHits, "test");
  vigia::MetricsRegistry registry;
  rules::RuleStorePtr store;
  std::unique_ptr<rules::ScoreStage> stage;
  std::unique_ptr<RuleReloader> reloader;
};

RuleReloaderOptions no_watch() {
  RuleReloaderOptions o;
  o.watch = false;
  return o;
}

}  // namespace

TEST_CASE("a good reload swaps the set and the next item is scored by the new one", "[daemon][reload]") {
  Rig rig(no_watch());
  rig.publish("before", "Venden vacunas falsas y huachicol");
  CHECK(rig.next_hit().matches.at(0).rule == "reload-old");
  const std::weak_ptr<const rules::RuleSet> old_set = rig.store->current().rules;

  test::write_file(rig.rules_dir / "pack.yaml", test::kFuelTheftRuleFile);
  const ReloadOutcome outcome = rig.reloader->reload("test");
  CHECK(outcome.result == ReloadResult::kSuccess);
  CHECK(outcome.running_version == version_of(test::kFuelTheftRuleFile));
  CHECK_THAT(outcome.summary, Catch::Contains("version " + version_of(test::kFakeVaccineRuleFile) + " -> " + version_of(test::kFuelTheftRuleFile)));
  CHECK(rig.running() == version_of(test::kFuelTheftRuleFile));

  rig.publish("after", "Venden vacunas falsas y huachicol");
  const Hit hit = rig.next_hit();
  CHECK(hit.item.id == "after");
  REQUIRE(hit.matches.size() == 1);
  CHECK(hit.matches[0].rule == "reload-new");
  // The worker moved on, so nothing holds the old set any more: it was freed.
  CHECK(old_set.expired());

  // The same files again: checked, found equal, nothing swapped.
  CHECK(rig.reloader->reload("test").result == ReloadResult::kUnchanged);
  CHECK(rig.store->generation() == 2);
  const std::string m = rig.metrics();
  CHECK_THAT(m, Catch::Contains(R"(vigia_rules_reloads_total{result="success"} 1)"));
  CHECK_THAT(m, Catch::Contains(R"(vigia_rules_reloads_total{result="unchanged"} 1)"));
  CHECK_THAT(m, Catch::Contains(R"(vigia_rules_reloads_total{result="failure"} 0)"));
  CHECK_THAT(m, Catch::Contains("vigia_rules_ruleset_info{version=\"" + version_of(test::kFuelTheftRuleFile) + "\"} 1"));
  CHECK_THAT(m, Catch::Contains(
                    R"(vigia_rule_matches_total{category="illicit_economy",rule="reload-new",severity="medium"} 1)"));
  CHECK(rig.reloader->completed() == 2);
}

TEST_CASE("a reload of a broken rule file keeps the running set, is counted, logged and raised as an ops event",
          "[daemon][reload]") {
  test::LogCapture log("rules");
  Rig rig(no_watch());
  test::write_file(rig.rules_dir / "pack.yaml", kBroken);
  const ReloadOutcome outcome = rig.reloader->reload("test");
  CHECK(outcome.result == ReloadResult::kFailure);
  CHECK(outcome.running_version == version_of(test::kFakeVaccineRuleFile));
  CHECK(outcome.candidate_version.empty());
  const std::string diagnostic = (rig.rules_dir / "pack.yaml").string() + ":6:5: error[rule.unknown-key]";
  CHECK_THAT(outcome.details, Catch::Contains(diagnostic));
  CHECK(rig.running() == version_of(test::kFakeVaccineRuleFile));

  CHECK_THAT(rig.metrics(), Catch::Contains(R"(vigia_rules_reloads_total{result="failure"} 1)"));
  CHECK_THAT(rig.metrics(), Catch::Contains(R"(vigia_rules_reloads_total{result="success"} 0)"));
  CHECK_THAT(log.text(), Catch::Contains("error rule reload rejected: the rule files do not load: 1 error(s); "
                                         "still running version " + version_of(test::kFakeVaccineRuleFile)));
  CHECK_THAT(log.text(), Catch::Contains(diagnostic));

  const Hit event = rig.next_hit();
  REQUIRE(event.matches.size() == 1);
  CHECK(event.matches[0].rule == "vigia-rules-reload-failed");
  CHECK(event.matches[0].category == "ops");
  CHECK(event.matches[0].severity == "high");
  CHECK(event.item.source == "rules");
  CHECK(event.item.title == "Rule reload rejected: the rule files do not load: 1 error(s)");
  CHECK_THAT(event.item.summary, Catch::Contains("Still running version " + version_of(test::kFakeVaccineRuleFile)));
  CHECK_THAT(event.item.summary, Catch::Contains(diagnostic));

  // The daemon goes on scoring with what it had.
  rig.publish("after", "Venden vacunas falsas");
  const Hit hit = rig.next_hit();
  CHECK(hit.item.id == "after");
  CHECK(hit.matches.at(0).rule == "reload-old");
}

TEST_CASE("a reload whose embedded tests fail is rejected like a broken file", "[daemon][reload]") {
  Rig rig(no_watch());
  test::write_file(rig.rules_dir / "pack.yaml", kFailingTest);
  const ReloadOutcome outcome = rig.reloader->reload("test");
  CHECK(outcome.result == ReloadResult::kFailure);
  CHECK(outcome.candidate_version == version_of(kFailingTest));
  CHECK(rig.running() == version_of(test::kFakeVaccineRuleFile));
  CHECK_THAT(outcome.summary, Catch::Contains("1 embedded test(s) of version " + version_of(kFailingTest) + " fail"));
  CHECK_THAT(outcome.details, Catch::Contains((rig.rules_dir / "pack.yaml").string() + ":10: FAIL"));
  CHECK_THAT(rig.metrics(), Catch::Contains(R"(vigia_rules_reloads_total{result="failure"} 1)"));

  const Hit event = rig.next_hit();
  CHECK(event.matches.at(0).rule == "vigia-rules-reload-failed");
  CHECK_THAT(event.item.summary, Catch::Contains("FAIL"));

  rig.publish("after", "Venden vacunas falsas");
  CHECK(rig.next_hit().matches.at(0).rule == "reload-old");
}

TEST_CASE("request() (SIGHUP) reloads on the reloader's own thread", "[daemon][reload]") {
  Rig rig(no_watch());
  REQUIRE(rig.reloader->start().ok());
  test::write_file(rig.rules_dir / "pack.yaml", test::kFuelTheftRuleFile);
  rig.reloader->request();
  REQUIRE(rig.reloader->wait_completed(1, 20s));
  CHECK(rig.running() == version_of(test::kFuelTheftRuleFile));
  CHECK_THAT(rig.metrics(), Catch::Contains(R"(vigia_rules_reloads_total{result="success"} 1)"));
  CHECK_THAT(rig.metrics(), Catch::Contains("vigia_rules_reload_watches 0"));
}

TEST_CASE("inotify picks up a rule file an editor replaced by renaming a new file over it", "[daemon][reload]") {
  Rig rig(no_watch());
  // A file path as configured: it is watched through its folder, for its own name.
  rig.reloader = std::make_unique<RuleReloader>(rig.store, rig.bus, rig.registry, system_clock(),
                                                RuleReloaderOptions{.paths = {rig.rules_dir / "pack.yaml"}});
  REQUIRE(rig.reloader->start().ok());
  CHECK_THAT(rig.metrics(), Catch::Contains("vigia_rules_reload_watches 1"));

  test::write_file(rig.rules_dir / ".pack.yaml.swp", "editor state");  // not a rule file: ignored
  test::write_file(rig.rules_dir / "pack.yaml.tmp", test::kFuelTheftRuleFile);
  fs::rename(rig.rules_dir / "pack.yaml.tmp", rig.rules_dir / "pack.yaml");
  REQUIRE(rig.reloader->wait_completed(1, 20s));
  CHECK(rig.running() == version_of(test::kFuelTheftRuleFile));

  rig.publish("after", "Roban huachicol en Puebla");
  CHECK(rig.next_hit().matches.at(0).rule == "reload-new");
  CHECK(rig.reloader->completed() == 1);
}

TEST_CASE("a burst of writes in a watched folder is one reload, and files that are not rules are ignored",
          "[daemon][reload]") {
  RuleReloaderOptions options;
  options.debounce = 300ms;
  options.max_delay = 10s;
  Rig rig(options);
  REQUIRE(rig.reloader->start().ok());

  // A checkout: several files written back to back, the last write being the good one.
  test::write_file(rig.rules_dir / "pack.yaml", kBroken);
  test::write_file(rig.rules_dir / "extra.yml", kFailingTest);
  fs::remove(rig.rules_dir / "extra.yml");
  test::write_file(rig.rules_dir / "pack.yaml", test::kFuelTheftRuleFile);
  REQUIRE(rig.reloader->wait_completed(1, 20s));
  CHECK(rig.running() == version_of(test::kFuelTheftRuleFile));
  CHECK_THAT(rig.metrics(), Catch::Contains(R"(vigia_rules_reloads_total{result="failure"} 0)"));

  // Not rule files: no reload follows (a bounded wait for something that must not happen).
  test::write_file(rig.rules_dir / "README.md", "notes");
  test::write_file(rig.rules_dir / "pack.yaml~", kBroken);
  CHECK_FALSE(rig.reloader->wait_completed(2, 1500ms));
  CHECK(rig.reloader->completed() == 1);
}

TEST_CASE("SIGHUP says that a changed config file needs a restart, and reloads the rules only", "[daemon][reload]") {
  test::LogCapture log("daemon");
  test::TempDir config_dir;
  test::write_file(config_dir / "vigia.yaml", "bus: {kind: memory}\n");
  RuleReloaderOptions options = no_watch();
  options.config_file = config_dir / "vigia.yaml";
  Rig rig(options);
  REQUIRE(rig.reloader->start().ok());

  rig.reloader->request();
  REQUIRE(rig.reloader->wait_completed(1, 20s));
  CHECK_THAT(log.text(), !Catch::Contains("needs a restart"));

  test::write_file(config_dir / "vigia.yaml", "bus: {kind: kafka}\n");
  rig.reloader->request();
  REQUIRE(rig.reloader->wait_completed(2, 20s));
  rig.reloader->stop();
  CHECK_THAT(log.text(), Catch::Contains((config_dir / "vigia.yaml").string() + " changed since start"));
  CHECK_THAT(log.text(), Catch::Contains("needs a restart"));
  CHECK(rig.running() == version_of(test::kFakeVaccineRuleFile));
  CHECK_THAT(rig.metrics(), Catch::Contains(R"(vigia_rules_reloads_total{result="unchanged"} 2)"));
}
