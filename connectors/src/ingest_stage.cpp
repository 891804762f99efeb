#include "vigia/connectors/ingest_stage.h"

#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <stop_token>
#include <thread>
#include <utility>

#include "vigia/connectors/feed_checkpoint.h"
#include "vigia/connectors/item_id.h"
#include "vigia/connectors/seen_store.h"
#include "vigia/core/codec.h"
#include "vigia/core/hash.h"
#include "vigia/core/log.h"
#include "vigia/core/ops_event.h"

namespace vigia::connectors {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Counter = prometheus::Counter;
using Gauge = prometheus::Gauge;
using CounterFamily = prometheus::Family<prometheus::Counter>;
using GaugeFamily = prometheus::Family<prometheus::Gauge>;

constexpr std::string_view kLastNewItemKey = "ingest.last_new_item";
constexpr std::chrono::hours kPruneEvery{1};
// A feed checkpoint lists at most this many ids, newest first, and at most this many bytes of
// them: a feed window is far smaller, and the checkpoint must stay a small record on the bus.
constexpr std::size_t kCheckpointIds = 2'000;
constexpr std::size_t kCheckpointIdBytes = 256 * 1024;
const std::vector<std::string> kFetchResults{"ok",      "not_modified", "http_error",    "timeout", "parse_error",
                                             "refused", "too_large",    "network_error", "error"};

double unit_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

double seconds_of(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }
double epoch_seconds(Timestamp t) { return static_cast<double>(t.time_since_epoch().count()) / 1000.0; }

// Error reasons (from connectors and the HTTP client) folded into the few results a dashboard
// shows per feed.
const std::string& fetch_result_of(const std::string& reason) {
  static const std::map<std::string, std::string, std::less<>> kMap{
      {"http_status", "http_error"},     {"timeout", "timeout"},         {"parse", "parse_error"},
      {"json", "parse_error"},           {"schema", "parse_error"},      {"blocked_address", "refused"},
      {"protocol", "refused"},           {"too_many_redirects", "refused"}, {"too_large", "too_large"},
      {"dns", "network_error"},          {"connect", "network_error"},   {"tls", "network_error"},
      {"transport", "network_error"}};
  static const std::string kOther = "error";
  auto it = kMap.find(reason);
  return it == kMap.end() ? kOther : it->second;
}

}  // namespace

Hit feed_health_event(std::string_view feed, std::string_view rule, std::string_view severity, std::string title,
                      std::string detail, double score, Timestamp now) {
  static const std::map<std::string_view, std::string_view> kTitles{
      {"vigia-feed-broken", "Feed broken"}, {"vigia-feed-recovered", "Feed recovered"}, {"vigia-feed-stale", "Feed stale"}};
  const auto t = kTitles.find(rule);
  return ops_event(feed, rule, t == kTitles.end() ? rule : t->second, severity, std::move(title), std::move(detail),
                   score, now);
}

struct IngestStage::Impl final : KeyOwnership::Listener {
  struct Feed {
    FeedSpec spec;
    ConnectorPtr connector;
    // Guarded by Impl::mu_.
    SteadyClock::time_point due;
    bool busy = false;
    bool active = true;          // polled; with ownership, only while owned
    std::uint64_t epoch = 0;     // bumped at every acquire and release (see checkpoint_after_poll)
    bool fresh = false;          // acquired since its last poll: begin_ownership() runs first
    std::stop_source poll_stop;  // of the poll in progress; a release requests it
    // Guarded by checkpoint_mu, which also serialises the feed's checkpoint writes.
    std::mutex checkpoint_mu;
    bool checkpoint_due = false;                            // items published since the last checkpoint
    std::map<std::string, std::string> checkpointed_state;  // FeedState in the last checkpoint
    // Only touched by the worker that holds the feed (busy).
    int failures = 0;
    bool broken = false;
    bool stale = false;
    Timestamp last_new_item{};
    bool new_items_this_poll = false;
    Counter* received = nullptr;
    Counter* sent = nullptr;
    Counter* duplicates = nullptr;
    Counter* bytes = nullptr;
    std::map<std::string, Counter*, std::less<>> fetches;
    prometheus::Histogram* duration = nullptr;
    Gauge* last_success = nullptr;
    Gauge* last_item = nullptr;
    Gauge* consecutive = nullptr;
    Gauge* broken_gauge = nullptr;
    Gauge* stale_gauge = nullptr;
    Gauge* owned = nullptr;  // with ownership only
  };

  // Hands a connector's items to dedup and the bus, on the polling worker's thread.
  class Writer final : public ItemWriter {
   public:
    Writer(Impl& stage, Feed& feed, std::stop_token stop) : stage_(stage), feed_(feed), stop_(std::move(stop)) {}

    Status write(Item item) override {
      if (stop_.stop_requested()) {
        return make_error("cancelled", "feed '" + feed_.spec.name + "': shutting down or handed over");
      }
      feed_.received->Increment();
      const Timestamp now = stage_.clock_->now();
      if (!item.fetched) item.fetched = now;
      if (item.source.empty()) item.source = feed_.spec.name;
      if (item.id.empty()) item.id = item_id(item.source, item.url, {}, item.title, item.summary);
      if (!stage_.seen_.claim(item.id)) {
        feed_.duplicates->Increment();
        return ok_status();
      }
      const std::string record = encode_item(item);
      const ItemJournalPtr& journal = stage_.options_.journal;
      if (journal) {
        // Journalled before it is marked seen: a kill from here on replays it at the next start.
        if (auto s = journal->add(item.id, record); !s.ok()) {
          stage_.log_->warn("feed '{}': item {} not journalled ({}); a crash before it is alerted would lose it",
                            feed_.spec.name, item.id, s.error().message);
        }
      }
      Status published = stage_.bus_.publish(stage_.options_.topic, item.id, record);
      if (!published) {
        if (journal) journal->done(item.id);
        stage_.seen_.release(item.id);  // not on the bus, so a later poll may offer it again
        stage_.discarded_.Add({{"feed", feed_.spec.name}, {"reason", "publish"}}).Increment();
        return published;
      }
      stage_.seen_.confirm(item.id, feed_.spec.name, now);
      feed_.sent->Increment();
      feed_.last_new_item = now;
      feed_.new_items_this_poll = true;
      return ok_status();
    }

   private:
    Impl& stage_;
    Feed& feed_;
    std::stop_token stop_;
  };

  Impl(std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds, Bus& bus, MetricsRegistry& metrics, ClockPtr clock,
       IngestOptions options)
      : bus_(bus),
        clock_(clock ? std::move(clock) : system_clock()),
        options_(std::move(options)),
        log_(log::get("connectors")),
        // Without a db, a feed's recent ids are only listed (for its checkpoint) in Kafka mode.
        seen_(options_.dedup_capacity, options_.state_db, options_.seen_ttl, options_.ownership ? kCheckpointIds : 0),
        feed_state_(options_.feed_state ? options_.feed_state : std::make_shared<MemoryFeedState>()),
        received_(counter_family(metrics, "vigia_connectors_items_received_total", "Items produced by connectors.")),
        sent_(counter_family(metrics, "vigia_connectors_items_sent_total", "Items published to the bus.")),
        discarded_(counter_family(metrics, "vigia_connectors_items_discarded_total",
                                  "Items dropped before the bus, by reason (duplicate, invalid, publish).")),
        errors_(counter_family(metrics, "vigia_connectors_errors_total",
                               "Ingest failures by reason: failed polls and, in Kafka mode, feed checkpoints")) {
    auto& fetches = counter_family(metrics, "vigia_connectors_fetches_total", "Feed polls, by result.");
    auto& bytes = counter_family(metrics, "vigia_connectors_received_bytes_total", "Bytes read from feeds.");
    auto& duration = histogram_family(metrics, "vigia_connectors_fetch_duration_seconds", "Time one feed poll took.");
    auto& last_success = gauge_family(metrics, "vigia_connectors_last_success_timestamp_seconds",
                                      "Unix time of the feed's last successful poll (0: none yet).");
    auto& last_item = gauge_family(metrics, "vigia_connectors_last_item_timestamp_seconds",
                                   "Unix time the feed last brought a new item (0: none yet).");
    auto& consecutive = gauge_family(metrics, "vigia_connectors_consecutive_failures", "Failed polls in a row.");
    auto& broken = gauge_family(metrics, "vigia_connectors_feed_broken", "1 while the feed is reported broken.");
    auto& stale = gauge_family(metrics, "vigia_connectors_feed_stale", "1 while the feed is reported stale.");
    GaugeFamily* owned = options_.ownership ? &gauge_family(metrics, "vigia_connectors_feed_owned",
                                                            "1 while this process owns (polls) the feed (Kafka mode).")
                                            : nullptr;
    for (auto& [spec, connector] : feeds) {
      if (!connector) {
        log_->error("feed '{}': no connector was created; the feed is not polled", spec.name);
        continue;
      }
      auto f = std::make_unique<Feed>();
      const std::string& name = spec.name;
      // Created up front so every configured feed shows in /metrics from the start, at zero.
      f->received = &received_.Add({{"feed", name}});
      f->sent = &sent_.Add({{"feed", name}});
      f->duplicates = &discarded_.Add({{"feed", name}, {"reason", "duplicate"}});
      f->bytes = &bytes.Add({{"feed", name}});
      for (const auto& result : kFetchResults) f->fetches[result] = &fetches.Add({{"feed", name}, {"result", result}});
      f->duration = &duration.Add({{"feed", name}},
                                  prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
      f->last_success = &last_success.Add({{"feed", name}});
      f->last_item = &last_item.Add({{"feed", name}});
      f->consecutive = &consecutive.Add({{"feed", name}});
      f->broken_gauge = &broken.Add({{"feed", name}});
      f->stale_gauge = &stale.Add({{"feed", name}});
      if (owned) {
        f->owned = &owned->Add({{"feed", name}});
        f->active = false;  // until acquired
      }
      f->spec = std::move(spec);
      f->connector = std::move(connector);
      by_name_.emplace(f->spec.name, f.get());
      feeds_.push_back(std::move(f));
    }
  }

  ~Impl() { stop(); }

  void start() {
    if (started_) return;
    started_ = true;
    const Timestamp now = clock_->now();
    if (auto opened = seen_.open(now); !opened.ok()) {
      log_->warn("dedup store unavailable, dedup lasts until restart: {}", opened.error().message);
    }
    next_prune_ = SteadyClock::now() + kPruneEvery;
    // With ownership, a feed's state is only ours once acquired (begin_ownership()).
    if (!options_.ownership) {
      for (auto& f : feeds_) restore_last_new_item(*f, now);
    }
    {
      std::lock_guard lock(mu_);
      const auto steady = SteadyClock::now();
      for (auto& f : feeds_) f->due = steady;
    }
    const std::size_t n = std::min(std::max<std::size_t>(options_.workers, 1), feeds_.size());
    workers_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      workers_.emplace_back([this, token = stop_.get_token()] { worker(token); });
    }
    log_->info("ingest started: {} feeds, {} workers{}", feeds_.size(), n,
               options_.ownership ? "; feeds are polled once this process owns them" : "");
    if (options_.ownership) {
      ownership_started_ = true;
      if (auto joined = options_.ownership->start(*this); !joined.ok()) {
        log_->error("could not join the ingest group, no feed is polled until one is assigned here: {} [{}]",
                    joined.error().message, joined.error().reason);
      }
    }
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    started_ = true;  // a stopped stage does not start again
    // First hand every owned feed over (released() below), while the workers still run.
    if (ownership_started_) options_.ownership->stop();
    stop_.request_stop();  // wakes waiting workers through their stop_token
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
    workers_.clear();
  }

  // A feed never seen before starts its staleness clock now; otherwise it continues from the
  // last new item of the previous run.
  void restore_last_new_item(Feed& f, Timestamp now) {
    f.last_new_item = now;
    if (auto saved = feed_state_->get(f.spec.name, kLastNewItemKey)) {
      std::int64_t ms = 0;
      const auto [ptr, ec] = std::from_chars(saved->data(), saved->data() + saved->size(), ms);
      if (ec == std::errc() && ptr == saved->data() + saved->size()) {
        f.last_new_item = Timestamp{std::chrono::milliseconds{ms}};
        f.last_item->Set(epoch_seconds(f.last_new_item));
        return;
      }
    }
    feed_state_->put(f.spec.name, kLastNewItemKey, std::to_string(now.time_since_epoch().count()));
  }

  void worker(std::stop_token stop) noexcept {
    std::unique_lock lock(mu_);
    while (!stop.stop_requested()) {
      if (SteadyClock::now() >= next_prune_) {
        next_prune_ = SteadyClock::now() + kPruneEvery;
        lock.unlock();
        const std::size_t pruned = seen_.prune(clock_->now());
        if (pruned > 0) log_->info("forgot {} item ids older than the dedup TTL", pruned);
        lock.lock();
        continue;
      }
      Feed* next = nullptr;
      for (auto& f : feeds_) {
        if (f->active && !f->busy && (next == nullptr || f->due < next->due)) next = f.get();
      }
      const std::uint64_t seen_generation = generation_;
      const auto changed = [&] { return generation_ != seen_generation; };
      if (next == nullptr) {
        changed_.wait(lock, stop, changed);
        continue;
      }
      if (next->due > SteadyClock::now()) {
        changed_.wait_until(lock, stop, std::min(next->due, next_prune_), changed);
        continue;
      }
      next->busy = true;
      const bool fresh = std::exchange(next->fresh, false);
      const std::uint64_t epoch = next->epoch;
      // The poll stops when the stage stops or when the feed is handed over (released()).
      next->poll_stop = std::stop_source();
      std::stop_source poll_stop = next->poll_stop;
      lock.unlock();
      std::chrono::milliseconds delay;
      {
        std::stop_callback link(stop, [poll_stop]() mutable { poll_stop.request_stop(); });
        if (fresh) begin_ownership(*next);
        delay = poll_once(*next, poll_stop.get_token(), epoch);
      }
      lock.lock();
      // Acquired again while it polled (after a handover cut short): poll soon, like any acquire.
      next->due = next->fresh ? SteadyClock::now() : SteadyClock::now() + delay;
      next->busy = false;
      ++generation_;
      changed_.notify_all();
    }
  }

  void publish_event(const Feed& feed, std::string_view rule, std::string_view severity, std::string title,
                     std::string detail, double score) {
    if (options_.events_topic.empty()) return;
    const Hit hit = feed_health_event(feed.spec.name, rule, severity, std::move(title), std::move(detail), score,
                                      clock_->now());
    // Keyed by rule, like the scorers' hits in Kafka mode: one alert consumer owns the rule's stories.
    if (auto s = bus_.publish(options_.events_topic, hit.matches.front().rule, encode_hit(hit)); !s.ok()) {
      log_->warn("feed '{}': could not publish the {} event: {}", feed.spec.name, rule, s.error().message);
    }
  }

  void on_success(Feed& feed) {
    const std::string& name = feed.spec.name;
    if (feed.broken) {
      feed.broken = false;
      feed.broken_gauge->Set(0);
      log_->info("feed '{}': recovered after {} failed polls", name, feed.failures);
      publish_event(feed, "vigia-feed-recovered", "info", "Feed '" + name + "' recovered",
                    "Polls succeed again after " + std::to_string(feed.failures) + " failures in a row.", 0);
    } else if (feed.failures > 0) {
      log_->info("feed '{}': recovered after {} failed polls", name, feed.failures);
    }
    feed.failures = 0;
    feed.consecutive->Set(0);
    feed.last_success->Set(epoch_seconds(clock_->now()));
  }

  void on_failure(Feed& feed, const Error& error) {
    const std::string& name = feed.spec.name;
    ++feed.failures;
    feed.consecutive->Set(feed.failures);
    if (!feed.broken && feed.failures >= options_.broken_after) {
      feed.broken = true;
      feed.broken_gauge->Set(1);
      log_->error("feed '{}' is broken: {} failed polls in a row; last: {} [{}]", name, feed.failures, error.message,
                  error.reason);
      publish_event(feed, "vigia-feed-broken", "high",
                    "Feed '" + name + "' is broken: " + std::to_string(feed.failures) + " failed polls in a row",
                    "Last error [" + error.reason + "]: " + error.message, feed.failures);
    }
  }

  void check_staleness(Feed& feed) {
    const Timestamp now = clock_->now();
    if (feed.new_items_this_poll) {
      feed_state_->put(feed.spec.name, kLastNewItemKey, std::to_string(feed.last_new_item.time_since_epoch().count()));
      feed.last_item->Set(epoch_seconds(feed.last_new_item));
      if (feed.stale) {
        feed.stale = false;
        feed.stale_gauge->Set(0);
        log_->info("feed '{}' publishes again", feed.spec.name);
      }
      return;
    }
    const auto quiet = now - feed.last_new_item;
    if (feed.spec.stale_after.count() <= 0 || feed.stale || quiet <= feed.spec.stale_after) return;
    feed.stale = true;
    feed.stale_gauge->Set(1);
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(quiet).count();
    log_->warn("feed '{}' is stale: no new item for {} h (expected within {} h)", feed.spec.name, hours,
               std::chrono::duration_cast<std::chrono::hours>(feed.spec.stale_after).count());
    publish_event(feed, "vigia-feed-stale", "medium",
                  "Feed '" + feed.spec.name + "' is stale: no new item for " + std::to_string(hours) + " h",
                  "Last new item at " + format_rfc3339(feed.last_new_item) + "; expected at least one every " +
                      std::to_string(std::chrono::duration_cast<std::chrono::hours>(feed.spec.stale_after).count()) +
                      " h.",
                  static_cast<double>(hours));
  }

  // One poll of `feed`, accounted for; returns the delay before the next one. Never throws.
  std::chrono::milliseconds poll_once(Feed& feed, const std::stop_token& stop, std::uint64_t epoch) noexcept {
    const std::string& name = feed.spec.name;
    try {
      Writer writer(*this, feed, stop);
      feed.new_items_this_poll = false;
      std::optional<Result<PollReport>> result;
      std::optional<std::chrono::milliseconds> retry_after;
      const auto started = SteadyClock::now();
      try {
        result.emplace(feed.connector->poll(writer, stop));
        retry_after = feed.connector->retry_after();
      } catch (const std::exception& e) {
        result.emplace(make_error("exception", std::string("connector threw: ") + e.what()));
      } catch (...) {
        result.emplace(make_error("exception", "connector threw a non-standard exception"));
      }
      // A poll that failed while shutting down (or handing the feed over) most likely failed
      // because of it: not an error.
      if (stop.stop_requested() && !result->ok()) {
        log_->debug("feed '{}': poll interrupted by shutdown or handover", name);
        return std::chrono::milliseconds(0);
      }
      feed.duration->Observe(std::chrono::duration<double>(SteadyClock::now() - started).count());
      std::chrono::milliseconds delay;
      if (result->ok()) {
        const PollReport& report = result->value();
        feed.fetches[report.not_modified ? "not_modified" : "ok"]->Increment();
        feed.bytes->Increment(static_cast<double>(report.bytes));
        if (report.skipped > 0) {
          discarded_.Add({{"feed", name}, {"reason", "invalid"}}).Increment(static_cast<double>(report.skipped));
        }
        on_success(feed);
        if (report.retry_after && (!retry_after || *report.retry_after > *retry_after)) retry_after = report.retry_after;
        log_->debug("feed '{}': {} items{}", name, report.items, report.not_modified ? " (not modified)" : "");
        delay = next_poll_delay(feed.spec.interval, 0, retry_after, unit_random(), options_.backoff);
      } else {
        const Error& error = result->error();
        feed.fetches[fetch_result_of(error.reason)]->Increment();
        errors_.Add({{"feed", name}, {"reason", error.reason}}).Increment();
        on_failure(feed, error);
        delay = next_poll_delay(feed.spec.interval, feed.failures, retry_after, unit_random(), options_.backoff);
        // Connector messages already name the feed; others get it here.
        const std::string prefix = "feed '" + name + "'";
        log_->warn("{}{} [{}]; next attempt in {:.0f}s (failure {} in a row)",
                   error.message.starts_with(prefix) ? "" : prefix + ": ", error.message, error.reason,
                   seconds_of(delay), feed.failures);
      }
      check_staleness(feed);
      if (options_.ownership) checkpoint_after_poll(feed, epoch);
      return delay;
    } catch (...) {
      // Metrics or logging threw (allocation failure): keep the worker alive, try again later.
      ++feed.failures;
      return options_.backoff.initial;
    }
  }

  // --- Kafka mode: feed ownership and checkpoints (IngestOptions::ownership) ---

  Feed* find_feed(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }

  void count_checkpoint_error(const Feed& feed) {
    errors_.Add({{"feed", feed.spec.name}, {"reason", "checkpoint"}}).Increment();
  }

  // The feed's FeedState becomes exactly `state`: a key its previous owner no longer had (say, an
  // ETag the server stopped sending) must not come back from an older local copy.
  void replace_state(const std::string& feed, const std::map<std::string, std::string>& state) {
    for (const auto& [key, value] : feed_state_->entries(feed)) {
      if (state.count(key) == 0) feed_state_->erase(feed, key);
    }
    for (const auto& [key, value] : state) feed_state_->put(feed, key, value);
  }

  // Called by the ownership's thread. Restores the feed's dedup state and FeedState from the
  // checkpoint, then lets the workers poll it right away.
  void acquired(const std::string& key, std::optional<std::string> checkpoint) override {
    Feed* f = find_feed(key);
    if (f == nullptr) {
      log_->debug("ownership: '{}' is not a feed configured here; ignored", key);
      return;
    }
    const Timestamp now = clock_->now();
    std::optional<FeedCheckpoint> restored;
    if (checkpoint) {
      auto decoded = decode_feed_checkpoint(*checkpoint);
      if (decoded.ok() && decoded->feed != key) {
        decoded = make_error("checkpoint", "feed checkpoint: written for feed '" + decoded->feed + "'");
      }
      if (decoded.ok()) {
        restored = std::move(decoded.value());
      } else {
        count_checkpoint_error(*f);
        log_->error(
            "feed '{}': its checkpoint is ignored, the feed starts fresh (items still in its window "
            "may be published again): {}",
            key, decoded.error().message);
      }
    }
    std::size_t ids = 0;
    if (restored) {
      ids = seen_.restore(key, restored->ids, now);
      replace_state(key, restored->state);
    }
    {
      std::lock_guard checkpoint_lock(f->checkpoint_mu);
      f->checkpoint_due = false;
      if (restored) {
        f->checkpointed_state = restored->state;
      } else {
        f->checkpointed_state.clear();  // the first poll writes a checkpoint of our own
      }
    }
    {
      std::lock_guard lock(mu_);
      f->active = true;
      f->fresh = true;
      ++f->epoch;
      f->due = SteadyClock::now();
      ++generation_;
    }
    changed_.notify_all();
    f->owned->Set(1);
    if (restored) {
      log_->info("feed '{}': owned by this process now; {} published ids and {} state entries taken over", key, ids,
                 restored->state.size());
    } else {
      log_->info("feed '{}': owned by this process now{}", key, checkpoint ? "" : " (no checkpoint yet)");
    }
  }

  // Called by the ownership's thread. Stops polling the feed, waits for its poll in progress,
  // and stores the final checkpoint for the next owner.
  void released(const std::string& key) override {
    Feed* f = find_feed(key);
    if (f == nullptr) {
      log_->debug("ownership: '{}' is not a feed configured here; ignored", key);
      return;
    }
    bool idle = false;
    {
      std::unique_lock lock(mu_);
      f->active = false;
      f->fresh = false;
      ++f->epoch;
      f->poll_stop.request_stop();  // only this feed's poll; the stage carries on
      ++generation_;
      changed_.notify_all();
      idle = changed_.wait_for(lock, options_.handover_timeout, [f] { return !f->busy; });
    }
    if (!idle) {
      log_->warn(
          "feed '{}': its poll did not end within {} ms of the handover; what it still publishes may be "
          "published again by the next owner",
          key, options_.handover_timeout.count());
    }
    if (write_checkpoint(*f, std::nullopt, false)) {
      log_->info("feed '{}': handed over, checkpoint stored", key);
    } else {
      log_->warn("feed '{}': handed over without a final checkpoint; the next owner may publish its latest items again",
                 key);
    }
    f->owned->Set(0);
    // The feed's health is its owner's to report now: no broken/stale alarm left behind here.
    f->consecutive->Set(0);
    f->broken_gauge->Set(0);
    f->stale_gauge->Set(0);
  }

  // On the worker, before the first poll after an acquire (the feed is busy: nothing else
  // touches its fields). Per-owner state starts from what was just restored.
  void begin_ownership(Feed& feed) noexcept {
    try {
      restore_last_new_item(feed, clock_->now());
      if (feed.stale) {  // the previous owner may have seen new items since we said so
        feed.stale = false;
        feed.stale_gauge->Set(0);
      }
      feed.connector->reload_state();
    } catch (const std::exception& e) {
      log_->warn("feed '{}': taking over its state failed: {}", feed.spec.name, e.what());
    } catch (...) {
      log_->warn("feed '{}': taking over its state failed", feed.spec.name);
    }
  }

  void checkpoint_after_poll(Feed& feed, std::uint64_t epoch) {
    if (feed.new_items_this_poll) {
      std::lock_guard checkpoint_lock(feed.checkpoint_mu);
      feed.checkpoint_due = true;
    }
    write_checkpoint(feed, epoch, true);
  }

  // Stores the feed's checkpoint once the bus acknowledged every item published so far: a
  // checkpoint must never name an id that might not be on the bus, or the next owner would skip
  // an item nobody published. `epoch` (after a poll): only while the feed is still owned as when
  // the poll began — a poll that outlived its handover must not overwrite the final checkpoint.
  // `only_if_changed`: skip when nothing was published and the FeedState is as checkpointed.
  bool write_checkpoint(Feed& feed, std::optional<std::uint64_t> epoch, bool only_if_changed) {
    const std::string& name = feed.spec.name;
    std::lock_guard checkpoint_lock(feed.checkpoint_mu);
    if (epoch) {
      std::lock_guard lock(mu_);
      if (!feed.active || feed.epoch != *epoch) return false;
    }
    FeedCheckpoint checkpoint;
    checkpoint.feed = name;
    checkpoint.state = feed_state_->entries(name);
    if (only_if_changed && !feed.checkpoint_due && checkpoint.state == feed.checkpointed_state) return true;
    if (!bus_.flush(options_.handover_timeout)) {
      count_checkpoint_error(feed);
      log_->warn(
          "feed '{}': the bus did not acknowledge its items within {} ms; checkpoint not written (the next "
          "owner may publish them again)",
          name, options_.handover_timeout.count());
      return false;
    }
    checkpoint.ids = seen_.recent_for_feed(name, kCheckpointIds, clock_->now());
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < checkpoint.ids.size(); ++i) {
      bytes += checkpoint.ids[i].id.size();
      if (bytes > kCheckpointIdBytes) {
        checkpoint.ids.resize(i);
        break;
      }
    }
    if (auto stored = options_.ownership->checkpoint(name, encode_feed_checkpoint(checkpoint)); !stored.ok()) {
      count_checkpoint_error(feed);
      log_->warn("feed '{}': storing its checkpoint failed: {} [{}]", name, stored.error().message,
                 stored.error().reason);
      return false;
    }
    feed.checkpoint_due = false;
    feed.checkpointed_state = std::move(checkpoint.state);
    return true;
  }

  Bus& bus_;
  const ClockPtr clock_;
  const IngestOptions options_;
  const std::shared_ptr<spdlog::logger> log_;
  SeenStore seen_;
  FeedStatePtr feed_state_;
  CounterFamily& received_;
  CounterFamily& sent_;
  CounterFamily& discarded_;
  CounterFamily& errors_;

  std::vector<std::unique_ptr<Feed>> feeds_;
  std::map<std::string, Feed*, std::less<>> by_name_;
  std::mutex mu_;
  std::condition_variable_any changed_;
  std::uint64_t generation_ = 0;  // bumped whenever a feed's schedule changes
  SteadyClock::time_point next_prune_;
  std::stop_source stop_;
  std::vector<std::thread> workers_;
  bool started_ = false;
  bool stopped_ = false;
  bool ownership_started_ = false;
};

IngestStage::IngestStage(std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds, Bus& bus, MetricsRegistry& metrics,
                         ClockPtr clock, IngestOptions options)
    : impl_(std::make_unique<Impl>(std::move(feeds), bus, metrics, std::move(clock), std::move(options))) {}

IngestStage::~IngestStage() = default;

void IngestStage::start() { impl_->start(); }

void IngestStage::stop() { impl_->stop(); }

}  // namespace vigia::connectors
