#include "vigia/daemon/cli.h"

#include <CLI/CLI.hpp>

#include "commands.h"
#include "health_command.h"

namespace vigia::daemon {

int main(int argc, char** argv) {
  CLI::App app{"Vigía — streaming OSINT monitoring of news feeds against rule packs"};
  app.set_version_flag("--version", std::string("vigia ") + VIGIA_VERSION);
  app.require_subcommand(1);

  std::filesystem::path run_config;
  std::string run_role = "all";
  auto* run = app.add_subcommand("run", "Run the pipeline: fetch feeds, score items, deliver alerts");
  run->add_option("-c,--config", run_config, "Config file (e.g. config/vigia.yaml)")->required();
  run->add_option("--role", run_role,
                  "Stages to run: all (default), or with bus.kind: kafka only one of ingest (fetch feeds), score "
                  "(match rules) or alert (deliver to sinks), so that each runs and scales in its own processes")
      ->check(CLI::IsMember({"all", "ingest", "score", "alert"}));

  ScanOptions scan;
  auto* scan_cmd = app.add_subcommand("scan", "Score JSONL items offline; print one JSON line per item that matched");
  // One value per -r, so the positional input is never swallowed as a second rules path.
  scan_cmd->add_option("-r,--rules", scan.rules, "Rule file or folder (repeat -r for more)")->required()->allow_extra_args(false);
  scan_cmd->add_option("input", scan.input, "JSONL items file, or - for stdin (default)");
  scan_cmd->add_flag("--explain", scan.explain, "Print a readable explanation per item instead of JSON");
  scan_cmd->add_option("--compare-rules", scan.compare_rules,
                       "Print only the items whose hits differ between --rules and these rules (repeat for more)")
      ->allow_extra_args(false);

  auto* rules = app.add_subcommand("rules", "Work on rule packs");
  rules->require_subcommand(1);
  std::vector<std::filesystem::path> check_paths;
  std::string check_format = "text";
  auto* check = rules->add_subcommand("check", "Validate rule files; errors print as file:line:col");
  check->add_option("paths", check_paths, "Rule files or folders")->required();
  check->add_option("--format", check_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  std::vector<std::filesystem::path> test_paths;
  auto* test = rules->add_subcommand("test", "Run the tests embedded in rule files");
  test->add_option("paths", test_paths, "Rule files or folders")->required();

  auto* config = app.add_subcommand("config", "Work on the daemon's config");
  config->require_subcommand(1);
  std::filesystem::path check_config;
  auto* config_check = config->add_subcommand("check", "Validate a config and the rules it names (a dry run of `run`)");
  config_check->add_option("-c,--config", check_config, "Config file")->required();

  FetchOptions fetch;
  auto* fetch_cmd = app.add_subcommand(
      "fetch", "Print what the connectors make of sources, as Item JSONL (the input of `vigia scan`)");
  fetch_cmd->add_option("-c,--config", fetch.config, "Fetch the feeds of this config");
  fetch_cmd->add_option("--feed", fetch.feeds, "Only this feed of the config (repeat for more)")->allow_extra_args(false);
  fetch_cmd->add_flag("--once", fetch.once, "Poll each feed once and exit (default for URLs and files)");
  fetch_cmd->add_flag("--allow-private", fetch.allow_private, "Allow URL sources on loopback or private addresses");
  fetch_cmd->add_option("sources", fetch.sources, "Feed URLs or files (RSS, RDF, Atom, JSON Feed, JSONL)");

  auto* alerts = app.add_subcommand("alerts", "Work on alerts the daemon could not deliver");
  alerts->require_subcommand(1);
  ReplayDlqOptions replay;
  auto* replay_cmd = alerts->add_subcommand(
      "replay-dlq", "Re-deliver dead-lettered alerts to their sinks; delivered ones leave the dead-letter file");
  replay_cmd->add_option("-c,--config", replay.config, "Config file (its sinks and state_dir)")->required();
  replay_cmd->add_option("--file", replay.file, "Dead-letter file (default: state_dir/dead-letters.jsonl)");
  replay_cmd->add_option("--sink", replay.sink, "Only the dead letters of this sink");
  replay_cmd->add_flag("--dry-run", replay.dry_run, "Print what would be sent; change nothing");

  HealthOptions health;
  int health_timeout_ms = static_cast<int>(health.timeout.count());
  auto* health_cmd = app.add_subcommand(
      "health", "Exit 0 if a running daemon's /healthz answers 200, else 1 with the reason (a container HEALTHCHECK)");
  auto* health_url_opt = health_cmd->add_option("--url", health.url, "Probe this URL (e.g. http://127.0.0.1:9464/healthz)");
  health_cmd->add_option("-c,--config", health.config, "Probe the http.listen address of this config")
      ->excludes(health_url_opt);
  health_cmd->add_option("--timeout-ms", health_timeout_ms, "Give up after this long (default 5000)")
      ->check(CLI::Range(1, 600'000));

  // Developer tools: left out of the main help (group ""), but each has its own --help.
  auto* dev = app.add_subcommand("dev", "Developer tools")->group("");
  dev->require_subcommand(1);
  MockKafkaOptions mock_kafka;
  auto* mock_kafka_cmd = dev->add_subcommand(
      "mock-kafka",
      "Run librdkafka's mock Kafka cluster on loopback for tests and development. Prints "
      "`bootstrap.servers=HOST:PORT,...`, then answers each stdin command with `ok` or `error: ...`: "
      "down ID, up ID (broker ids 1..N), rtt ID MS, topic NAME:PARTITIONS, quit. Ends on quit, EOF on stdin, "
      "SIGINT or SIGTERM. No CreateTopics admin API: make topics with --topic (or they are auto-created)");
  mock_kafka_cmd->add_option("--brokers", mock_kafka.brokers, "Number of brokers (default 3)")
      ->check(CLI::Range(1, 64));
  mock_kafka_cmd
      ->add_option("--topic", mock_kafka.topics,
                   "Create topic NAME:PARTITIONS at start, replication min(3, brokers) (repeat for more)")
      ->allow_extra_args(false);
  mock_kafka_cmd->add_option("--ready-file", mock_kafka.ready_file,
                             "Once ready, write the bootstrap servers here (atomically, no newline)");

  try {
    app.parse(argc, argv);
    if (fetch_cmd->parsed() && fetch.config.empty() == fetch.sources.empty()) {
      throw CLI::ValidationError("fetch", "give either --config FILE or URLs/files, not both and not neither");
    }
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (run->parsed()) return run_command(run_config, parse_role(run_role).value_or(Role::kAll));
  if (scan_cmd->parsed()) return scan_command(scan);
  if (check->parsed()) return rules_check_command(check_paths, check_format == "json");
  if (test->parsed()) return rules_test_command(test_paths);
  if (config_check->parsed()) return config_check_command(check_config);
  if (fetch_cmd->parsed()) return fetch_command(fetch);
  if (replay_cmd->parsed()) return alerts_replay_dlq_command(replay);
  if (health_cmd->parsed()) {
    health.timeout = std::chrono::milliseconds(health_timeout_ms);
    return health_command(health);
  }
  if (mock_kafka_cmd->parsed()) return mock_kafka_command(mock_kafka);
  return 2;
}

}  // namespace vigia::daemon
