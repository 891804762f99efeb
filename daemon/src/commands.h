// The CLI subcommands. Each returns the process exit code: 0 success, 1 runtime failure or
// failing tests, 2 bad config, rules or usage (STYLE.md §4).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "vigia/daemon/role.h"

namespace vigia::daemon {

struct ScanOptions {
  std::vector<std::filesystem::path> rules;
  std::vector<std::filesystem::path> compare_rules;  // when set: report items whose hits differ
  std::string input = "-";  // a file, or "-" for stdin
  bool explain = false;
};
int scan_command(const ScanOptions& options);

int rules_check_command(const std::vector<std::filesystem::path>& paths, bool json);
int rules_test_command(const std::vector<std::filesystem::path>& paths);

int config_check_command(const std::filesystem::path& config);

struct FetchOptions {
  std::filesystem::path config;      // fetch the feeds of this config...
  std::vector<std::string> feeds;    // ...only these (empty: all)
  bool once = false;                 // one poll each, then exit; else keep polling until a signal
  std::vector<std::string> sources;  // or these URLs / files instead of a config
  bool allow_private = false;        // for URL sources: allow loopback and private addresses
};
int fetch_command(const FetchOptions& options);
// `vigia run`: every stage in this process (Role::kAll), or in Kafka mode only one of them.
int run_command(const std::filesystem::path& config, Role role);

// `vigia alerts replay-dlq`: 0 when every dead letter replayed was delivered (or, for a dry run,
// would be sent), 1 when some failed again, were kept (unknown sink, open circuit, unparseable
// line) or the file could not be rewritten, 2 for a bad config or an unknown --sink.
struct ReplayDlqOptions {
  std::filesystem::path config;
  std::filesystem::path file;  // empty: the config's state_dir/dead-letters.jsonl
  std::string sink;            // only the dead letters of this sink (empty: all)
  bool dry_run = false;        // print what would be sent; change nothing
};
int alerts_replay_dlq_command(const ReplayDlqOptions& options);

// `vigia dev mock-kafka`: librdkafka's mock cluster for tests and development (see
// mock_kafka_command.cpp for its stdin protocol). 0 on quit, EOF or SIGINT/SIGTERM, 2 for bad
// options, 1 when the cluster cannot start.
struct MockKafkaOptions {
  int brokers = 3;
  std::vector<std::string> topics;   // NAME:PARTITIONS, created before the bootstrap line is printed
  std::filesystem::path ready_file;  // gets the bootstrap string (no newline) once ready
};
int mock_kafka_command(const MockKafkaOptions& options);

}  // namespace vigia::daemon
