// `vigia alerts replay-dlq`: re-deliver the dead-letter file's alerts to the sinks they failed on.
// The sinks are the config's own (built by prepare(), as `vigia run` builds them), each with its
// retry policy; the alert goes out unchanged, so its id and webhook-id are the ones a receiver
// may already have seen and can drop.
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "commands.h"
#include "pipeline.h"
#include "vigia/alerting/dead_letter.h"
#include "vigia/core/log.h"

namespace vigia::daemon {
namespace {

struct SinkTally {
  std::size_t delivered = 0;
  std::size_t failed = 0;
  std::size_t kept = 0;     // not attempted: the sink is gone from the config, or its circuit opened
  std::size_t planned = 0;  // dry run: would be sent
  std::string note;         // why lines were kept, once per sink
};

}  // namespace

int alerts_replay_dlq_command(const ReplayDlqOptions& options) {
  Registries registries;
  // A dry prepare: no state database is opened, so a running daemon's vigia.db is left alone.
  auto outcome = prepare(options.config, registries, /*dry_run=*/true);
  if (!outcome.prepared) return outcome.exit_code;
  Prepared& p = *outcome.prepared;
  log::set_level(p.config.log_level);

  std::map<std::string, std::pair<alerting::SinkSpec, alerting::Sink*>> sinks;
  for (auto& [spec, sink] : p.sinks) sinks.emplace(spec.name, std::make_pair(spec, sink.get()));
  if (!options.sink.empty() && !sinks.contains(options.sink)) {
    std::fprintf(stderr, "vigia: --sink %s: no such sink in %s\n", options.sink.c_str(), options.config.c_str());
    return 2;
  }
  const std::filesystem::path file = options.file.empty() ? p.config.state_dir / "dead-letters.jsonl" : options.file;

  std::optional<alerting::DeadLetterRewrite> rewrite;
  std::vector<std::string> lines;
  if (options.dry_run) {
    auto read = alerting::read_dead_letter_lines(file);
    if (!read) {
      std::fprintf(stderr, "vigia: %s\n", read.error().message.c_str());
      return 1;
    }
    lines = std::move(*read);
  } else {
    auto opened = alerting::DeadLetterRewrite::open(file);
    if (!opened) {
      std::fprintf(stderr, "vigia: %s\n", opened.error().message.c_str());
      return 1;
    }
    rewrite.emplace(std::move(*opened));
    lines = rewrite->lines();
  }

  std::map<std::string, SinkTally> tallies;
  std::vector<std::string> order;  // sinks in the order the file names them
  auto tally = [&](const std::string& sink) -> SinkTally& {
    if (!tallies.contains(sink)) order.push_back(sink);
    return tallies[sink];
  };
  std::map<std::string, int> consecutive_failures;  // per sink, as the stage's circuit counts them
  std::size_t unparseable = 0;
  std::vector<std::string> kept;
  const auto sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  const ClockPtr clock = system_clock();

  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank: nothing to keep
    auto decoded = alerting::decode_dead_letter(line);
    if (!decoded) {
      std::fprintf(stderr, "%s:%zu: error[dead_letter.%s]: %s; line kept\n", file.c_str(), i + 1,
                   decoded.error().reason.c_str(), decoded.error().message.c_str());
      ++unparseable;
      kept.push_back(line);
      continue;
    }
    auto& [letter, alert] = *decoded;
    if (!options.sink.empty() && letter.sink != options.sink) {
      kept.push_back(line);  // not this replay's business
      continue;
    }
    SinkTally& t = tally(letter.sink);
    const auto found = sinks.find(letter.sink);
    if (found == sinks.end()) {
      if (t.note.empty()) {
        t.note = "not in the config";
        std::fprintf(stderr, "vigia: sink %s is not in %s; its dead letters are kept\n", letter.sink.c_str(),
                     options.config.c_str());
      }
      ++t.kept;
      kept.push_back(line);
      continue;
    }
    const auto& [spec, sink] = found->second;
    if (options.dry_run) {
      std::printf("would send alert %s (rule %s, sequence %llu) to sink %s; dead-lettered %s after %d attempt(s): %s\n",
                  alert.id.c_str(), alert.rule.c_str(), static_cast<unsigned long long>(alert.sequence),
                  letter.sink.c_str(), format_rfc3339(letter.at).c_str(), letter.attempts, letter.reason.c_str());
      ++t.planned;
      continue;
    }
    int& failures = consecutive_failures[letter.sink];
    if (failures >= spec.retry.circuit_failures) {
      // The sink's circuit would be open: the rest of its letters wait for the next replay
      // instead of each spending a full round of backoff on a receiver that is down.
      if (t.note.empty()) t.note = "circuit open after " + std::to_string(failures) + " failures in a row";
      ++t.kept;
      kept.push_back(line);
      continue;
    }
    const alerting::Redelivery r = alerting::redeliver(*sink, alert, spec.retry, sleep);
    if (r.last.outcome == alerting::Delivery::kDelivered) {
      failures = 0;
      ++t.delivered;
      continue;  // dropped from the file
    }
    failures += r.retryable_failures;
    ++t.failed;
    std::fprintf(stderr, "vigia: sink %s: alert %s failed again after %d attempt(s): %s: %s\n", letter.sink.c_str(),
                 alert.id.c_str(), r.attempts, r.last.reason.c_str(), r.last.message.c_str());
    alerting::DeadLetter again{letter.sink, r.last.reason, r.last.message, letter.attempts + r.attempts, clock->now()};
    kept.push_back(alerting::encode_dead_letter(again, alert));
  }

  int exit_code = 0;
  if (rewrite) {
    if (auto s = rewrite->commit(kept); !s.ok()) {
      // Delivered alerts stay in the file and go out again next time, with the same ids.
      std::fprintf(stderr, "vigia: the dead-letter file was not rewritten: %s\n", s.error().message.c_str());
      exit_code = 1;
    }
  }

  for (const auto& name : order) {
    const SinkTally& t = tallies[name];
    if (options.dry_run) {
      std::printf("sink %s: would send %zu, would keep %zu%s\n", name.c_str(), t.planned, t.kept,
                  t.note.empty() ? "" : (" (" + t.note + ")").c_str());
    } else {
      std::printf("sink %s: delivered %zu, failed again %zu, kept %zu%s\n", name.c_str(), t.delivered, t.failed, t.kept,
                  t.note.empty() ? "" : (" (" + t.note + ")").c_str());
    }
    if (t.failed || t.kept) exit_code = 1;
  }
  if (unparseable) {
    std::printf("%zu unparseable line(s) kept in %s\n", unparseable, file.c_str());
    exit_code = 1;
  }
  if (order.empty() && !unparseable) std::printf("nothing to replay in %s\n", file.c_str());
  return exit_code;
}

}  // namespace vigia::daemon
