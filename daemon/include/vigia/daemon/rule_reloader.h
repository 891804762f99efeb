// RuleReloader: live rule reload for a running daemon (STYLE.md §6; Falco's restart_handler is
// the model). Two triggers — request() (SIGHUP) and inotify on the configured rule paths — wake
// one thread of its own, which waits for the burst to settle (`debounce` without a new event, at
// most `max_delay` in all: an editor's save is several events, and a checkout is many) and then
// reloads through exactly the path of `vigia rules check` + `vigia rules test`:
//
//   load_rule_set(paths)  ->  run_rule_tests(set)  ->  RuleStore::swap(set)
//
// Outcomes, each logged (logger "rules") and counted in vigia_rules_reloads_total{result}:
//   success    the new set passed and is swapped in; the old and new versions are logged. Score
//              workers pick it up between items (see ScoreStage).
//   unchanged  it passed but its version hash equals the running one: nothing is swapped.
//   failure    it does not load (YAML, schema, compile errors) or an embedded test fails: the
//              running set stays, the diagnostics or failing tests are logged, and an ops event
//              (rule "vigia-rules-reload-failed", category "ops", severity high; see
//              core/ops_event.h) is published to `events_topic` so a receiver can page someone.
//
// What is watched: a configured folder is watched for its *.yaml / *.yml files; a configured file
// through its folder, for that name — editors save by writing a new file and renaming it over the
// old one, which a watch on the file itself would lose. A name "..data" in a watched folder counts
// too: Kubernetes swaps a mounted ConfigMap by renaming that link. Only rule files are reloaded:
// on request() the config file is re-read and, if it changed since start, the log says that its
// changes (bus, roles, feeds, sinks, rule paths) need a restart.
//
// Thread-safety: request() may be called from any thread, the signal thread included — it only
// writes an eventfd. reload() may be called from any thread; reloads are serialised. start() and
// stop() from one controlling thread. Ownership: shares the store; `bus` and `metrics` must outlive
// the reloader. Failure: nothing throws out of the reloader's thread or out of reload(); if inotify
// is unavailable (e.g. fs.inotify.max_user_instances reached) the reloader warns and carries on
// with request() only (gauge vigia_rules_reload_watches = 0).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/core/bus.h"
#include "vigia/core/clock.h"
#include "vigia/core/metrics.h"
#include "vigia/core/result.h"
#include "vigia/rules/rule_store.h"

namespace vigia::daemon {

struct RuleReloaderOptions {
  std::vector<std::filesystem::path> paths;  // the rule paths of the config, as `vigia rules check` takes them
  bool watch = true;                         // inotify on `paths`; false: request() only
  std::chrono::milliseconds debounce{200};   // quiet time that ends a burst of events
  std::chrono::milliseconds max_delay{2000};  // a burst that never pauses reloads after this
  std::string events_topic{topics::kHits};   // where reload failures go as ops events; "" for none
  std::filesystem::path config_file;         // re-read on request() to warn that edits need a restart
};

enum class ReloadResult { kSuccess, kUnchanged, kFailure };

struct ReloadOutcome {
  ReloadResult result = ReloadResult::kFailure;
  std::string running_version;    // the version running once the attempt is over
  std::string candidate_version;  // the version that was loaded; "" when it did not load
  std::string summary;            // one line: what happened
  std::string details;            // diagnostics or failing tests, for the log and the ops event
};

class RuleReloader {
 public:
  RuleReloader(rules::RuleStorePtr store, Bus& bus, MetricsRegistry& metrics, ClockPtr clock,
               RuleReloaderOptions options);
  ~RuleReloader();  // stop()s
  RuleReloader(const RuleReloader&) = delete;
  RuleReloader& operator=(const RuleReloader&) = delete;

  // Sets up the watches and starts the thread. Fails only when the wake-up eventfd or the thread
  // cannot be created; a watch that cannot be set up is a warning.
  Status start();
  // Joins the thread (after a reload in progress). Idempotent; requests afterwards are ignored.
  void stop();

  // Asks for a reload (SIGHUP) and returns at once: it only writes an eventfd, so it is safe on
  // the signal thread. The reload itself runs on the reloader's thread, after the debounce.
  void request() noexcept;

  // Reloads now, on the caller's thread, through the same path as the triggers. `trigger` is
  // what the log says caused it ("SIGHUP", "change to packs/x.yaml", ...).
  ReloadOutcome reload(std::string_view trigger) noexcept;

  // Reload attempts finished so far (any outcome), and a bounded wait for the n-th one: what a
  // test or a controlling thread waits on instead of sleeping.
  std::uint64_t completed() const;
  bool wait_completed(std::uint64_t n, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigia::daemon
