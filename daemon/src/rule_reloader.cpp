#include "vigia/daemon/rule_reloader.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "vigia/core/codec.h"
#include "vigia/core/hash.h"
#include "vigia/core/log.h"
#include "vigia/core/ops_event.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/rule_tests.h"

namespace vigia::daemon {

namespace {

using SteadyClock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr std::string_view kFailedRule = "vigia-rules-reload-failed";
constexpr std::string_view kFailedTitle = "Rule reload failed";
// The ops event carries the diagnostics for whoever is paged; the log has all of them.
constexpr std::size_t kMaxEventDetail = 8 * 1024;
// Kubernetes' atomic writer swaps a mounted ConfigMap's content by renaming this link.
constexpr std::string_view kConfigMapSwap = "..data";
constexpr std::uint32_t kWatchMask =
    IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
    IN_ONLYDIR;

// What a watched folder is watched for: every rule file in it, or some names only.
struct WatchedDir {
  bool any_rule_file = false;
  std::set<std::string, std::less<>> names;
  int wd = -1;  // -1 while not watched (not there yet, or its watch was lost)
};

bool is_rule_file_name(std::string_view name) {
  const auto ext = fs::path(name).extension();
  return ext == ".yaml" || ext == ".yml";
}

std::string file_digest(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream buf;
  buf << in.rdbuf();
  return stable_id(buf.str());
}

std::string cap(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  const std::size_t more = text.size() - max;
  // Cut at a line end so a diagnostic is never half-shown (and UTF-8 is never split).
  const auto cut = text.rfind('\n', max);
  text.resize(cut == std::string::npos ? max : cut + 1);
  return text + "… (" + std::to_string(more) + " more bytes in the daemon log)\n";
}

}  // namespace

struct RuleReloader::Impl {
  Impl(rules::RuleStorePtr s, Bus& b, MetricsRegistry& m, ClockPtr c, RuleReloaderOptions o)
      : store(std::move(s)),
        bus(b),
        clock(std::move(c)),
        options(std::move(o)),
        reloads(counter_family(m, "vigia_rules_reloads_total", "Rule reload attempts by result")),
        success(reloads.Add({{"result", "success"}})),
        unchanged(reloads.Add({{"result", "unchanged"}})),
        failure(reloads.Add({{"result", "failure"}})),
        watches(gauge_family(m, "vigia_rules_reload_watches", "Folders watched for rule file changes").Add({})) {
    wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!options.config_file.empty()) config_digest = file_digest(options.config_file);
    for (const auto& path : options.paths) {
      std::error_code ec;
      if (fs::is_directory(path, ec)) {
        dirs[fs::absolute(path, ec).lexically_normal()].any_rule_file = true;
      } else {
        const fs::path file = fs::absolute(path, ec).lexically_normal();
        dirs[file.parent_path()].names.insert(file.filename().string());
      }
    }
  }

  ~Impl() {
    if (inotify_fd >= 0) ::close(inotify_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  // --- the reload itself -------------------------------------------------------------------

  ReloadOutcome reload(std::string_view trigger) noexcept {
    ReloadOutcome outcome;
    {
      std::lock_guard serial(reload_mu);
      try {
        outcome = reload_locked(trigger);
      } catch (const std::exception& e) {
        // Not expected (the loader reports problems as diagnostics), but a reload must never
        // take the daemon down: it is a failure like any other.
        outcome = fail(trigger, "", "reload aborted", std::string("unexpected error: ") + e.what());
      }
    }
    {
      std::lock_guard lock(done_mu);
      ++done;
    }
    done_cv.notify_all();
    return outcome;
  }

  ReloadOutcome reload_locked(std::string_view trigger) {
    auto log = log::get("rules");
    const rules::RuleSetPtr running = store->current().rules;
    log->info("reloading rules ({}); running version {}", trigger, running->version());

    // The same two steps as `vigia rules check` and `vigia rules test`.
    auto loaded = rules::load_rule_set(options.paths);
    if (!loaded.rules) {
      return fail(trigger, "",
                  "the rule files do not load: " + std::to_string(loaded.diagnostics.error_count()) + " error(s)",
                  loaded.diagnostics.to_text());
    }
    const std::string candidate = loaded.rules->version();
    const auto report = rules::run_rule_tests(loaded.rules);
    if (!report.ok()) {
      std::string details;
      for (const auto& f : report.failures) {
        details += f.where.file + ":" + std::to_string(f.where.line) + ": FAIL " + f.message + "\n";
      }
      return fail(trigger, candidate,
                  std::to_string(report.failures.size()) + " embedded test(s) of version " + candidate + " fail (" +
                      std::to_string(report.passed) + " pass)",
                  details);
    }
    // Warnings do not block a reload, but the operator should see them as `rules check` shows them.
    if (!loaded.diagnostics.all().empty()) log->warn("rule files of version {}:\n{}", candidate, loaded.diagnostics.to_text());

    if (candidate == running->version()) {
      unchanged.Increment();
      ReloadOutcome out{ReloadResult::kUnchanged, candidate, candidate,
                        "rules unchanged (version " + candidate + "): nothing to swap", {}};
      log->info("{}", out.summary);
      return out;
    }
    const auto& next = *loaded.rules;
    const std::string summary = "rules reloaded: version " + running->version() + " -> " + candidate + " (" +
                                std::to_string(next.enabled_rule_count()) + " rules, " +
                                std::to_string(next.expressions().size()) + " expressions, compiled in " +
                                std::to_string(static_cast<long>(next.compile_seconds() * 1000)) + " ms, " +
                                std::to_string(report.passed) + " embedded tests passed)";
    store->swap(std::move(loaded.rules));
    success.Increment();
    log->info("{}", summary);
    return {ReloadResult::kSuccess, candidate, candidate, summary, {}};
  }

  ReloadOutcome fail(std::string_view trigger, const std::string& candidate, const std::string& what,
                     std::string details) {
    const std::string running = store->current().rules->version();
    failure.Increment();
    ReloadOutcome out{ReloadResult::kFailure, running, candidate,
                      "rule reload rejected: " + what + "; still running version " + running, std::move(details)};
    log::get("rules")->error("{} ({})\n{}", out.summary, trigger, out.details);
    if (!options.events_topic.empty()) {
      const Hit event = ops_event("rules", kFailedRule, kFailedTitle, "high", "Rule reload rejected: " + what,
                                  "Still running version " + running + " (reload triggered by " + std::string(trigger) +
                                      ").\n" + cap(out.details, kMaxEventDetail),
                                  1, clock->now());
      // Keyed by rule: in Kafka mode one alert consumer owns the rule's stories.
      if (auto published = bus.publish(options.events_topic, event.matches.front().rule, encode_hit(event));
          !published.ok()) {
        log::get("rules")->error("could not publish the reload failure event: {}", published.error().message);
      }
    }
    return out;
  }

  // --- triggers ------------------------------------------------------------------------------

  // (Re)adds a watch for every folder that has none: at start, and after a folder's watch was
  // lost (it was deleted or renamed and may come back).
  void watch_all() {
    if (inotify_fd < 0) return;
    int active = 0;
    for (auto& [dir, w] : dirs) {
      if (w.wd < 0) {
        w.wd = ::inotify_add_watch(inotify_fd, dir.c_str(), kWatchMask);
        if (w.wd < 0) {
          log::get("rules")->warn("cannot watch {} for rule changes: {}; SIGHUP still reloads", dir.string(),
                                  std::strerror(errno));
        } else {
          by_wd[w.wd] = dir;
        }
      }
      if (w.wd >= 0) ++active;
    }
    watches.Set(active);
  }

  // Reads what inotify has; returns the name of a relevant change ("" if none) and notes lost
  // watches.
  std::string drain_inotify() {
    alignas(inotify_event) char buf[16 * 1024];
    std::string changed;
    for (;;) {
      const ssize_t n = ::read(inotify_fd, buf, sizeof buf);
      if (n <= 0) break;  // EAGAIN: drained
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        if (ev->mask & IN_Q_OVERFLOW) {
          changed = "many files";  // events were lost: reload to be sure
          continue;
        }
        const auto it = by_wd.find(ev->wd);
        if (it == by_wd.end()) continue;
        const fs::path dir = it->second;
        WatchedDir& w = dirs[dir];
        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
          // The folder itself went away (or was renamed): reload what is there now, and watch it
          // again once it is back.
          if (ev->mask & IN_IGNORED) {
            w.wd = -1;
            by_wd.erase(it);
          }
          rewatch = true;
          if (changed.empty()) changed = dir.string();
          continue;
        }
        const std::string_view name = ev->len ? std::string_view(ev->name) : std::string_view();
        if (name == kConfigMapSwap || (w.any_rule_file && is_rule_file_name(name)) || w.names.count(name)) {
          changed = (dir / name).string();
        }
      }
    }
    return changed;
  }

  void loop() noexcept {
    pollfd fds[2] = {{wake_fd, POLLIN, 0}, {inotify_fd, POLLIN, 0}};
    bool pending = false;
    SteadyClock::time_point first{}, last{};
    std::set<std::string> triggers;
    auto note = [&](std::string what) {
      const auto now = SteadyClock::now();
      if (!pending) first = now;
      pending = true;
      last = now;
      triggers.insert(std::move(what));
    };
    while (!stopping.load()) {
      try {
        int timeout = -1;
        if (pending) {
          const auto due = std::min(last + options.debounce, first + options.max_delay);
          timeout = static_cast<int>(
              std::max<long>(0, std::chrono::ceil<std::chrono::milliseconds>(due - SteadyClock::now()).count()));
        }
        const int n = ::poll(fds, inotify_fd >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno != EINTR) {
          log::get("rules")->error("reloader cannot wait for triggers: {}; live reload stops", std::strerror(errno));
          return;
        }
        if (stopping.load()) return;
        if (n > 0 && (fds[0].revents & POLLIN)) {
          std::uint64_t count = 0;
          (void)!::read(wake_fd, &count, sizeof count);
          if (hangups.exchange(0) > 0) {
            note("SIGHUP");
            warn_if_config_changed();
          }
        }
        if (n > 0 && inotify_fd >= 0 && (fds[1].revents & POLLIN)) {
          if (auto changed = drain_inotify(); !changed.empty()) note("change to " + changed);
        }
        if (pending) {
          const auto now = SteadyClock::now();
          if (now >= last + options.debounce || now >= first + options.max_delay) {
            std::string why;
            for (const auto& t : triggers) why += (why.empty() ? "" : ", ") + t;
            pending = false;
            triggers.clear();
            reload(why);
          }
        }
        if (rewatch) {
          rewatch = false;
          watch_all();
        }
      } catch (const std::exception& e) {
        // Only allocation can throw here; keep the reloader alive for the next trigger.
        log::get("rules")->error("reloader caught an exception: {}", e.what());
      }
    }
  }

  void warn_if_config_changed() {
    if (options.config_file.empty()) return;
    if (file_digest(options.config_file) != config_digest) {
      log::get("daemon")->warn(
          "{} changed since start: SIGHUP reloads the rule files only; a change to the config (bus, roles, feeds, "
          "sinks, rule paths, ...) needs a restart",
          options.config_file.string());
    }
  }

  rules::RuleStorePtr store;
  Bus& bus;
  ClockPtr clock;
  RuleReloaderOptions options;
  prometheus::Family<prometheus::Counter>& reloads;
  prometheus::Counter& success;
  prometheus::Counter& unchanged;
  prometheus::Counter& failure;
  prometheus::Gauge& watches;
  std::string config_digest;

  std::mutex reload_mu;  // one reload at a time
  mutable std::mutex done_mu;
  mutable std::condition_variable done_cv;
  std::uint64_t done = 0;  // guarded by done_mu

  int wake_fd = -1;
  int inotify_fd = -1;
  std::atomic<int> hangups{0};
  std::atomic<bool> stopping{false};
  std::thread thread;
  // Only touched by the reloader's thread once it runs (and by start() before that).
  std::map<fs::path, WatchedDir> dirs;
  std::map<int, fs::path> by_wd;
  bool rewatch = false;
};

RuleReloader::RuleReloader(rules::RuleStorePtr store, Bus& bus, MetricsRegistry& metrics, ClockPtr clock,
                           RuleReloaderOptions options)
    : impl_(std::make_unique<Impl>(std::move(store), bus, metrics, std::move(clock), std::move(options))) {}

RuleReloader::~RuleReloader() { stop(); }

Status RuleReloader::start() {
  Impl& d = *impl_;
  if (d.thread.joinable() || d.stopping.load()) return ok_status();
  if (d.wake_fd < 0) return make_error("reload", std::string("cannot create the reload eventfd: ") + std::strerror(errno));
  if (d.options.watch) {
    d.inotify_fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (d.inotify_fd < 0) {
      log::get("rules")->warn("inotify unavailable ({}): rule files are not watched; SIGHUP still reloads",
                              std::strerror(errno));
    }
    d.watch_all();
    if (d.inotify_fd >= 0) {
      log::get("rules")->info("watching {} folder(s) for rule changes; SIGHUP reloads too", d.by_wd.size());
    }
  }
  try {
    d.thread = std::thread([&d] { d.loop(); });
  } catch (const std::system_error& e) {
    return make_error("reload", std::string("cannot start the reloader thread: ") + e.what());
  }
  return ok_status();
}

void RuleReloader::stop() {
  Impl& d = *impl_;
  d.stopping = true;
  if (d.wake_fd >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(d.wake_fd, &one, sizeof one);
  }
  if (d.thread.joinable()) d.thread.join();
}

void RuleReloader::request() noexcept {
  Impl& d = *impl_;
  if (d.wake_fd < 0) return;
  d.hangups.fetch_add(1);
  const std::uint64_t one = 1;
  // Cannot block (EFD_NONBLOCK); a counter already at its maximum has a wake-up pending anyway.
  (void)!::write(d.wake_fd, &one, sizeof one);
}

ReloadOutcome RuleReloader::reload(std::string_view trigger) noexcept { return impl_->reload(trigger); }

std::uint64_t RuleReloader::completed() const {
  std::lock_guard lock(impl_->done_mu);
  return impl_->done;
}

bool RuleReloader::wait_completed(std::uint64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->done_mu);
  return impl_->done_cv.wait_for(lock, timeout, [&] { return impl_->done >= n; });
}

}  // namespace vigia::daemon
