#include "vigia/alerting/alert_stage.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "dead_letter.h"
#include "retry.h"
#include "vigia/core/codec.h"
#include "vigia/core/hash.h"
#include "vigia/core/log.h"
#include "vigia/core/severity.h"

namespace vigia::alerting {
namespace {

// Backoff and the shutdown grace are waited out in real (steady) time: a condition variable
// cannot wait on the injected Clock, which only stamps alerts and dead letters.
using SteadyClock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPollTimeout{100};
// After a failing poll or an unexpected exception, pause so a persistent fault cannot spin a core.
constexpr std::chrono::milliseconds kFaultPause{500};
constexpr std::chrono::hours kMaxGrace{24};

// One consumed hit record, committed once every delivery derived from it has ended.
struct Ticket {
  Record record;
  std::size_t remaining = 0;    // guarded by Impl::mu_
  std::optional<Error> poison;  // set when the record could not be read: rejected, not committed
};
using TicketPtr = std::shared_ptr<Ticket>;

// One alert on its way to one sink.
struct Job {
  std::shared_ptr<const Alert> alert;
  // The records this delivery holds back from commit: one for an alert, every folded one for a
  // storm digest. Emptied when the job ends.
  std::vector<TicketPtr> tickets;
  int attempts = 0;
  DeliveryResult last;  // the latest failure, for the dead letter
  Timestamp created{};  // when the stage made the alert: max_age and delivery latency count from here
};

// A sink's circuit breaker as vigia_alerting_circuit_state{sink,state}: one series per state, 1 for
// the current one. An enum coded as 0/1/2 would make max() or avg_over_time() across sinks meaningless.
enum class Circuit : std::size_t { kClosed, kHalfOpen, kOpen };
constexpr std::array<const char*, 3> kCircuitStates{"closed", "half_open", "open"};

class CircuitGauges {
 public:
  CircuitGauges(prometheus::Family<prometheus::Gauge>& family, const std::string& sink) {
    for (std::size_t i = 0; i < kCircuitStates.size(); ++i) {
      states_[i] = &family.Add({{"sink", sink}, {"state", kCircuitStates[i]}});
    }
    set(Circuit::kClosed);
  }
  void set(Circuit c) {
    for (std::size_t i = 0; i < states_.size(); ++i) states_[i]->Set(i == static_cast<std::size_t>(c) ? 1 : 0);
  }

 private:
  std::array<prometheus::Gauge*, kCircuitStates.size()> states_{};
};

// A digest lists this many of its alerts; the count covers all of them.
constexpr std::size_t kDigestListed = 20;
constexpr std::size_t kDigestSources = 50;

// Alerts folded into one message, waiting for it to go out: a rule's while it storms (routed
// like any alert of the rule), or a digest sink's batch (`sink` set: delivered to it alone).
struct Digest {
  std::string sink;                                  // "" for a storm digest
  std::vector<std::shared_ptr<const Alert>> alerts;  // the first kDigestListed
  std::vector<TicketPtr> tickets;                    // every folded alert's record (one hold each)
  std::uint64_t folded = 0;
  SteadyClock::time_point due;
};

const prometheus::Histogram::BucketBoundaries kLatencyBuckets{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

}  // namespace

struct AlertStage::Impl {
  struct Worker {
    SinkSpec spec;
    SinkPtr sink;
    int min_rank = 0;
    int max_attempts = 1;

    std::mutex mu;
    std::condition_variable cv;
    std::deque<Job> ready;                                // never attempted
    std::multimap<SteadyClock::time_point, Job> waiting;  // retries, by due time
    bool busy = false;                                    // a delivery is in progress
    bool draining = false;
    SteadyClock::time_point deadline;  // with draining: when retries give up
    bool stop = false;                 // exit once nothing is queued
    bool abort = false;                // exit now (destructor without drain)

    SteadyClock::time_point open_until{};  // circuit open (no attempt) until then; guarded by mu

    // Touched by the worker thread only.
    bool healthy = true;
    int consecutive_failures = 0;
    std::mt19937_64 rng{std::random_device{}()};

    prometheus::Counter* sent = nullptr;
    prometheus::Counter* retries = nullptr;
    prometheus::Gauge* depth = nullptr;
    prometheus::Histogram* latency = nullptr;
    prometheus::Histogram* end_to_end = nullptr;
    std::optional<CircuitGauges> circuit;
    prometheus::Counter* circuit_opens = nullptr;
    std::thread thread;
  };

  Impl(std::vector<std::pair<SinkSpec, SinkPtr>> sinks, Bus& bus, MetricsRegistry& metrics, ClockPtr clk,
       AlertStageOptions opts)
      : options_(std::move(opts)),
        clock_(clk ? std::move(clk) : system_clock()),
        dead_letters_(options_.dead_letter_path),
        log_(log::get("alerting")),
        errors_(counter_family(metrics, "vigia_alerting_errors_total",
                               "Failures inside the alert stage, by reason (e.g. undecodable hit records)")),
        failed_(counter_family(metrics, "vigia_alerting_alerts_failed_total",
                               "Alerts dead-lettered, by sink and the reason of the last failure")),
        discarded_(counter_family(metrics, "vigia_alerting_alerts_discarded_total",
                                  "Alerts a sink did not take, by sink and reason (route: filtered out, mute: muted)")),
        suppressed_(counter_family(metrics, "vigia_alerting_suppressed_total",
                                   "Alerts not sent, by reason: silence, mute, duplicate, throttled, max_updates")),
        stories_(counter_family(metrics, "vigia_alerting_stories_total",
                                "Story decisions that produce output: new, update, digest (folded into one)")),
        storm_mode_(gauge_family(metrics, "vigia_alerting_storm_mode",
                                 "1 while a rule fires so often that its alerts go to a digest, by rule")),
        digests_sent_(&counter_family(metrics, "vigia_alerting_digests_sent_total",
                                      "Digests handed to the sinks: storm digests and digest_every batches")
                           .Add({})) {
    hits_received_ =
        &counter_family(metrics, "vigia_alerting_hits_received_total", "Hit records consumed from the bus").Add({});
    auto& sent_family = counter_family(metrics, "vigia_alerting_alerts_sent_total", "Alerts delivered, by sink");
    auto& retries_family =
        counter_family(metrics, "vigia_alerting_delivery_retries_total", "Delivery attempts scheduled again, by sink");
    auto& depth_family =
        gauge_family(metrics, "vigia_alerting_queue_depth", "Alerts waiting for delivery (retries included), by sink");
    auto& latency_family = histogram_family(metrics, "vigia_alerting_delivery_latency_seconds",
                                            "Time from alert creation to successful delivery, by sink");
    auto& end_to_end_family =
        histogram_family(metrics, "vigia_alerting_end_to_end_latency_seconds",
                         "Time from the item's fetch to its alert's successful delivery, by sink");
    auto& circuit_family =
        gauge_family(metrics, "vigia_alerting_circuit_state",
                     "Circuit breaker per sink: 1 for its current state (closed, half_open: a trial attempt, open)");
    auto& circuit_opens_family =
        counter_family(metrics, "vigia_alerting_circuit_opens_total", "Times a sink's circuit breaker opened");

    std::set<std::string> names;
    for (auto& [spec, sink] : sinks) {
      if (!sink) throw std::invalid_argument("alert stage: sink '" + spec.name + "' was not created");
      if (!names.insert(spec.name).second)
        throw std::invalid_argument("alert stage: two sinks named '" + spec.name + "'");
      const auto rank = severity_rank(spec.min_severity);
      if (!rank) {
        throw std::invalid_argument("alert stage: sink '" + spec.name + "' has unknown min_severity '" +
                                    spec.min_severity + "'");
      }
      auto w = std::make_unique<Worker>();
      w->min_rank = *rank;
      w->max_attempts = std::max(1, spec.retry.max_attempts);
      w->sent = &sent_family.Add({{"sink", spec.name}});
      w->retries = &retries_family.Add({{"sink", spec.name}});
      w->depth = &depth_family.Add({{"sink", spec.name}});
      w->latency = &latency_family.Add({{"sink", spec.name}}, kLatencyBuckets);
      w->end_to_end = &end_to_end_family.Add({{"sink", spec.name}}, kLatencyBuckets);
      w->circuit.emplace(circuit_family, spec.name);
      w->circuit_opens = &circuit_opens_family.Add({{"sink", spec.name}});
      w->spec = std::move(spec);
      w->sink = std::move(sink);
      workers_.push_back(std::move(w));
    }
    consumer_ = bus.subscribe(options_.topic, options_.group);
  }

  // ---- consumer side -------------------------------------------------------------------------

  void consume_loop() noexcept {
    for (;;) {
      try {
        commit_finished_records();
        bool finished = false;
        {
          std::lock_guard lock(mu_);
          finished = input_finished_;
        }
        // Due digests go out; at the end of the input every digest does, so none holds a record.
        flush_digests(finished);
        {
          std::unique_lock lock(mu_);
          if (abort_) return;
          const auto head_done = [&] { return abort_ || (!tickets_.empty() && tickets_.front()->remaining == 0); };
          if (input_finished_) {
            if (tickets_.empty()) {
              consumer_exited_ = true;
              cv_.notify_all();
              return;
            }
            cv_.wait_for(lock, kPollTimeout, head_done);
            continue;
          }
          // Backpressure: a sink that is down must not turn the bus backlog into memory growth.
          // Bounded waits: a record held by a digest is released by flush_digests() above.
          if (tickets_.size() >= std::max<std::size_t>(1, options_.max_records_in_flight)) {
            lock.unlock();
            consumer_->idle();  // Kafka: still a live member of the group while we wait
            lock.lock();
            cv_.wait_for(lock, kPollTimeout, head_done);
            continue;
          }
        }
        auto polled = consumer_->poll(kPollTimeout);
        if (!polled.ok()) {
          log_->warn("polling {} failed: {} ({})", options_.topic, polled.error().message, polled.error().reason);
          errors_.Add({{"reason", polled.error().reason}}).Increment();
          pause();
        } else if (*polled) {
          handle_record(std::move(**polled));
        } else if (consumer_->finished()) {
          std::lock_guard lock(mu_);
          input_finished_ = true;
        }
      } catch (const std::exception& e) {
        log_->error("hit consumer: unexpected error: {}", e.what());
        errors_.Add({{"reason", "exception"}}).Increment();
        pause();
      }
    }
  }

  void pause() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kFaultPause, [&] { return abort_; });
  }

  // Commits in poll order, and only the finished prefix: committing a later record before an
  // earlier one would, on a partitioned bus, move the offset past an alert still retrying.
  void commit_finished_records() {
    std::vector<TicketPtr> done;
    {
      std::lock_guard lock(mu_);
      while (!tickets_.empty() && tickets_.front()->remaining == 0) {
        done.push_back(std::move(tickets_.front()));
        tickets_.pop_front();
      }
    }
    for (const auto& t : done) {
      if (auto s = t->poison ? consumer_->reject(t->record, *t->poison) : consumer_->commit(t->record); !s.ok()) {
        log_->error("committing {} offset {} failed: {}", t->record.topic, t->record.offset, s.error().message);
        errors_.Add({{"reason", "commit"}}).Increment();
      }
      if (options_.journal) options_.journal->done(t->record.key);
    }
  }

  void handle_record(Record record) {
    hits_received_->Increment();
    auto ticket = std::make_shared<Ticket>();
    ticket->record = std::move(record);
    std::vector<std::pair<Worker*, Job>> jobs;
    try {
      auto hit = decode_hit(ticket->record.value);
      if (!hit.ok()) {
        // A poisoned record is set aside (dead-letter topic in Kafka mode) and committed in its
        // turn: stalling on it would stop every alert.
        log_->warn("setting aside undecodable hit record ({} partition {} offset {}): {} ({})", ticket->record.topic,
                   ticket->record.partition, ticket->record.offset, hit.error().message, hit.error().reason);
        errors_.Add({{"reason", hit.error().reason}}).Increment();
        ticket->poison = hit.error();
      } else {
        const Timestamp now = clock_->now();
        for (auto& built : build_alerts(*hit, now)) {
          if (options_.silences) {
            if (auto silence = options_.silences->is_silenced(built, now)) {
              suppressed_.Add({{"reason", "silence"}}).Increment();
              log_->debug("alert of rule {} on item {} silenced by {}", built.rule, built.item.id, *silence);
              continue;
            }
          }
          if (options_.stories) {
            const StoryDecision d = options_.stories->observe(built, hit->item.summary);
            if (d.action == StoryAction::kSuppressed) {
              suppressed_.Add({{"reason", d.reason}}).Increment();
              continue;
            }
            if (d.action == StoryAction::kDigest) {
              stories_.Add({{"action", "digest"}}).Increment();
              fold(std::make_shared<const Alert>(std::move(built)), ticket);
              continue;
            }
            stories_.Add({{"action", d.action == StoryAction::kNew ? "new" : "update"}}).Increment();
          }
          auto alert = std::make_shared<const Alert>(std::move(built));
          for (auto* w : receivers_of(*alert, now)) jobs.emplace_back(w, Job{alert, {ticket}, 0, {}, now});
        }
      }
    } catch (const std::exception& e) {
      log_->error("hit record ({} offset {}) could not be processed: {}", ticket->record.topic, ticket->record.offset,
                  e.what());
      errors_.Add({{"reason", "exception"}}).Increment();
      jobs.clear();
    }
    {
      std::lock_guard lock(mu_);
      // Alerts folded into a digest were counted by fold() already.
      ticket->remaining += jobs.size();
      tickets_.push_back(ticket);
    }
    for (auto& [w, job] : jobs) {
      if (w->spec.digest_every.count() > 0) {
        batch(*w, std::move(job));  // a digest receiver: the alert waits for the batch
      } else {
        enqueue(*w, std::move(job));
      }
    }
  }

  // The sinks an alert goes to: the routing tree's receivers, or without one every sink whose own
  // min_severity and categories accept it. Counts, per sink, what routing filtered out or muted, and
  // an alert every receiver of which was muted as one suppressed alert.
  std::vector<Worker*> receivers_of(const Alert& alert, Timestamp now) {
    std::vector<Worker*> out;
    if (!options_.router) {
      if (!severity_rank(alert.severity)) {
        // Fail open: an alert nobody can rank still reaches every sink rather than none.
        log_->warn("alert {} of rule {} has unknown severity '{}'; routing it to every sink", alert.id, alert.rule,
                   alert.severity);
      }
      for (auto& w : workers_) {
        if (accepts(*w, alert)) {
          out.push_back(w.get());
        } else {
          discarded_.Add({{"sink", w->spec.name}, {"reason", "route"}}).Increment();
        }
      }
      return out;
    }
    const RouteResult r = options_.router->route(alert, now);
    for (auto& w : workers_) {
      const std::string& name = w->spec.name;
      if (std::find(r.receivers.begin(), r.receivers.end(), name) != r.receivers.end()) {
        out.push_back(w.get());
      } else if (std::any_of(r.muted.begin(), r.muted.end(), [&](const auto& m) { return m.receiver == name; })) {
        discarded_.Add({{"sink", name}, {"reason", "mute"}}).Increment();
      } else {
        discarded_.Add({{"sink", name}, {"reason", "route"}}).Increment();
      }
    }
    if (out.empty() && !r.muted.empty()) suppressed_.Add({{"reason", "mute"}}).Increment();
    return out;
  }

  // ---- storm digests -------------------------------------------------------------------------

  // Keeps `alert` for its rule's digest; its record stays uncommitted (one hold) until the
  // digest has been delivered or dead-lettered.
  void fold(std::shared_ptr<const Alert> alert, const TicketPtr& ticket) {
    std::lock_guard lock(mu_);
    ++ticket->remaining;
    Digest& d = digests_["rule\n" + alert->rule];
    add_to(d, "", options_.digest_interval, std::move(alert), {ticket});
  }

  // A job for a digest sink joins its batch; the job's hold on its record moves to the batch.
  void batch(Worker& w, Job job) {
    std::lock_guard lock(mu_);
    Digest& d = digests_["sink\n" + w.spec.name];
    add_to(d, w.spec.name, w.spec.digest_every, std::move(job.alert), std::move(job.tickets));
  }

  static void add_to(Digest& d, const std::string& sink, std::chrono::milliseconds every,
                     std::shared_ptr<const Alert> alert, std::vector<TicketPtr> tickets) {
    if (d.folded == 0) d.due = SteadyClock::now() + every;
    d.sink = sink;
    ++d.folded;
    for (auto& t : tickets) d.tickets.push_back(std::move(t));
    if (d.alerts.size() < kDigestListed) d.alerts.push_back(std::move(alert));
  }

  // Sends the digests that are due (all of them with `all`): one alert per rule that says how
  // many alerts it stands for, lists the first of them and their sources.
  void flush_digests(bool all) {
    std::vector<Digest> due;
    {
      std::lock_guard lock(mu_);
      const auto now = SteadyClock::now();
      for (auto it = digests_.begin(); it != digests_.end();) {
        if (all || it->second.due <= now) {
          due.push_back(std::move(it->second));
          it = digests_.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (options_.stories && (all || ++storm_refresh_ % 10 == 0)) refresh_storm_gauges();
    for (auto& d : due) send_digest(d);
  }

  void send_digest(Digest& d) {
    auto digest = std::make_shared<const Alert>(digest_alert(d));
    const Timestamp now = clock_->now();
    std::vector<Worker*> targets;
    if (d.sink.empty()) {
      targets = receivers_of(*digest, now);
    } else {
      for (auto& w : workers_) {
        if (w->spec.name == d.sink) targets.push_back(w.get());
      }
    }
    {
      std::lock_guard lock(mu_);
      // Trade each record's hold for one pending delivery per target.
      for (auto& t : d.tickets) t->remaining = t->remaining - 1 + targets.size();
    }
    cv_.notify_all();
    digests_sent_->Increment();
    log_->info("{}: {} alert(s) in one, to {} sink(s)",
               d.sink.empty() ? "storm digest for rule " + digest->rule : "digest for sink " + d.sink, d.folded,
               targets.size());
    for (auto* w : targets) enqueue(*w, Job{digest, d.tickets, 0, {}, now});
  }

  static Alert digest_alert(const Digest& d) {
    const Alert& first = *d.alerts.front();
    Alert a;
    a.rule = first.rule;
    a.title = first.title;
    a.category = first.category;
    a.severity = first.severity;
    a.tags = first.tags;
    a.tags.push_back(d.sink.empty() ? "storm-digest" : "digest");
    a.first_seen = first.first_seen;
    a.last_seen = first.last_seen;
    for (const auto& alert : d.alerts) {
      if (severity_rank(alert->severity).value_or(0) > severity_rank(a.severity).value_or(0))
        a.severity = alert->severity;
      a.score = std::max(a.score, alert->score);
      a.first_seen = std::min(a.first_seen, alert->first_seen);
      a.last_seen = std::max(a.last_seen, alert->last_seen);
      a.snippets.push_back(Term{"alert", "title", 0, 0, alert->item.title + " (" + alert->item.source + ")"});
      for (const auto& [list, names] : alert->entities) {
        auto& merged = a.entities[list];
        for (const auto& n : names) {
          if (std::find(merged.begin(), merged.end(), n) == merged.end()) merged.push_back(n);
        }
      }
      for (const auto& source : alert->story.sources) {
        auto& sources = a.story.sources;
        if (sources.size() < kDigestSources && std::find(sources.begin(), sources.end(), source) == sources.end()) {
          sources.push_back(source);
        }
      }
    }
    a.item.source = "vigia";
    if (d.sink.empty()) {
      a.id = stable_id("vigia-storm-digest\n" + a.rule + "\n" + format_rfc3339(a.first_seen));
      a.item.title = "Storm digest: " + std::to_string(d.folded) + " alert(s) of \"" + first.title +
                     "\" folded into one while the rule fires far more than usual";
    } else {
      // A batch mixes rules: the digest speaks for the batch, not for its first alert's rule.
      a.rule = "vigia-digest";
      a.title = "Digest";
      a.category = "digest";
      a.id = stable_id("vigia-digest\n" + d.sink + "\n" + format_rfc3339(a.first_seen) + "\n" + first.id);
      a.item.title = "Digest: " + std::to_string(d.folded) + " alert(s) since " + format_rfc3339(a.first_seen);
    }
    a.story.id = a.id;
    a.item.id = a.id;
    return a;
  }

  void refresh_storm_gauges() {
    std::set<std::string> now_storming;
    for (const auto& s : options_.stories->storms()) now_storming.insert(s.rule);
    for (const auto& rule : now_storming) storm_mode_.Add({{"rule", rule}}).Set(1);
    for (const auto& rule : storming_) {
      if (now_storming.count(rule) == 0) storm_mode_.Add({{"rule", rule}}).Set(0);
    }
    storming_ = std::move(now_storming);
  }

  static bool accepts(const Worker& w, const Alert& alert) {
    const auto rank = severity_rank(alert.severity);
    if (rank && *rank < w.min_rank) return false;
    const auto& cats = w.spec.categories;
    return cats.empty() || std::find(cats.begin(), cats.end(), alert.category) != cats.end();
  }

  // ---- delivery side -------------------------------------------------------------------------

  static void update_depth(Worker& w) {
    w.depth->Set(static_cast<double>(w.ready.size() + w.waiting.size() + (w.busy ? 1 : 0)));
  }

  static void enqueue(Worker& w, Job job) {
    {
      std::lock_guard lock(w.mu);
      w.ready.push_back(std::move(job));
      update_depth(w);
    }
    w.cv.notify_one();
  }

  void worker_loop(Worker& w) noexcept {
    for (;;) {
      std::vector<Job> give_up;
      std::optional<Job> job;
      bool past_deadline = false;
      {
        std::unique_lock lock(w.mu);
        for (;;) {
          if (w.abort) return;
          const auto now = SteadyClock::now();
          past_deadline = w.draining && now >= w.deadline;
          const bool open = now < w.open_until;
          if (past_deadline && (!w.waiting.empty() || (open && !w.ready.empty()))) break;
          if (!open && !w.ready.empty()) break;
          if (!open && !w.waiting.empty() && w.waiting.begin()->first <= now) break;
          if (w.stop && w.waiting.empty() && w.ready.empty()) return;
          // Next moment something can change by itself: a retry falls due or the circuit half-opens.
          std::optional<SteadyClock::time_point> wake;
          if (!w.waiting.empty()) wake = w.waiting.begin()->first;
          if (open && !w.ready.empty()) {
            wake = w.open_until;
          } else if (open && wake) {
            wake = std::max(*wake, w.open_until);
          }
          if (wake && w.draining) wake = std::min(*wake, w.deadline);
          if (wake) {
            w.cv.wait_until(lock, *wake);
          } else {
            w.cv.wait(lock);
          }
        }
        if (past_deadline) {
          // Shutdown: what waits on a retry goes to the dead-letter file now; fresh alerts still
          // get their attempt unless this sink just failed, when it would only delay the stop.
          for (auto& entry : w.waiting) give_up.push_back(std::move(entry.second));
          w.waiting.clear();
          if (!w.healthy) {
            for (auto& j : w.ready) give_up.push_back(std::move(j));
            w.ready.clear();
          }
        }
        const bool open = SteadyClock::now() < w.open_until;
        if (open) {
          // Nothing to attempt: what was due was dead-lettered above (shutdown).
        } else if (!w.waiting.empty() && w.waiting.begin()->first <= SteadyClock::now()) {
          job = std::move(w.waiting.begin()->second);
          w.waiting.erase(w.waiting.begin());
        } else if (!w.ready.empty()) {
          job = std::move(w.ready.front());
          w.ready.pop_front();
        }
        w.busy = job.has_value();
        update_depth(w);
      }
      for (auto& j : give_up) guarded(w, j, [&] { give_up_at_shutdown(w, j); });
      if (job) guarded(w, *job, [&] { attempt(w, *job); });
      std::lock_guard lock(w.mu);
      w.busy = false;
      update_depth(w);
    }
  }

  // Sink exceptions are caught in attempt(); what reaches here is the stage's own bookkeeping
  // failing (say, a dead-letter encoding error). The job is ended so its record can still be
  // committed and drain_and_stop() cannot wait for it forever.
  template <typename Step>
  void guarded(Worker& w, Job& job, Step step) noexcept {
    try {
      step();
    } catch (const std::exception& e) {
      log_->error("sink {}: unexpected error: {}", w.spec.name, e.what());
      errors_.Add({{"reason", "exception"}}).Increment();
      finish(job);
    }
  }

  void attempt(Worker& w, Job& job) {
    const auto age = clock_->now() - job.created;
    if (age > w.spec.retry.max_age) {
      dead_letter(w, job, "max_age",
                  "older than max_age (" + std::to_string(w.spec.retry.max_age.count()) + " ms) after " +
                      std::to_string(job.attempts) + " attempt(s)" +
                      (job.attempts ? ", last " + job.last.reason + ": " + job.last.message : std::string()));
      return;
    }
    if (w.consecutive_failures >= w.spec.retry.circuit_failures) w.circuit->set(Circuit::kHalfOpen);
    ++job.attempts;
    DeliveryResult r;
    try {
      r = w.sink->deliver(*job.alert);
    } catch (const std::exception& e) {
      errors_.Add({{"reason", "exception"}}).Increment();
      r = DeliveryResult{Delivery::kRetry, "exception", std::string("sink threw: ") + e.what(), std::nullopt};
    }
    const bool was_healthy = w.healthy;
    w.healthy = r.outcome == Delivery::kDelivered;
    if (r.outcome == Delivery::kDelivered) {
      if (!was_healthy) log_->info("sink {}: delivering again", w.spec.name);
      w.consecutive_failures = 0;
      w.circuit->set(Circuit::kClosed);
      w.sent->Increment();
      const auto now = clock_->now();
      w.latency->Observe(std::max(0.0, std::chrono::duration<double>(now - job.created).count()));
      if (job.alert->item.fetched) {
        w.end_to_end->Observe(std::max(0.0, std::chrono::duration<double>(now - *job.alert->item.fetched).count()));
      }
      finish(job);
      return;
    }
    if (was_healthy) log_->warn("sink {}: delivery failing: {} ({})", w.spec.name, r.message, r.reason);
    if (r.outcome == Delivery::kRetry && ++w.consecutive_failures >= w.spec.retry.circuit_failures) {
      // Open (or, after a failed trial, re-open) the circuit: no attempts for the cool-down.
      {
        std::lock_guard lock(w.mu);
        w.open_until = SteadyClock::now() + w.spec.retry.circuit_cooldown;
      }
      w.circuit->set(Circuit::kOpen);
      w.circuit_opens->Increment();
      log_->warn("sink {}: circuit open after {} failures in a row; next trial in {} ms", w.spec.name,
                 w.consecutive_failures, w.spec.retry.circuit_cooldown.count());
    }
    job.last = r;
    if (r.outcome == Delivery::kReject || job.attempts >= w.max_attempts) {
      dead_letter(w, job, r.reason, r.message);
      return;
    }
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(w.rng);
    const auto delay = backoff_delay(w.spec.retry, job.attempts, r.retry_after, unit);
    {
      std::lock_guard lock(w.mu);
      if (!(w.draining && SteadyClock::now() >= w.deadline)) {
        log_->debug("sink {}: alert {} attempt {} failed ({}); retrying in {} ms", w.spec.name, job.alert->id,
                    job.attempts, r.reason, delay.count());
        w.retries->Increment();
        w.waiting.emplace(SteadyClock::now() + delay, std::move(job));
        return;
      }
    }
    give_up_at_shutdown(w, job);
  }

  void give_up_at_shutdown(Worker& w, Job& job) {
    std::string message = job.attempts == 0 ? "not attempted before the shutdown grace ended"
                                            : "gave up at shutdown after " + job.last.reason + ": " + job.last.message;
    dead_letter(w, job, "shutdown", std::move(message));
  }

  void dead_letter(Worker& w, Job& job, const std::string& reason, std::string message) {
    failed_.Add({{"sink", w.spec.name}, {"reason", reason}}).Increment();
    const DeadLetter letter{w.spec.name, reason, std::move(message), job.attempts, clock_->now()};
    log_->warn("sink {}: alert {} (rule {}) dead-lettered after {} attempt(s): {}: {}", w.spec.name, job.alert->id,
               job.alert->rule, job.attempts, reason, letter.message);
    if (auto s = dead_letters_.append(letter, *job.alert); !s.ok()) {
      // The log is the last place the alert can survive: write the whole dead letter there.
      errors_.Add({{"reason", "dead_letter"}}).Increment();
      log_->error("sink {}: {}; dead letter follows: {}", w.spec.name, s.error().message,
                  encode_dead_letter(letter, *job.alert));
    }
    finish(job);
  }

  // Idempotent: a job already finished (or moved into the retry queue) holds no ticket.
  void finish(Job& job) noexcept {
    if (job.tickets.empty()) return;
    {
      std::lock_guard lock(mu_);
      for (auto& t : job.tickets) {
        if (t->remaining > 0) --t->remaining;
      }
    }
    job.tickets.clear();
    cv_.notify_all();
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  void start() {
    if (started_) return;
    started_ = true;
    for (auto& w : workers_) {
      Worker* raw = w.get();
      w->thread = std::thread([this, raw] { worker_loop(*raw); });
    }
    consumer_thread_ = std::thread([this] { consume_loop(); });
    log_->info("alert stage started: {} sink(s) on {} (group {})", workers_.size(), options_.topic, options_.group);
  }

  void drain_and_stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    const auto deadline = SteadyClock::now() + std::min<std::chrono::milliseconds>(options_.shutdown_grace, kMaxGrace);
    for (auto& w : workers_) {
      {
        std::lock_guard lock(w->mu);
        w->draining = true;
        w->deadline = deadline;
      }
      w->cv.notify_all();
    }
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return consumer_exited_; });
    }
    consumer_thread_.join();
    for (auto& w : workers_) {
      {
        std::lock_guard lock(w->mu);
        w->stop = true;
      }
      w->cv.notify_all();
      w->thread.join();
    }
    log_->info("alert stage stopped: every hit record delivered or dead-lettered");
  }

  // Without a drain: stop at once. Uncommitted records stay on the bus for the next run.
  void abort_now() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    std::size_t uncommitted = 0;
    {
      std::lock_guard lock(mu_);
      abort_ = true;
      uncommitted = tickets_.size();
    }
    cv_.notify_all();
    consumer_thread_.join();
    for (auto& w : workers_) {
      {
        std::lock_guard lock(w->mu);
        w->abort = true;
      }
      w->cv.notify_all();
      w->thread.join();
    }
    if (uncommitted > 0) {
      log_->warn("alert stage stopped without draining; {} hit record(s) left uncommitted", uncommitted);
    }
  }

  const AlertStageOptions options_;
  const ClockPtr clock_;
  DeadLetterFile dead_letters_;
  std::shared_ptr<spdlog::logger> log_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& discarded_;
  prometheus::Family<prometheus::Counter>& suppressed_;
  prometheus::Family<prometheus::Counter>& stories_;
  prometheus::Family<prometheus::Gauge>& storm_mode_;
  prometheus::Counter* digests_sent_ = nullptr;
  prometheus::Counter* hits_received_ = nullptr;
  std::vector<std::unique_ptr<Worker>> workers_;
  ConsumerPtr consumer_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TicketPtr> tickets_;          // consumed, not yet committed, in poll order
  std::map<std::string, Digest> digests_;  // by rule; guarded by mu_
  // Consumer thread only.
  std::set<std::string> storming_;
  std::uint64_t storm_refresh_ = 0;
  bool input_finished_ = false;
  bool consumer_exited_ = false;
  bool abort_ = false;

  std::thread consumer_thread_;
  bool started_ = false;
  bool stopped_ = false;
};

AlertStage::AlertStage(std::vector<std::pair<SinkSpec, SinkPtr>> sinks, Bus& bus, MetricsRegistry& metrics,
                       ClockPtr clock_, AlertStageOptions options_)
    : impl_(std::make_unique<Impl>(std::move(sinks), bus, metrics, std::move(clock_), std::move(options_))) {}

AlertStage::~AlertStage() { impl_->abort_now(); }

void AlertStage::start() { impl_->start(); }

void AlertStage::drain_and_stop() { impl_->drain_and_stop(); }

}  // namespace vigia::alerting
