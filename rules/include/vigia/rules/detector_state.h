// DetectorState: the memory of the stateful detectors declared in rule files (detectors.h). The
// scorer looks at one item; a detector compares what the scorer found in it with what earlier
// items showed, and adds a signal of its own to the item's matches.
//
// Novelty. For each item that passes `when`, every pair (canonical name from `pair[0]`'s list,
// canonical name from `pair[1]`'s list) named together in scope is looked up; a pair not seen
// within `window` is new and signals — unless the detector is still learning (the first
// `learn_for` after this state first met it, recorded durably so that a restart does not start a
// fresh learning period, and so that a fresh deployment does not fire on every pair it meets on
// day one). Each sighting refreshes the pair's last_seen. Scopes:
//   same_sentence  both names in one sentence of one field;
//   near           in one field with at most `near` words between them, counted from the start of
//                  the first name (a multi-word first name uses up part of the distance: mentions
//                  carry no end position);
//   item           anywhere in the item.
// A pair of one name with itself is never a pair; with the same list on both sides, (A, B) and
// (B, A) are one pair.
//
// Spikes. Items that matched `rule` (or any rule of the detector's category) are counted per
// `bucket` of the clock (boundaries aligned to the epoch), per canonical name of the `by` list the
// item names (an item naming none is not counted), else in one counter. An item counts once per
// key however many of the counted rules it matched. A bucket's count feeds an exponentially
// weighted moving average when the bucket closes, alpha = bucket / baseline; buckets that saw no
// item decay it as zeros, also across a long gap. The average is bias-corrected for the buckets
// the detector has existed (as if it had started at zero), so that right after learning it is the
// mean of what was seen, not two thirds of it. A key fires once per bucket, on the item that makes
//   count >= min_count  and  count >= factor × max(baseline, 1)
// — the floor of one match per bucket keeps a zero baseline from calling three stray matches a
// surge. A spike detector learns for its first `baseline` horizon and fires only after it: before
// that its average has not seen one horizon and would flag any busy rule. Items published more
// than one bucket before now are not counted (a feed's back catalogue on its first fetch, or the
// backlog fetched after an outage, is not a surge of news); items without a publication date are.
//
// Signals. One Match per detector per item (alert ids are hash(rule, item), so one match per pair
// would collide downstream): rule = detector id, title = the detector's title followed by what
// fired ("CJNG × Zacatecas; Cártel de Sinaloa × Sonora", or "Zacatecas 7 in 1h vs usual 0.8"),
// category and severity from the definition, score = the number of new pairs (novelty) or the
// highest count/baseline ratio (spikes, baseline floored at 1). Terms: for novelty, each name of
// each new pair as pattern "<list>:<canonical name>" with field, byte offsets in the original text
// and a snippet (the span covers the name when the text spells the canonical form, else its first
// word); for spikes, the terms of the counted rule matches. Signals are appended to
// result.matches, which is then re-sorted (most severe first, then highest score) like the
// scorer's, and result.entities is filled if it was empty. Signals look only at the scorer's own
// matches: a novelty signal never counts towards a spike nor satisfies another detector's `when`.
//
// Redelivery. The bus delivers at least once: when the item that made a pair new (or made a key
// fire) is scored again, it gets the same signal again (receivers dedup by alert id) rather than
// losing it to the first, unpublished attempt.
//
// State is keyed by detector id, not by RuleSet: it survives rule reloads (a removed detector's
// state stays, and comes back with it), and with a StateDb it survives restarts. Tables, created
// with CREATE TABLE IF NOT EXISTS: detector_meta(kind, detector, started), novelty_pairs(detector,
// a, b, first_seen, last_seen, signal_item), spike_buckets(detector, key, bucket_start, bucket_ms,
// count, baseline, fired, signal_item). A pair's last_seen is written when it moved by more than a
// thousandth of the window (and by flush()), so that a frequent pair does not cost a write per
// item; a crash can thus make a pair new that much early. Rows are pruned about once an hour of
// the clock: pairs not seen within their window, spike keys silent for five baseline horizons
// (their average has decayed below 1% of what it was).
//
// Thread-safety: every method may be called from any thread (the score workers share one
// instance); a mutex serialises the state, taken only for items that concern a detector.
// Ownership: holds the StateDb (shared) and the clock. Failure: never throws out of apply(); a
// StateDb failure is logged (first failure, then every 1000th), counted in
// vigia_rules_detector_state_errors_total, and the detector carries on with its memory. If the
// tables cannot be created, the state runs in memory only.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "vigia/core/clock.h"
#include "vigia/core/metrics.h"
#include "vigia/core/model.h"
#include "vigia/core/state_db.h"
#include "vigia/rules/rule_set.h"
#include "vigia/rules/scorer.h"

namespace vigia::rules {

// What apply() added, for metrics: one per detector that fired on the item.
struct DetectorSignal {
  std::string detector;
  std::string category;
  std::string severity;
};

class DetectorState {
 public:
  // `db` null: state lives in memory for the life of this object. `metrics` (optional, must
  // outlive this object) receives vigia_rules_detector_state_errors_total.
  explicit DetectorState(StateDbPtr db = nullptr, ClockPtr clock = system_clock(), MetricsRegistry* metrics = nullptr);
  ~DetectorState();  // flush()es
  DetectorState(const DetectorState&) = delete;
  DetectorState& operator=(const DetectorState&) = delete;

  // Evaluates every enabled detector of `rules` on an item that `rules` scored into `result`
  // (its matches, entities and mentions), appends their signals to result.matches and returns
  // them. `now` is the clock's reading by default.
  std::vector<DetectorSignal> apply(const RuleSet& rules, const Item& item, ScoreResult& result);
  std::vector<DetectorSignal> apply(const RuleSet& rules, const Item& item, ScoreResult& result, Timestamp now);

  // Writes what is only in memory (pair sightings not yet persisted) to the StateDb.
  void flush();

 private:
  struct Pair {
    std::int64_t first_seen = 0;  // ms since the epoch; start of the current run of sightings
    std::int64_t last_seen = 0;
    std::int64_t persisted_last_seen = 0;
    std::string signal_item;  // the item that made this run new and signalled; "" if none did
  };
  struct NoveltyWindow {
    std::int64_t started = 0;
    std::map<std::pair<std::string, std::string>, Pair> pairs;
  };
  struct SpikeKey {
    std::int64_t bucket_start = 0;
    std::int64_t bucket_ms = 0;
    std::int64_t count = 0;
    double baseline = 0;  // raw EWMA of closed buckets' counts, started at zero with the detector
    bool fired = false;   // in this bucket
    std::string signal_item;
  };
  struct SpikeWindow {
    std::int64_t started = 0;
    std::map<std::string, SpikeKey, std::less<>> keys;
  };
  struct PairCandidate;

  void register_detectors(const RuleSet& rules, std::int64_t now);
  NoveltyWindow& novelty_window(const NoveltyDef& def, std::int64_t now);
  SpikeWindow& spike_window(const SpikeDef& def, std::int64_t now);
  std::int64_t load_started(const char* kind, const std::string& detector, std::int64_t now);
  bool apply_novelty(const RuleSet& rules, const NoveltyDef& def, const Item& item, ScoreResult& result,
                     std::size_t rule_matches, std::int64_t now);
  bool apply_spike(const RuleSet& rules, const SpikeDef& def, const Item& item, ScoreResult& result,
                   std::size_t rule_matches, std::int64_t now);
  void persist_pair(const std::string& detector, const std::pair<std::string, std::string>& key, Pair& pair);
  void persist_spike(const std::string& detector, const std::string& key, const SpikeKey& state);
  void prune(const RuleSet& rules, std::int64_t now);
  void flush_locked();
  bool check(const Status& status, const char* what);

  StateDbPtr db_;
  ClockPtr clock_;
  prometheus::Counter* errors_ = nullptr;
  std::mutex mu_;
  std::map<std::string, NoveltyWindow, std::less<>> novelty_;
  std::map<std::string, SpikeWindow, std::less<>> spikes_;
  std::int64_t next_prune_ = 0;
  std::uint64_t db_failures_ = 0;
  // The last RuleSet whose detectors were registered: lets apply() skip the lock on most items.
  // Only a hint (an address can be reused); every path re-checks under the lock.
  std::atomic<const RuleSet*> registered_{nullptr};
};

using DetectorStatePtr = std::shared_ptr<DetectorState>;

}  // namespace vigia::rules
