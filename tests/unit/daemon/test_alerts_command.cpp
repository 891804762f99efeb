// `vigia alerts replay-dlq` as an operator runs it: the real binary, dead letters written the way
// the daemon writes them (DeadLetterFile::append), real webhook receivers on loopback.
#include <catch2/catch.hpp>

#include <sstream>

#include "support/loopback_server.h"
#include "support/process.h"
#include "support/test_paths.h"
#include "vigia/alerting/dead_letter.h"
#include "vigia/core/codec.h"

using namespace vigia;
using namespace vigia::test;
using namespace std::chrono_literals;

namespace {

Alert make_alert(const std::string& id, std::uint64_t sequence) {
  Alert a;
  a.id = id;
  a.rule = "test-fake-vaccines";
  a.title = "Counterfeit vaccines offered";
  a.severity = "high";
  a.score = 4.5;
  a.category = "fake_vaccine_site";
  a.sequence = sequence;
  a.tags = {"health"};
  a.item = {"item-" + id, "Venden vacunas falsas en Puebla", "https://noticias.example.mx/" + id, "loopback",
            parse_rfc3339("2021-05-03T17:00:00Z"), parse_rfc3339("2021-05-03T17:00:01.250Z")};
  a.snippets = {{"fake", "title", 7, 21, "Venden [[vacunas falsas]] en Puebla"}};
  a.entities = {{"cartels", {"CJNG"}}};
  a.story = {"story-" + id, {"loopback", "otro"}};
  a.first_seen = *parse_rfc3339("2021-05-03T17:00:02Z");
  a.last_seen = *parse_rfc3339("2021-05-03T17:05:00Z");
  return a;
}

alerting::DeadLetter letter(const std::string& sink) {
  return {sink, "http_5xx", "HTTP 503 from the receiver", 5, *parse_rfc3339("2021-05-03T18:00:00Z")};
}

// "hook" answers 200, "down" always 500; both retry fast.
std::string replay_config(const TempDir& dir, const LoopbackServer& hooks) {
  return "state_dir: " + (dir / "state").string() + "\n"
         "rules: {paths: [" + (source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml").string() + "]}\n"
         "sinks:\n"
         "  - {name: hook, type: webhook, url: \"" + hooks.url("/ok") + "\", allow_private: true,"
         " max_attempts: 2, backoff: 10ms}\n"
         "  - {name: down, type: webhook, url: \"" + hooks.url("/down") + "\", allow_private: true,"
         " max_attempts: 2, backoff: 10ms}\n";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> webhook_ids(const LoopbackServer& server, const std::string& path) {
  std::vector<std::string> ids;
  for (const auto& r : server.requests()) {
    if (r.path == path) ids.push_back(r.header("webhook-id"));
  }
  return ids;
}

}  // namespace

TEST_CASE("a dead letter decodes back to the alert the daemon encoded", "[daemon][alerts]") {
  const Alert a = make_alert("a1", 3);
  const std::string line = alerting::encode_dead_letter(letter("hook"), a);
  auto decoded = alerting::decode_dead_letter(line);
  REQUIRE(decoded.ok());
  CHECK(decoded->letter.sink == "hook");
  CHECK(decoded->letter.reason == "http_5xx");
  CHECK(decoded->letter.attempts == 5);
  CHECK(encode_alert(decoded->alert) == encode_alert(a));
  CHECK(alerting::encode_dead_letter(decoded->letter, decoded->alert) == line);

  CHECK(alerting::decode_dead_letter("{broken").error().reason == "json");
  CHECK(alerting::decode_dead_letter(R"({"sink":"hook"})").error().message == "dead_letter.alert is missing");
  CHECK(alerting::decode_dead_letter(R"({"sink":"hook","alert":{"id":"x","score":"high"}})").error().message ==
        "alert.score must be a number");
}

TEST_CASE("replay-dlq re-delivers with the original webhook-id and keeps only what still fails", "[daemon][alerts]") {
  LoopbackServer hooks;
  hooks.on("POST", "/ok", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });
  hooks.on("POST", "/down", [](const ReceivedRequest&) { return CannedResponse{500, "no", "text/plain", {}}; });
  TempDir dir;
  write_file(dir / "vigia.yaml", replay_config(dir, hooks));
  const auto file = dir / "state" / "dead-letters.jsonl";
  {
    alerting::DeadLetterFile dlq(file);
    REQUIRE(dlq.append(letter("hook"), make_alert("a1", 1)).ok());
    REQUIRE(dlq.append(letter("down"), make_alert("a2", 1)).ok());
    REQUIRE(dlq.append(letter("hook"), make_alert("a3", 4)).ok());
    REQUIRE(dlq.append(letter("gone"), make_alert("a4", 1)).ok());
  }
  std::string original = read_file(file) + "{not a dead letter\n";
  write_file(file, original);
  const auto before = lines_of(original);
  REQUIRE(before.size() == 5);

  const std::vector<std::string> argv{vigia_binary(), "alerts", "replay-dlq", "--config",
                                      (dir / "vigia.yaml").string()};

  SECTION("--dry-run prints what it would send and changes nothing") {
    auto argv_dry = argv;
    argv_dry.push_back("--dry-run");
    auto r = run_process(argv_dry);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);  // the unknown sink and the broken line would be kept
    CHECK_THAT(r.out, Catch::Contains("would send alert a1 (rule test-fake-vaccines, sequence 1) to sink hook"));
    CHECK_THAT(r.out, Catch::Contains("would send alert a3 (rule test-fake-vaccines, sequence 4) to sink hook"));
    CHECK_THAT(r.out, Catch::Contains("sink hook: would send 2, would keep 0"));
    CHECK_THAT(r.out, Catch::Contains("sink gone: would send 0, would keep 1 (not in the config)"));
    CHECK(hooks.requests().empty());
    CHECK(read_file(file) == original);
    CHECK_FALSE(std::filesystem::exists(file.string() + ".replay.lock"));
  }

  SECTION("a replay delivers, counts per sink and rewrites the file") {
    auto r = run_process(argv);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(webhook_ids(hooks, "/ok") == std::vector<std::string>{"a1", "a3-4"});
    CHECK(webhook_ids(hooks, "/down") == std::vector<std::string>{"a2", "a2"});  // its own max_attempts
    const auto sent = hooks.requests();
    CHECK_THAT(sent.at(0).body, Catch::Contains(R"("id":"a1")"));
    CHECK_THAT(r.out, Catch::Contains("sink hook: delivered 2, failed again 0, kept 0\n"));
    CHECK_THAT(r.out, Catch::Contains("sink down: delivered 0, failed again 1, kept 0\n"));
    CHECK_THAT(r.out, Catch::Contains("sink gone: delivered 0, failed again 0, kept 1 (not in the config)\n"));
    CHECK_THAT(r.out, Catch::Contains("1 unparseable line(s) kept"));
    CHECK_THAT(r.err, Catch::Contains(file.string() + ":5: error[dead_letter.json]"));

    const auto after = lines_of(read_file(file));
    REQUIRE(after.size() == 3);
    auto again = alerting::decode_dead_letter(after[0]);
    REQUIRE(again.ok());
    CHECK(again->alert.id == "a2");
    CHECK(again->letter.attempts == 7);  // 5 before, 2 in the replay
    CHECK(again->letter.reason == "http_5xx");
    CHECK(again->letter.at > *parse_rfc3339("2021-05-03T18:00:00Z"));
    CHECK(encode_alert(again->alert) == encode_alert(make_alert("a2", 1)));
    CHECK(after[1] == before[3]);  // the unknown sink's line, untouched
    CHECK(after[2] == "{not a dead letter");

    // Once the receiver is back, --sink replays only its letters; the rest stay as they are.
    hooks.on("POST", "/down", [](const ReceivedRequest&) { return CannedResponse{202, "", "text/plain", {}}; });
    auto only_down = argv;
    only_down.insert(only_down.end(), {"--sink", "down"});
    auto r2 = run_process(only_down);
    INFO(r2.out << r2.err);
    CHECK(r2.exit_code == 1);  // the broken line is still there
    CHECK_THAT(r2.out, Catch::Contains("sink down: delivered 1, failed again 0, kept 0\n"));
    CHECK(r2.out.find("sink gone") == std::string::npos);
    CHECK(lines_of(read_file(file)) == std::vector<std::string>{before[3], "{not a dead letter"});
  }
}

TEST_CASE("replay-dlq exits 0 when everything is delivered and keeps letters appended meanwhile", "[daemon][alerts]") {
  LoopbackServer hooks;
  TempDir dir;
  const auto file = dir / "elsewhere" / "dlq.jsonl";
  // The daemon dead-letters while the replay is waiting on the receiver: that line must survive.
  hooks.on("POST", "/ok", [&file](const ReceivedRequest& req) {
    if (req.header("webhook-id") == "b1") {
      alerting::DeadLetterFile daemon_side(file);
      (void)daemon_side.append(letter("hook"), make_alert("late", 1));
    }
    return CannedResponse{200, "ok", "text/plain", {}};
  });
  write_file(dir / "vigia.yaml", replay_config(dir, hooks));
  {
    alerting::DeadLetterFile dlq(file);
    REQUIRE(dlq.append(letter("hook"), make_alert("b1", 1)).ok());
    REQUIRE(dlq.append(letter("hook"), make_alert("b2", 2)).ok());
  }
  auto r = run_process(
      {vigia_binary(), "alerts", "replay-dlq", "--config", (dir / "vigia.yaml").string(), "--file", file.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "sink hook: delivered 2, failed again 0, kept 0\n");
  CHECK(webhook_ids(hooks, "/ok") == std::vector<std::string>{"b1", "b2-2"});
  const auto after = lines_of(read_file(file));
  REQUIRE(after.size() == 1);
  CHECK(alerting::decode_dead_letter(after[0])->alert.id == "late");

  // Nothing left but the late one; an empty file then has nothing to replay.
  write_file(file, "");
  auto empty = run_process(
      {vigia_binary(), "alerts", "replay-dlq", "--config", (dir / "vigia.yaml").string(), "--file", file.string()});
  CHECK(empty.exit_code == 0);
  CHECK_THAT(empty.out, Catch::Contains("nothing to replay"));
}

TEST_CASE("replay-dlq exits 2 for a bad config or an unknown --sink", "[daemon][alerts]") {
  LoopbackServer hooks;
  TempDir dir;
  write_file(dir / "bad.yaml", "sinks:\n  - {name: hook, type: webhok}\n");
  auto bad = run_process({vigia_binary(), "alerts", "replay-dlq", "--config", (dir / "bad.yaml").string()});
  CHECK(bad.exit_code == 2);

  write_file(dir / "vigia.yaml", replay_config(dir, hooks));
  auto unknown = run_process(
      {vigia_binary(), "alerts", "replay-dlq", "--config", (dir / "vigia.yaml").string(), "--sink", "nope"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("--sink nope: no such sink"));
  CHECK_FALSE(std::filesystem::exists(dir / "state"));
}
