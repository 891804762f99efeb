// The CLI as an operator sees it: exit codes, what goes to stdout and stderr.
#include <catch2/catch.hpp>

#include <sstream>

#include "support/loopback_server.h"
#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia::test;
using vigia::test::LoopbackServer;

namespace {

const char* kRules = R"(lists:
  cartels:
    CJNG: [Cártel Jalisco Nueva Generación]
rules:
  - id: fake-vaccines
    title: Fake vaccines
    category: fake_vaccine_site
    severity: high
    patterns:
      - id: fake
        terms: [vacunas falsas, fake vaccines]
        weight: 2
      - id: cartel
        list: cartels
    threshold: 2
    tests:
      match: [Venden vacunas falsas]
      no_match: [Campaña de vacunación]
)";

}  // namespace

TEST_CASE("vigia scan prints one JSON line per matching item with rule, category, severity, score and terms", "[daemon][cli]") {
  TempDir dir;
  write_file(dir / "r.yaml", kRules);
  const std::string input =
      R"({"id":"a1","title":"Venden VACUNAS FALSAS en Puebla","summary":"El CJNG estaría detrás","extra":1})" "\n"
      R"({"id":"b2","title":"Festival de cine"})" "\n"
      "\n"
      R"({"title":"Fake vaccines seized in Texas"})" "\n";
  auto r = run_process({vigia_binary(), "scan", "--rules", (dir / "r.yaml").string(), "-"}, input);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        R"({"id":"a1","line":1,"matches":[{"rule":"fake-vaccines","title":"Fake vaccines","category":"fake_vaccine_site","severity":"high","score":5,"terms":[{"pattern":"fake","field":"title","start":7,"end":21,"snippet":"Venden [[VACUNAS FALSAS]] en Puebla"},{"pattern":"cartel:CJNG","field":"summary","start":3,"end":7,"snippet":"El [[CJNG]] estaría detrás"}],"breakdown":{"fake":4,"cartel":1}}],"entities":{"cartels":["CJNG"]}})" "\n"
        R"({"id":null,"line":4,"matches":[{"rule":"fake-vaccines","title":"Fake vaccines","category":"fake_vaccine_site","severity":"high","score":4,"terms":[{"pattern":"fake","field":"title","start":0,"end":13,"snippet":"[[Fake vaccines]] seized in Texas"}],"breakdown":{"fake":4}}],"entities":{}})" "\n");
}

TEST_CASE("vigia scan reads a file argument and reports bad lines by file and line", "[daemon][cli]") {
  TempDir dir;
  write_file(dir / "r.yaml", kRules);
  write_file(dir / "items.jsonl", "{\"id\":\"ok\",\"title\":\"vacunas falsas\"}\n{broken\n{\"title\": 7}\n");
  auto r = run_process({vigia_binary(), "scan", "-r", (dir / "r.yaml").string(), (dir / "items.jsonl").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::StartsWith(R"({"id":"ok","line":1,)"));
  CHECK_THAT(r.err, Catch::Contains((dir / "items.jsonl").string() + ":2: error[item.json]"));
  CHECK_THAT(r.err, Catch::Contains((dir / "items.jsonl").string() + ":3: error[item.schema]: item.title must be a string"));
}

TEST_CASE("vigia scan fails clearly on unreadable rules or input", "[daemon][cli]") {
  TempDir dir;
  write_file(dir / "r.yaml", kRules);
  auto no_input = run_process({vigia_binary(), "scan", "-r", (dir / "r.yaml").string(), (dir / "missing.jsonl").string()});
  CHECK(no_input.exit_code == 1);
  CHECK_THAT(no_input.err, Catch::Contains("cannot read " + (dir / "missing.jsonl").string()));

  write_file(dir / "bad.yaml", "rules:\n  - id: x\n    title: [\n");
  auto bad_rules = run_process({vigia_binary(), "scan", "-r", (dir / "bad.yaml").string()}, "{\"title\":\"x\"}\n");
  CHECK(bad_rules.exit_code == 2);
  CHECK_THAT(bad_rules.err, Catch::Contains((dir / "bad.yaml").string() + ":"));
  CHECK_THAT(bad_rules.err, Catch::Contains("error[yaml.syntax]"));
  CHECK(bad_rules.out.empty());
}

TEST_CASE("vigia rules check prints file:line:col errors and exits non-zero", "[daemon][cli]") {
  TempDir dir;
  write_file(dir / "r.yaml", "rules:\n  - id: x\n    title: T\n    category: c\n    severity: high\n    treshold: 2\n"
                             "    patterns:\n      - id: p\n        terms: [a]\n");
  auto r = run_process({vigia_binary(), "rules", "check", (dir / "r.yaml").string()});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Catch::Contains((dir / "r.yaml").string() +
                                    ":6:5: error[rule.unknown-key]: unknown key 'treshold' in rule 'x' (did you mean 'threshold'?)"));
  CHECK_THAT(r.out, Catch::Contains("    treshold: 2\n      ^"));

  auto json = run_process({vigia_binary(), "rules", "check", "--format", "json", (dir / "r.yaml").string()});
  CHECK(json.exit_code == 2);
  CHECK_THAT(json.out, Catch::Contains(R"("line":6,"column":5,"severity":"error","code":"rule.unknown-key")"));
}

TEST_CASE("vigia rules check and test accept a good pack", "[daemon][cli]") {
  TempDir dir;
  write_file(dir / "packs" / "r.yaml", kRules);
  auto check = run_process({vigia_binary(), "rules", "check", (dir / "packs").string()});
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.out, Catch::StartsWith("OK: 1 rules (1 enabled), 1 lists"));
  auto test = run_process({vigia_binary(), "rules", "test", (dir / "packs").string()});
  CHECK(test.exit_code == 0);
  CHECK_THAT(test.out, Catch::Contains("2 passed, 0 failed"));
}

TEST_CASE("vigia rules test fails with an explanation when a sample misbehaves", "[daemon][cli]") {
  TempDir dir;
  std::string rules = kRules;
  const std::string harmless = "[Campaña de vacunación]";
  rules.replace(rules.find(harmless), harmless.size(), "[Detectan vacunas falsas]");
  write_file(dir / "r.yaml", rules);
  auto test = run_process({vigia_binary(), "rules", "test", (dir / "r.yaml").string()});
  CHECK(test.exit_code == 1);
  CHECK_THAT(test.out, Catch::Contains(":18: FAIL expected rule 'fake-vaccines' not to match but it did"));
  CHECK_THAT(test.out, Catch::Contains("1 passed, 1 failed"));
}

TEST_CASE("vigia without a subcommand or with a bad option exits 2 with usage", "[daemon][cli]") {
  auto none = run_process({vigia_binary()});
  CHECK(none.exit_code == 2);
  auto bad = run_process({vigia_binary(), "scan", "--no-such-flag"});
  CHECK(bad.exit_code == 2);
  auto version = run_process({vigia_binary(), "--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("vigia "));
}

TEST_CASE("vigia config check validates the shipped default config and its packs", "[daemon][cli]") {
  auto r = run_process({vigia_binary(), "config", "check", "--config", (source_dir() / "config" / "vigia.yaml").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("OK: "));
}

TEST_CASE("vigia fetch prints a feed file as Item JSONL that vigia scan reads", "[daemon][cli][fetch]") {
  const auto atom = source_dir() / "config" / "samples" / "security-en.atom";
  auto r = run_process({vigia_binary(), "fetch", atom.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("security-en.atom: 8 items"));
  std::istringstream lines(r.out);
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    for (const char* field : {R"("id":")", R"("title":")", R"("url":")", R"("published":")", R"("summary":)", R"("content":)"}) {
      CHECK_THAT(line, Catch::Contains(field));
    }
  }
  CHECK(n == 8);

  auto scanned = run_process({vigia_binary(), "scan", "-r", (source_dir() / "rules" / "packs").string()}, r.out);
  CHECK(scanned.exit_code == 0);
  CHECK_THAT(scanned.out, Catch::Contains("fake-covid-vaccine-or-test-site"));
}

TEST_CASE("vigia fetch refuses a file that is not a feed, and internal URLs unless allowed", "[daemon][cli][fetch]") {
  TempDir dir;
  write_file(dir / "notes.txt", "just some notes, not a feed\n");
  auto bad = run_process({vigia_binary(), "fetch", (dir / "notes.txt").string()});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK_THAT(bad.err, Catch::Contains("notes.txt") && Catch::Contains("[parse]"));

  LoopbackServer server;
  server.serve("/feed.xml",
               "<rss version=\"2.0\"><channel><title>t</title><item><title>Uno</title>"
               "<link>https://e.example/1</link></item></channel></rss>",
               "application/rss+xml");
  auto refused = run_process({vigia_binary(), "fetch", server.url("/feed.xml")});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("[blocked_address]"));
  auto allowed = run_process({vigia_binary(), "fetch", "--allow-private", server.url("/feed.xml")});
  CHECK(allowed.exit_code == 0);
  CHECK_THAT(allowed.out, Catch::Contains(R"("title":"Uno")"));
}

TEST_CASE("vigia fetch --config --feed --once polls one configured feed", "[daemon][cli][fetch]") {
  const auto config = (source_dir() / "config" / "vigia.yaml").string();
  auto r = run_process({vigia_binary(), "fetch", "--config", config, "--feed", "samples", "--once"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("samples: 26 items"));
  auto unknown = run_process({vigia_binary(), "fetch", "--config", config, "--feed", "nope", "--once"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("no feed named 'nope'"));
  auto neither = run_process({vigia_binary(), "fetch"});
  CHECK(neither.exit_code == 2);
}

TEST_CASE("vigia scan --compare-rules prints only the items whose hits differ between two rule versions", "[daemon][cli]") {
  TempDir dir;
  write_file(dir / "old.yaml", kRules);
  std::string changed = kRules;
  // The new version also counts "vacuna falsa" and weighs the cartel more.
  changed.replace(changed.find("[vacunas falsas, fake vaccines]"), 31, "[vacunas falsas, vacuna falsa, fake vaccines]");
  changed.replace(changed.find("      - id: cartel\n        list: cartels\n"), 41,
                  "      - id: cartel\n        list: cartels\n        weight: 3\n");
  write_file(dir / "new.yaml", changed);
  const std::string input =
      R"({"id":"same","title":"Festival de cine"})" "\n"
      R"({"id":"more","title":"Decomisan una vacuna falsa"})" "\n"
      R"({"id":"score","title":"Vacunas falsas del CJNG"})" "\n";
  auto r = run_process({vigia_binary(), "scan", "-r", (dir / "old.yaml").string(), "--compare-rules",
                        (dir / "new.yaml").string(), "-"},
                       input);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        R"({"id":"more","line":2,"title":"Decomisan una vacuna falsa","added":[{"rule":"fake-vaccines","score":4}],"removed":[],"changed":[]})" "\n"
        R"({"id":"score","line":3,"title":"Vacunas falsas del CJNG","added":[],"removed":[],"changed":[{"rule":"fake-vaccines","before":6,"after":10}]})" "\n");
  CHECK_THAT(r.err, Catch::Contains("3 items, 2 score differently"));
}

TEST_CASE("vigia run --role splits stages only in Kafka mode", "[daemon][cli][kafka]") {
  TempDir dir;
  write_file(dir / "r.yaml", kRules);
  write_file(dir / "vigia.yaml", "http: {listen: \"\"}\nstate_dir: " + (dir / "state").string() +
                                     "\nrules: {paths: [r.yaml]}\nsinks: [{name: c, type: console}]\n");
  auto memory = run_process({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string(), "--role", "score"});
  CHECK(memory.exit_code == 2);
  CHECK_THAT(memory.err, Catch::Contains("vigia: --role score needs bus.kind: kafka (embedded mode runs every stage in "
                                         "one process)"));

  auto bad = run_process({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string(), "--role", "scorer"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--role"));

  auto help = run_process({vigia_binary(), "run", "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("--role") && Catch::Contains("ingest") && Catch::Contains("bus.kind: kafka"));
}

TEST_CASE("vigia dev tools stay out of the main help but have their own", "[daemon][cli][kafka]") {
  auto main_help = run_process({vigia_binary(), "--help"});
  CHECK(main_help.exit_code == 0);
  CHECK_THAT(main_help.out, Catch::Contains("run"));
  // The subcommand list: "dev" is not one of its entries (the binary's own path, shown in the
  // usage line, may well contain "dev", as build/dev does).
  const std::string subcommands = main_help.out.substr(main_help.out.find("Subcommands:"));
  CHECK_THAT(subcommands, !Catch::Contains("\n  dev ") && !Catch::Contains("mock-kafka"));

  auto help = run_process({vigia_binary(), "dev", "mock-kafka", "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("--brokers") && Catch::Contains("--topic") && Catch::Contains("--ready-file"));

  auto bad = run_process({vigia_binary(), "dev", "mock-kafka", "--topic", "no-partitions"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--topic 'no-partitions' must be NAME:PARTITIONS"));
}
