#include "vigia/rules/detector_state.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>

#include "vigia/core/log.h"
#include "vigia/core/severity.h"
#include "vigia/rules/text_fold.h"

namespace vigia::rules {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kPruneEveryMs = std::chrono::milliseconds(1h).count();
constexpr std::size_t kTermsPerSignal = 20;  // as many as the scorer keeps per match
constexpr std::size_t kPairsInTitle = 3;
// A spike's baseline is floored at one match per bucket: with a zero baseline, `factor` stray
// matches would otherwise be a surge.
constexpr double kBaselineFloor = 1.0;
// "count >= factor x baseline" with room for the rounding of the average: a steady 2 an hour must
// make 6 a surge at factor 3, not 2.0000000001.
constexpr double kRelativeSlack = 1e-9;
// Spike keys silent this many baseline horizons are forgotten: e^-5, their average is below 1%.
constexpr std::int64_t kSpikeForgetHorizons = 5;
// A pair's last_seen is written when it moved by this fraction of the window.
constexpr std::int64_t kPersistFraction = 1000;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS detector_meta ("
    " kind TEXT NOT NULL, detector TEXT NOT NULL, started INTEGER NOT NULL,"
    " PRIMARY KEY (kind, detector)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS novelty_pairs ("
    " detector TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL, first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL, signal_item TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (detector, a, b)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS spike_buckets ("
    " detector TEXT NOT NULL, key TEXT NOT NULL, bucket_start INTEGER NOT NULL, bucket_ms INTEGER NOT NULL,"
    " count INTEGER NOT NULL, baseline REAL NOT NULL, fired INTEGER NOT NULL DEFAULT 0,"
    " signal_item TEXT NOT NULL DEFAULT '', PRIMARY KEY (detector, key)) WITHOUT ROWID";

std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }

std::int64_t floor_to(std::int64_t t, std::int64_t step) {
  const std::int64_t q = t / step;
  return (t % step != 0 && t < 0 ? q - 1 : q) * step;
}

std::int64_t as_int(const StateDb::Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  return 0;
}

double as_double(const StateDb::Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}

std::string as_string(const StateDb::Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}

// "1h", "30m", "1d", "90s": the largest unit that divides the duration exactly.
std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  static constexpr std::array<std::pair<std::int64_t, const char*>, 4> kUnits{
      {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}}};
  for (const auto& [unit, suffix] : kUnits) {
    if (ms >= unit && ms % unit == 0) return std::to_string(ms / unit) + suffix;
  }
  return std::to_string(ms) + "ms";
}

std::string format_rate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

int list_index(const RuleSet& rules, const std::string& name) {
  const auto& lists = rules.lists();
  for (std::size_t i = 0; i < lists.size(); ++i) {
    if (lists[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool in_scope(const NoveltyDef& def, const EntityMention& x, const EntityMention& y) {
  switch (def.scope) {
    case NoveltyDef::Scope::kItem:
      return true;
    case NoveltyDef::Scope::kSameSentence:
      return x.field == y.field && x.sentence == y.sentence;
    case NoveltyDef::Scope::kNear: {
      if (x.field != y.field) return false;
      const std::uint32_t lo = std::min(x.word, y.word);
      const std::uint32_t hi = std::max(x.word, y.word);
      const std::uint32_t between = hi == lo ? 0 : hi - lo - 1;
      return between <= static_cast<std::uint32_t>(std::max(def.near_words, 0));
    }
  }
  return false;
}

// Finds a mention in the original text from its word position, for terms and snippets. Folds a
// field only when a signal needs it, which is rare, so the hot path pays nothing.
class MentionLocator {
 public:
  explicit MentionLocator(const Item& item) : fields_{item.title, item.summary, item.content} {}

  Term term(std::string pattern, const std::string& canonical, const EntityMention& m) {
    Term t;
    t.pattern = std::move(pattern);
    if (m.field >= kFieldCount) return t;
    t.field = std::string(kFieldNames[m.field]);
    FoldedText& ft = folded(m.field);
    const std::string& text = ft.text;
    // Word starts are counted exactly as the scorer counts them (is_word_byte on folded text).
    std::size_t from = text.size();
    std::uint32_t seen = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const bool start = is_word_byte(static_cast<unsigned char>(text[i])) &&
                         (i == 0 || !is_word_byte(static_cast<unsigned char>(text[i - 1])));
      if (!start) continue;
      if (seen == m.word) {
        from = i;
        break;
      }
      ++seen;
    }
    if (from == text.size()) return t;
    std::size_t to = from;
    while (to < text.size() && is_word_byte(static_cast<unsigned char>(text[to]))) ++to;
    // The name as written in the list: cover all of it. An alias ("Cuatro Letras" for CJNG)
    // keeps its first word only, as mentions carry no end position.
    const std::string name = fold(canonical);
    if (!name.empty() && text.compare(from, name.size(), name) == 0 &&
        (from + name.size() == text.size() || !is_word_byte(static_cast<unsigned char>(text[from + name.size()])))) {
      to = from + name.size();
    }
    t.start = ft.original_start(from);
    t.end = ft.original_end(to);
    t.snippet = make_snippet(fields_[m.field], t.start, t.end);
    return t;
  }

 private:
  FoldedText& folded(std::uint8_t field) {
    if (!done_[field]) {
      fold_text(fields_[field], folded_[field]);
      done_[field] = true;
    }
    return folded_[field];
  }

  std::array<std::string_view, kFieldCount> fields_;
  std::array<FoldedText, kFieldCount> folded_;
  std::array<bool, kFieldCount> done_{};
};

}  // namespace

struct DetectorState::PairCandidate {
  std::pair<std::string, std::string> key;  // canonical names, in the definition's list order
  const EntityMention* a;                   // the first sighting of each in scope
  const EntityMention* b;
};

DetectorState::DetectorState(StateDbPtr db, ClockPtr clock, MetricsRegistry* metrics)
    : db_(std::move(db)), clock_(clock ? std::move(clock) : system_clock()) {
  if (metrics) {
    errors_ = &counter_family(*metrics, "vigia_rules_detector_state_errors_total",
                              "State database failures of the stateful detectors (they carry on in memory)")
                   .Add({});
  }
  if (db_ && !check(db_->exec(kSchema), "creating the detector tables")) {
    log::get("rules")->error("stateful detectors will keep their windows in memory only: restarts will lose them");
    db_ = nullptr;
  }
}

DetectorState::~DetectorState() {
  try {
    flush();
  } catch (const std::exception& e) {
    log::get("rules")->error("could not flush detector state: {}", e.what());
  }
}

bool DetectorState::check(const Status& status, const char* what) {
  if (status.ok()) return true;
  ++db_failures_;
  if (errors_) errors_->Increment();
  if (db_failures_ == 1 || db_failures_ % 1000 == 0) {
    log::get("rules")->warn("detector state: {} failed ({} failure(s) so far); carrying on in memory: {}", what,
                            db_failures_, status.error().message);
  }
  return false;
}

std::int64_t DetectorState::load_started(const char* kind, const std::string& detector, std::int64_t now) {
  if (!db_) return now;
  std::optional<std::int64_t> started;
  const auto found =
      db_->query("SELECT started FROM detector_meta WHERE kind = ?1 AND detector = ?2", {std::string(kind), detector},
                 [&](const StateDb::Row& row) { started = as_int(row[0]); });
  if (!check(found, "reading a detector's start")) return now;
  if (started) return *started;
  (void)check(db_->query("INSERT OR IGNORE INTO detector_meta (kind, detector, started) VALUES (?1, ?2, ?3)",
                         {std::string(kind), detector, now}),
              "recording a detector's start");
  return now;
}

DetectorState::NoveltyWindow& DetectorState::novelty_window(const NoveltyDef& def, std::int64_t now) {
  if (auto it = novelty_.find(def.id); it != novelty_.end()) return it->second;
  NoveltyWindow& w = novelty_[def.id];
  w.started = load_started("novelty", def.id, now);
  if (db_) {
    (void)check(db_->query("SELECT a, b, first_seen, last_seen, signal_item FROM novelty_pairs"
                           " WHERE detector = ?1 AND last_seen >= ?2",
                           {def.id, now - def.window.count()},
                           [&](const StateDb::Row& row) {
                             Pair& p = w.pairs[{as_string(row[0]), as_string(row[1])}];
                             p.first_seen = as_int(row[2]);
                             p.last_seen = p.persisted_last_seen = as_int(row[3]);
                             p.signal_item = as_string(row[4]);
                           }),
                "loading novelty pairs");
  }
  return w;
}

DetectorState::SpikeWindow& DetectorState::spike_window(const SpikeDef& def, std::int64_t now) {
  if (auto it = spikes_.find(def.id); it != spikes_.end()) return it->second;
  SpikeWindow& w = spikes_[def.id];
  w.started = load_started("spike", def.id, now);
  if (db_) {
    (void)check(db_->query("SELECT key, bucket_start, bucket_ms, count, baseline, fired, signal_item"
                           " FROM spike_buckets WHERE detector = ?1",
                           {def.id},
                           [&](const StateDb::Row& row) {
                             SpikeKey& k = w.keys[as_string(row[0])];
                             k.bucket_start = as_int(row[1]);
                             k.bucket_ms = as_int(row[2]);
                             k.count = as_int(row[3]);
                             k.baseline = as_double(row[4]);
                             k.fired = as_int(row[5]) != 0;
                             k.signal_item = as_string(row[6]);
                           }),
                "loading spike buckets");
  }
  return w;
}

void DetectorState::register_detectors(const RuleSet& rules, std::int64_t now) {
  // Learning periods start when a set first shows a detector, not when it first meets an item.
  for (const auto& def : rules.novelty()) {
    if (def.enabled) novelty_window(def, now);
  }
  for (const auto& def : rules.spikes()) {
    if (def.enabled) spike_window(def, now);
  }
}

void DetectorState::persist_pair(const std::string& detector, const std::pair<std::string, std::string>& key,
                                 Pair& pair) {
  if (db_ &&
      !check(db_->query("INSERT OR REPLACE INTO novelty_pairs (detector, a, b, first_seen, last_seen, signal_item)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        {detector, key.first, key.second, pair.first_seen, pair.last_seen, pair.signal_item}),
             "recording a novelty pair")) {
    return;  // still behind: the next sighting or flush() tries again
  }
  pair.persisted_last_seen = pair.last_seen;
}

void DetectorState::persist_spike(const std::string& detector, const std::string& key, const SpikeKey& k) {
  if (!db_) return;
  (void)check(db_->query("INSERT OR REPLACE INTO spike_buckets"
                         " (detector, key, bucket_start, bucket_ms, count, baseline, fired, signal_item)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                         {detector, key, k.bucket_start, k.bucket_ms, k.count, k.baseline,
                          std::int64_t{k.fired ? 1 : 0}, k.signal_item}),
              "recording a spike bucket");
}

void DetectorState::flush() {
  std::lock_guard lock(mu_);
  flush_locked();
}

void DetectorState::flush_locked() {
  for (auto& [detector, window] : novelty_) {
    for (auto& [key, pair] : window.pairs) {
      if (pair.persisted_last_seen < pair.last_seen) persist_pair(detector, key, pair);
    }
  }
}

void DetectorState::prune(const RuleSet& rules, std::int64_t now) {
  if (now < next_prune_) return;
  next_prune_ = now + kPruneEveryMs;
  // The database must hold every pair's latest sighting before rows are judged by it.
  flush_locked();
  for (const auto& def : rules.novelty()) {
    auto it = novelty_.find(def.id);
    if (it == novelty_.end()) continue;
    const std::int64_t cutoff = now - def.window.count();
    std::erase_if(it->second.pairs, [&](const auto& entry) { return entry.second.last_seen < cutoff; });
    if (db_) {
      (void)check(db_->query("DELETE FROM novelty_pairs WHERE detector = ?1 AND last_seen < ?2", {def.id, cutoff}),
                  "pruning novelty pairs");
    }
  }
  for (const auto& def : rules.spikes()) {
    auto it = spikes_.find(def.id);
    if (it == spikes_.end()) continue;
    const std::int64_t cutoff = now - kSpikeForgetHorizons * def.baseline.count();
    std::erase_if(it->second.keys, [&](const auto& entry) { return entry.second.bucket_start < cutoff; });
    if (db_) {
      (void)check(db_->query("DELETE FROM spike_buckets WHERE detector = ?1 AND bucket_start < ?2", {def.id, cutoff}),
                  "pruning spike buckets");
    }
  }
}

std::vector<DetectorSignal> DetectorState::apply(const RuleSet& rules, const Item& item, ScoreResult& result) {
  return apply(rules, item, result, clock_->now());
}

std::vector<DetectorSignal> DetectorState::apply(const RuleSet& rules, const Item& item, ScoreResult& result,
                                                 Timestamp now) {
  std::vector<DetectorSignal> signals;
  if (rules.novelty().empty() && rules.spikes().empty()) return signals;
  const std::int64_t t = millis(now);
  try {
    if (registered_.load(std::memory_order_acquire) != &rules) {
      std::lock_guard lock(mu_);
      register_detectors(rules, t);
      registered_.store(&rules, std::memory_order_release);
    }
    // Detectors read the scorer's matches only, never each other's signals.
    const std::size_t rule_matches = result.matches.size();
    for (const auto& def : rules.novelty()) {
      if (def.enabled && apply_novelty(rules, def, item, result, rule_matches, t)) {
        signals.push_back({def.id, def.category, def.severity});
      }
    }
    for (const auto& def : rules.spikes()) {
      if (def.enabled && apply_spike(rules, def, item, result, rule_matches, t)) {
        signals.push_back({def.id, def.category, def.severity});
      }
    }
    if (signals.empty()) return signals;
    std::stable_sort(result.matches.begin(), result.matches.end(), [](const Match& a, const Match& b) {
      const int ra = severity_rank(a.severity).value_or(0);
      const int rb = severity_rank(b.severity).value_or(0);
      return ra != rb ? ra > rb : a.score > b.score;
    });
    if (result.entities.empty()) {
      for (const auto& m : result.mentions) {
        const EntityList& list = rules.lists()[m.list];
        auto& names = result.entities[list.name];
        if (std::find(names.begin(), names.end(), list.entries[m.entry]) == names.end()) {
          names.push_back(list.entries[m.entry]);
        }
      }
    }
  } catch (const std::exception& e) {
    // Only allocation can throw here; the item keeps what was added so far.
    log::get("rules")->error("stateful detectors failed on item {}: {}", item.id, e.what());
  }
  return signals;
}

bool DetectorState::apply_novelty(const RuleSet& rules, const NoveltyDef& def, const Item& item, ScoreResult& result,
                                  std::size_t rule_matches, std::int64_t now) {
  if (!def.when.empty()) {
    const bool wanted =
        std::any_of(result.matches.begin(), result.matches.begin() + static_cast<std::ptrdiff_t>(rule_matches),
                    [&](const Match& m) { return novelty_wants(def, m); });
    if (!wanted) return false;
  }
  const int la = list_index(rules, def.list_a);
  const int lb = list_index(rules, def.list_b);
  if (la < 0 || lb < 0) return false;
  const EntityList& list_a = rules.lists()[static_cast<std::size_t>(la)];
  const EntityList& list_b = rules.lists()[static_cast<std::size_t>(lb)];

  // Pairs in scope, each once, with where it was first seen (mentions are in reading order).
  std::vector<PairCandidate> candidates;
  for (const auto& x : result.mentions) {
    if (x.list != static_cast<std::uint32_t>(la)) continue;
    for (const auto& y : result.mentions) {
      if (y.list != static_cast<std::uint32_t>(lb) || &x == &y || !in_scope(def, x, y)) continue;
      PairCandidate c{{list_a.entries[x.entry], list_b.entries[y.entry]}, &x, &y};
      if (c.key.first == c.key.second) continue;
      if (la == lb && c.key.second < c.key.first) {
        std::swap(c.key.first, c.key.second);
        std::swap(c.a, c.b);
      }
      const bool known =
          std::any_of(candidates.begin(), candidates.end(), [&](const PairCandidate& o) { return o.key == c.key; });
      if (!known) candidates.push_back(std::move(c));
    }
  }
  if (candidates.empty()) return false;

  std::vector<const PairCandidate*> fresh;
  {
    std::lock_guard lock(mu_);
    prune(rules, now);
    NoveltyWindow& w = novelty_window(def, now);
    const bool learning = now < w.started + def.learn_for.count();
    const std::int64_t persist_step = std::max<std::int64_t>(def.window.count() / kPersistFraction, 1);
    for (const auto& c : candidates) {
      Pair& p = w.pairs[c.key];
      const bool is_new = p.last_seen == 0 || now - p.last_seen > def.window.count();
      bool signal = false;
      if (is_new) {
        p.first_seen = now;
        p.signal_item = learning ? std::string() : item.id;
        signal = !learning;
      } else if (!item.id.empty() && p.signal_item == item.id) {
        signal = true;  // the same item again: the first attempt's hit may never have been published
      }
      p.last_seen = std::max(p.last_seen, now);
      if (is_new || p.last_seen - p.persisted_last_seen >= persist_step) persist_pair(def.id, c.key, p);
      if (signal) fresh.push_back(&c);
    }
  }
  if (fresh.empty()) return false;

  Match m{def.id, def.title, def.category, def.severity, static_cast<double>(fresh.size()), {}};
  m.title += ": ";
  MentionLocator locate(item);
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    const PairCandidate& c = *fresh[i];
    if (i < kPairsInTitle) m.title += (i > 0 ? "; " : "") + c.key.first + " × " + c.key.second;
    if (m.terms.size() + 2 <= kTermsPerSignal) {
      m.terms.push_back(locate.term(list_a.name + ":" + c.key.first, c.key.first, *c.a));
      m.terms.push_back(locate.term(list_b.name + ":" + c.key.second, c.key.second, *c.b));
    }
  }
  if (fresh.size() > kPairsInTitle) m.title += " (+" + std::to_string(fresh.size() - kPairsInTitle) + " more)";
  result.matches.push_back(std::move(m));
  return true;
}

bool DetectorState::apply_spike(const RuleSet& rules, const SpikeDef& def, const Item& item, ScoreResult& result,
                                std::size_t rule_matches, std::int64_t now) {
  std::vector<std::size_t> counted;
  for (std::size_t i = 0; i < rule_matches; ++i) {
    const Match& m = result.matches[i];
    if (def.rule.empty() ? m.category == def.rule_category : m.rule == def.rule) counted.push_back(i);
  }
  if (counted.empty()) return false;
  const std::int64_t bucket = std::max<std::int64_t>(def.bucket.count(), 1);
  if (item.published && !item.published_is_fetch_time && millis(*item.published) < now - bucket) return false;

  std::vector<std::string> keys;
  if (def.by.empty()) {
    keys.emplace_back();
  } else if (auto it = result.entities.find(def.by); it != result.entities.end()) {
    keys = it->second;
  }
  if (keys.empty()) return false;

  struct Fired {
    std::string key;
    std::int64_t count;
    double usual;
  };
  std::vector<Fired> fired;
  {
    std::lock_guard lock(mu_);
    prune(rules, now);
    SpikeWindow& w = spike_window(def, now);
    const bool learning = now < w.started + def.baseline.count();
    const std::int64_t current = floor_to(now, bucket);
    const double alpha = std::clamp(
        static_cast<double>(bucket) / static_cast<double>(std::max<std::int64_t>(def.baseline.count(), 1)), 1e-9, 1.0);
    // Buckets closed since the detector started: the average's bias correction (it started at 0).
    const std::int64_t history = (current - floor_to(w.started, bucket)) / bucket;
    const double weight = history > 0 ? 1.0 - std::pow(1.0 - alpha, static_cast<double>(history)) : 0.0;
    for (const auto& key : keys) {
      auto [it, inserted] = w.keys.try_emplace(key);
      SpikeKey& k = it->second;
      if (inserted) {
        k.bucket_start = current;
        k.bucket_ms = bucket;
      } else if (k.bucket_ms != bucket) {
        // The bucket was redefined by a reload: keep the rate, restart the bucket.
        k.baseline *= static_cast<double>(bucket) / static_cast<double>(std::max<std::int64_t>(k.bucket_ms, 1));
        k = SpikeKey{current, bucket, 0, k.baseline, false, {}};
      } else if (current > k.bucket_start) {
        // Close the key's bucket, then decay through the empty ones since (a gap of any length).
        const std::int64_t closed = (current - k.bucket_start) / bucket;
        k.baseline = (1.0 - alpha) * k.baseline + alpha * static_cast<double>(k.count);
        if (closed > 1) k.baseline *= std::pow(1.0 - alpha, static_cast<double>(closed - 1));
        k = SpikeKey{current, bucket, 0, k.baseline, false, {}};
      }
      // (A clock that went back counts into the key's current bucket rather than rewriting history.)
      const double usual = weight > 0 ? k.baseline / weight : 0.0;
      if (k.fired && !item.id.empty() && k.signal_item == item.id) {
        // The item that fired, delivered again: signal again, count once.
        fired.push_back({key, k.count, usual});
        continue;
      }
      ++k.count;
      if (!k.fired && !learning && k.count >= def.min_count &&
          static_cast<double>(k.count) >= def.factor * std::max(usual, kBaselineFloor) * (1 - kRelativeSlack)) {
        k.fired = true;
        k.signal_item = item.id;
        fired.push_back({key, k.count, usual});
      }
      persist_spike(def.id, key, k);
    }
  }
  if (fired.empty()) return false;

  Match m{def.id, def.title + ": ", def.category, def.severity, 0, {}};
  for (std::size_t i = 0; i < fired.size(); ++i) {
    const Fired& f = fired[i];
    if (i > 0) m.title += "; ";
    if (!f.key.empty()) m.title += f.key + " ";
    m.title += std::to_string(f.count) + " in " + format_duration(def.bucket) + " vs usual " + format_rate(f.usual);
    m.score = std::max(m.score, static_cast<double>(f.count) / std::max(f.usual, kBaselineFloor));
  }
  for (const auto i : counted) {
    for (const auto& term : result.matches[i].terms) {
      if (m.terms.size() == kTermsPerSignal) break;
      m.terms.push_back(term);
    }
  }
  result.matches.push_back(std::move(m));
  return true;
}

}  // namespace vigia::rules
