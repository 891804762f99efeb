#include "vigia/connectors/ingest_stage.h"

#include <condition_variable>
#include <mutex>
#include <random>
#include <stop_token>
#include <thread>

#include "vigia/connectors/item_id.h"
#include "vigia/connectors/seen_ids.h"
#include "vigia/core/codec.h"
#include "vigia/core/log.h"

namespace vigia::connectors {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Counter = prometheus::Counter;
using CounterFamily = prometheus::Family<prometheus::Counter>;

double unit_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

double seconds_of(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

struct IngestStage::Impl {
  struct Feed {
    FeedSpec spec;
    ConnectorPtr connector;
    // Guarded by Impl::mu_.
    SteadyClock::time_point due;
    bool busy = false;
    // Only touched by the worker that holds the feed (busy).
    int failures = 0;
    Counter* received = nullptr;
    Counter* sent = nullptr;
    Counter* duplicates = nullptr;
    Counter* polls_ok = nullptr;
    Counter* polls_not_modified = nullptr;
    Counter* polls_error = nullptr;
  };

  // Hands a connector's items to dedup and the bus, on the polling worker's thread.
  class Writer final : public ItemWriter {
   public:
    Writer(Impl& stage, Feed& feed, std::stop_token stop) : stage_(stage), feed_(feed), stop_(std::move(stop)) {}

    Status write(Item item) override {
      if (stop_.stop_requested()) return make_error("cancelled", "feed '" + feed_.spec.name + "': shutting down");
      feed_.received->Increment();
      if (!item.fetched) item.fetched = stage_.clock_->now();
      if (item.source.empty()) item.source = feed_.spec.name;
      if (item.id.empty()) item.id = item_id(item.source, item.url, {}, item.title, item.summary);
      if (!stage_.seen_.insert(item.id)) {
        feed_.duplicates->Increment();
        return ok_status();
      }
      Status published = stage_.bus_.publish(stage_.options_.topic, item.id, encode_item(item));
      if (!published) {
        stage_.seen_.forget(item.id);  // not on the bus, so a later poll may offer it again
        stage_.discarded_.Add({{"feed", feed_.spec.name}, {"reason", "publish"}}).Increment();
        return published;
      }
      feed_.sent->Increment();
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
        seen_(options_.dedup_capacity),
        received_(counter_family(metrics, "vigia_connectors_items_received_total", "Items produced by connectors.")),
        sent_(counter_family(metrics, "vigia_connectors_items_sent_total", "Items published to the bus.")),
        discarded_(counter_family(metrics, "vigia_connectors_items_discarded_total",
                                  "Items dropped before the bus, by reason (duplicate, invalid, publish).")),
        errors_(counter_family(metrics, "vigia_connectors_errors_total", "Failed feed polls, by reason.")),
        polls_(counter_family(metrics, "vigia_connectors_polls_total",
                              "Feed polls, by result (ok, not_modified, error).")) {
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
      f->polls_ok = &polls_.Add({{"feed", name}, {"result", "ok"}});
      f->polls_not_modified = &polls_.Add({{"feed", name}, {"result", "not_modified"}});
      f->polls_error = &polls_.Add({{"feed", name}, {"result", "error"}});
      f->spec = std::move(spec);
      f->connector = std::move(connector);
      feeds_.push_back(std::move(f));
    }
  }

  ~Impl() { stop(); }

  void start() {
    if (started_) return;
    started_ = true;
    {
      std::lock_guard lock(mu_);
      const auto now = SteadyClock::now();
      for (auto& f : feeds_) f->due = now;
    }
    const std::size_t n = std::min(std::max<std::size_t>(options_.workers, 1), feeds_.size());
    workers_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      workers_.emplace_back([this, token = stop_.get_token()] { worker(token); });
    }
    log_->info("ingest started: {} feeds, {} workers", feeds_.size(), n);
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    started_ = true;  // a stopped stage does not start again
    stop_.request_stop();  // wakes waiting workers through their stop_token
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
    workers_.clear();
  }

  void worker(std::stop_token stop) noexcept {
    std::unique_lock lock(mu_);
    while (!stop.stop_requested()) {
      Feed* next = nullptr;
      for (auto& f : feeds_) {
        if (!f->busy && (next == nullptr || f->due < next->due)) next = f.get();
      }
      const std::uint64_t seen_generation = generation_;
      const auto changed = [&] { return generation_ != seen_generation; };
      if (next == nullptr) {
        changed_.wait(lock, stop, changed);
        continue;
      }
      if (next->due > SteadyClock::now()) {
        changed_.wait_until(lock, stop, next->due, changed);
        continue;
      }
      next->busy = true;
      lock.unlock();
      const std::chrono::milliseconds delay = poll_once(*next, stop);
      lock.lock();
      next->due = SteadyClock::now() + delay;
      next->busy = false;
      ++generation_;
      changed_.notify_all();
    }
  }

  // One poll of `feed`, accounted for; returns the delay before the next one. Never throws.
  std::chrono::milliseconds poll_once(Feed& feed, const std::stop_token& stop) noexcept {
    const std::string& name = feed.spec.name;
    try {
      Writer writer(*this, feed, stop);
      std::optional<Result<PollReport>> result;
      std::optional<std::chrono::milliseconds> retry_after;
      try {
        result.emplace(feed.connector->poll(writer, stop));
        retry_after = feed.connector->retry_after();
      } catch (const std::exception& e) {
        result.emplace(make_error("exception", std::string("connector threw: ") + e.what()));
      } catch (...) {
        result.emplace(make_error("exception", "connector threw a non-standard exception"));
      }
      // A poll that failed while shutting down most likely failed because of it: not an error.
      if (stop.stop_requested() && !result->ok()) {
        log_->debug("feed '{}': poll interrupted by shutdown", name);
        return std::chrono::milliseconds(0);
      }
      if (result->ok()) {
        const PollReport& report = result->value();
        (report.not_modified ? feed.polls_not_modified : feed.polls_ok)->Increment();
        if (report.skipped > 0) {
          discarded_.Add({{"feed", name}, {"reason", "invalid"}}).Increment(static_cast<double>(report.skipped));
        }
        if (feed.failures > 0) log_->info("feed '{}': recovered after {} failed polls", name, feed.failures);
        feed.failures = 0;
        if (report.retry_after && (!retry_after || *report.retry_after > *retry_after)) retry_after = report.retry_after;
        log_->debug("feed '{}': {} items{}", name, report.items, report.not_modified ? " (not modified)" : "");
      } else {
        const Error& error = result->error();
        feed.polls_error->Increment();
        errors_.Add({{"feed", name}, {"reason", error.reason}}).Increment();
        ++feed.failures;
        const auto delay = next_poll_delay(feed.spec.interval, feed.failures, retry_after, unit_random(), options_.backoff);
        // Connector messages already name the feed; others get it here.
        const std::string prefix = "feed '" + name + "'";
        log_->warn("{}{} [{}]; next attempt in {:.0f}s (failure {} in a row)",
                   error.message.starts_with(prefix) ? "" : prefix + ": ", error.message, error.reason,
                   seconds_of(delay), feed.failures);
        return delay;
      }
      return next_poll_delay(feed.spec.interval, 0, retry_after, unit_random(), options_.backoff);
    } catch (...) {
      // Metrics or logging threw (allocation failure): keep the worker alive, try again later.
      ++feed.failures;
      return options_.backoff.initial;
    }
  }

  Bus& bus_;
  const ClockPtr clock_;
  const IngestOptions options_;
  const std::shared_ptr<spdlog::logger> log_;
  SeenIds seen_;
  CounterFamily& received_;
  CounterFamily& sent_;
  CounterFamily& discarded_;
  CounterFamily& errors_;
  CounterFamily& polls_;

  std::vector<std::unique_ptr<Feed>> feeds_;
  std::mutex mu_;
  std::condition_variable_any changed_;
  std::uint64_t generation_ = 0;  // bumped whenever a feed's schedule changes
  std::stop_source stop_;
  std::vector<std::thread> workers_;
  bool started_ = false;
  bool stopped_ = false;
};

IngestStage::IngestStage(std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds, Bus& bus, MetricsRegistry& metrics,
                         ClockPtr clock, IngestOptions options)
    : impl_(std::make_unique<Impl>(std::move(feeds), bus, metrics, std::move(clock), std::move(options))) {}

IngestStage::~IngestStage() = default;

void IngestStage::start() { impl_->start(); }

void IngestStage::stop() { impl_->stop(); }

}  // namespace vigia::connectors
