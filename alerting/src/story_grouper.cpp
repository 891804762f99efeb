#include "vigia/alerting/story_grouper.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "story_fingerprint.h"
#include "vigia/core/hash.h"
#include "vigia/core/log.h"

namespace vigia::alerting {
namespace {

using std::chrono::milliseconds;

// An item with fewer content words than this ("Última hora", an empty title) says too little to be
// recognised as another item's story: it stays a story of its own.
constexpr std::size_t kMinFeatures = 3;
constexpr milliseconds kPruneEvery{std::chrono::minutes{1}};

std::int64_t to_ms(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp from_ms(std::int64_t ms) { return Timestamp{milliseconds{ms}}; }

std::string join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out.push_back(sep);
    out += p;
  }
  return out;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t pos = 0;
  while (true) {
    const auto end = text.find(sep, pos);
    out.push_back(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

std::string hashes_to_text(const std::vector<std::uint64_t>& hashes) {
  std::string out;
  char buf[17];
  for (const auto h : hashes) {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    if (!out.empty()) out.push_back(' ');
    out += buf;
  }
  return out;
}

std::vector<std::uint64_t> hashes_from_text(const std::string& text) {
  std::vector<std::uint64_t> out;
  for (const auto& part : split(text, ' ')) out.push_back(std::stoull(part, nullptr, 16));
  return out;
}

// Item sources are feed names; a newline never appears in one, so it separates them in a column.
std::string sanitise_source(std::string source) {
  std::replace(source.begin(), source.end(), '\n', ' ');
  return source;
}

std::string alert_id(const std::string& rule, const std::string& story_id) {
  // Same form as build_alerts(): a story's first alert keeps the id its first item would have had.
  return stable_id(rule + "\n" + story_id);
}

std::int64_t get_int(const StateDb::Value& v) { return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : 0; }
double get_real(const StateDb::Value& v) {
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  return static_cast<double>(get_int(v));
}
std::string get_text(const StateDb::Value& v) { return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : std::string{}; }

}  // namespace

std::optional<std::string> validate(const StoryOptions& o) {
  if (o.window <= milliseconds::zero()) return "alerting.stories.window must be positive";
  if (o.similarity_bits < 0 || o.similarity_bits > 32) return "alerting.stories.similarity_bits must be between 0 and 32";
  if (!(o.min_word_overlap > 0 && o.min_word_overlap <= 1)) return "alerting.stories.min_word_overlap must be in (0, 1]";
  if (o.lead_bytes == 0) return "alerting.stories.lead_bytes must be positive";
  if (o.realert < milliseconds::zero()) return "alerting.stories.realert must not be negative";
  if (o.update_min_new_sources == 0) return "alerting.stories.update_min_new_sources must be at least 1";
  if (o.update_score_margin <= 0) return "alerting.stories.update_score_margin must be positive";
  if (o.max_sources == 0) return "alerting.stories.max_sources must be at least 1";
  if (o.storm.max_alerts == 0) return "alerting.stories.storm.max_alerts must be at least 1";
  if (o.storm.window <= milliseconds::zero() || o.storm.window > o.window)
    return "alerting.stories.storm.window must be positive and no longer than alerting.stories.window";
  if (o.storm.cooldown <= milliseconds::zero()) return "alerting.stories.storm.cooldown must be positive";
  return std::nullopt;
}

struct StoryGrouper::Impl {
  struct Story {
    std::string rule;
    std::string id;
    std::uint64_t fingerprint = 0;
    std::vector<std::uint64_t> words;
    Timestamp first_seen;
    Timestamp last_seen;
    std::vector<std::string> sources;  // distinct, in order of arrival (all of them; the alert lists max_sources)
    double best_score = 0;
    std::uint64_t sequence = 1;
    Timestamp last_sent;
    std::size_t last_sent_sources = 0;
    double last_sent_score = 0;
  };
  struct ItemRecord {
    std::string story_id;
    StoryDecision decision;
    std::vector<std::string> sources;  // as listed in the alert
    double score = 0;
    Timestamp first_seen;
    Timestamp last_seen;
  };

  StoryOptions options;
  ClockPtr clock;
  StateDbPtr db;
  mutable std::mutex mu;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Story>>> stories;  // by rule
  std::unordered_map<std::string, ItemRecord> items;                              // by rule + "\n" + item id
  std::unordered_map<std::string, StormState> storm;                              // by rule; active or just ended
  Timestamp last_prune{};

  void warn_on(const Status& s, const char* what) const {
    if (!s.ok()) log::get("alerting")->warn("stories: {}: {}", what, s.error().message);
  }

  Status create_tables() {
    if (!db) return ok_status();
    return db->exec(
        "CREATE TABLE IF NOT EXISTS story_stories ("
        " rule TEXT NOT NULL, story_id TEXT NOT NULL, fingerprint INTEGER NOT NULL, words TEXT NOT NULL,"
        " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, sources TEXT NOT NULL, best_score REAL NOT NULL,"
        " sequence INTEGER NOT NULL, last_sent INTEGER NOT NULL, last_sent_sources INTEGER NOT NULL,"
        " last_sent_score REAL NOT NULL, PRIMARY KEY (rule, story_id)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS story_items ("
        " rule TEXT NOT NULL, item_id TEXT NOT NULL, story_id TEXT NOT NULL, action INTEGER NOT NULL,"
        " reason TEXT NOT NULL, sequence INTEGER NOT NULL, source_count INTEGER NOT NULL, storm_folded INTEGER NOT NULL,"
        " sources TEXT NOT NULL, score REAL NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
        " PRIMARY KEY (rule, item_id)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS story_storm ("
        " rule TEXT PRIMARY KEY, since INTEGER NOT NULL, until INTEGER NOT NULL, folded INTEGER NOT NULL) WITHOUT ROWID;");
  }

  Status load(Timestamp now) {
    if (!db) return ok_status();
    const auto cutoff = to_ms(now - options.window);
    auto s = db->query(
        "SELECT rule, story_id, fingerprint, words, first_seen, last_seen, sources, best_score, sequence, last_sent,"
        " last_sent_sources, last_sent_score FROM story_stories WHERE last_seen >= ?1",
        {cutoff}, [&](const StateDb::Row& r) {
          auto st = std::make_unique<Story>();
          st->rule = get_text(r[0]);
          st->id = get_text(r[1]);
          st->fingerprint = std::bit_cast<std::uint64_t>(get_int(r[2]));
          st->words = hashes_from_text(get_text(r[3]));
          st->first_seen = from_ms(get_int(r[4]));
          st->last_seen = from_ms(get_int(r[5]));
          st->sources = split(get_text(r[6]), '\n');
          st->best_score = get_real(r[7]);
          st->sequence = static_cast<std::uint64_t>(get_int(r[8]));
          st->last_sent = from_ms(get_int(r[9]));
          st->last_sent_sources = static_cast<std::size_t>(get_int(r[10]));
          st->last_sent_score = get_real(r[11]);
          stories[st->rule].push_back(std::move(st));
        });
    if (!s.ok()) return s;
    s = db->query(
        "SELECT rule, item_id, story_id, action, reason, sequence, source_count, storm_folded, sources, score,"
        " first_seen, last_seen FROM story_items WHERE last_seen >= ?1",
        {cutoff}, [&](const StateDb::Row& r) {
          ItemRecord rec;
          rec.story_id = get_text(r[2]);
          rec.decision.action = static_cast<StoryAction>(get_int(r[3]));
          rec.decision.reason = get_text(r[4]);
          rec.decision.story_id = rec.story_id;
          rec.decision.sequence = static_cast<std::uint64_t>(get_int(r[5]));
          rec.decision.source_count = static_cast<std::size_t>(get_int(r[6]));
          rec.decision.storm_folded = static_cast<std::uint64_t>(get_int(r[7]));
          rec.sources = split(get_text(r[8]), '\n');
          rec.score = get_real(r[9]);
          rec.first_seen = from_ms(get_int(r[10]));
          rec.last_seen = from_ms(get_int(r[11]));
          items.emplace(get_text(r[0]) + "\n" + get_text(r[1]), std::move(rec));
        });
    if (!s.ok()) return s;
    return db->query("SELECT rule, since, until, folded FROM story_storm WHERE until > ?1", {to_ms(now)},
                     [&](const StateDb::Row& r) {
                       StormState st{get_text(r[0]), from_ms(get_int(r[1])), from_ms(get_int(r[2])),
                                     static_cast<std::uint64_t>(get_int(r[3]))};
                       storm.emplace(st.rule, st);
                     });
  }

  void save_story(const Story& st) {
    if (!db) return;
    warn_on(db->query("INSERT OR REPLACE INTO story_stories (rule, story_id, fingerprint, words, first_seen, last_seen,"
                      " sources, best_score, sequence, last_sent, last_sent_sources, last_sent_score)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                      {st.rule, st.id, std::bit_cast<std::int64_t>(st.fingerprint), hashes_to_text(st.words),
                       to_ms(st.first_seen), to_ms(st.last_seen), join(st.sources, '\n'), st.best_score,
                       static_cast<std::int64_t>(st.sequence), to_ms(st.last_sent),
                       static_cast<std::int64_t>(st.last_sent_sources), st.last_sent_score}),
            "saving a story");
  }

  void save_item(const std::string& rule, const std::string& item_id, const ItemRecord& rec) {
    if (!db) return;
    warn_on(db->query("INSERT OR REPLACE INTO story_items (rule, item_id, story_id, action, reason, sequence,"
                      " source_count, storm_folded, sources, score, first_seen, last_seen)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                      {rule, item_id, rec.story_id, static_cast<std::int64_t>(rec.decision.action), rec.decision.reason,
                       static_cast<std::int64_t>(rec.decision.sequence),
                       static_cast<std::int64_t>(rec.decision.source_count),
                       static_cast<std::int64_t>(rec.decision.storm_folded), join(rec.sources, '\n'), rec.score,
                       to_ms(rec.first_seen), to_ms(rec.last_seen)}),
            "saving an item decision");
  }

  void save_storm(const StormState& st) {
    if (!db) return;
    warn_on(db->query("INSERT OR REPLACE INTO story_storm (rule, since, until, folded) VALUES (?1, ?2, ?3, ?4)",
                      {st.rule, to_ms(st.since), to_ms(st.until), static_cast<std::int64_t>(st.folded)}),
            "saving storm state");
  }

  void prune_locked(Timestamp now) {
    last_prune = now;
    const auto cutoff = now - options.window;
    for (auto it = stories.begin(); it != stories.end();) {
      auto& list = it->second;
      std::erase_if(list, [&](const std::unique_ptr<Story>& st) { return st->last_seen < cutoff; });
      it = list.empty() ? stories.erase(it) : std::next(it);
    }
    std::erase_if(items, [&](const auto& kv) { return kv.second.last_seen < cutoff; });
    std::erase_if(storm, [&](const auto& kv) { return kv.second.until <= now; });
    if (!db) return;
    warn_on(db->query("DELETE FROM story_stories WHERE last_seen < ?1", {to_ms(cutoff)}), "pruning stories");
    warn_on(db->query("DELETE FROM story_items WHERE last_seen < ?1", {to_ms(cutoff)}), "pruning item decisions");
    warn_on(db->query("DELETE FROM story_storm WHERE until <= ?1", {to_ms(now)}), "pruning storm state");
  }

  Story* find_story(const std::string& rule, const Fingerprint& fp, Timestamp now) {
    if (fp.features < kMinFeatures) return nullptr;
    auto it = stories.find(rule);
    if (it == stories.end()) return nullptr;
    const auto cutoff = now - options.window;
    Story* best = nullptr;
    double best_overlap = -1;
    for (auto& st : it->second) {
      if (st->last_seen < cutoff || st->words.size() < kMinFeatures) continue;
      const double overlap = word_jaccard(fp.words, st->words);
      const bool copy = hamming_distance(fp.bits, st->fingerprint) <= options.similarity_bits;
      if (!copy && overlap < options.min_word_overlap) continue;
      const double rank = copy ? 2.0 + overlap : overlap;  // a copy beats any rewrite
      if (rank > best_overlap) {
        best_overlap = rank;
        best = st.get();
      }
    }
    return best;
  }

  std::size_t new_stories_in_storm_window(const std::string& rule, Timestamp now) const {
    auto it = stories.find(rule);
    if (it == stories.end()) return 0;
    const auto since = now - options.storm.window;
    return static_cast<std::size_t>(std::count_if(it->second.begin(), it->second.end(),
                                                  [&](const auto& st) { return st->first_seen > since; }));
  }

  // The storm state of `rule` now: ends an expired storm, starts or extends one when this new
  // story takes the rule over the limit. Returns the active storm, if any.
  StormState* storm_for(const std::string& rule, Timestamp now, bool is_new_story) {
    auto it = storm.find(rule);
    if (it != storm.end() && it->second.until <= now) {
      if (db) warn_on(db->query("DELETE FROM story_storm WHERE rule = ?1", {rule}), "ending a storm");
      log::get("alerting")->info("stories: rule '{}' left storm mode ({} alerts folded)", rule, it->second.folded);
      storm.erase(it);
      it = storm.end();
    }
    if (is_new_story && new_stories_in_storm_window(rule, now) > options.storm.max_alerts) {
      if (it == storm.end()) {
        it = storm.emplace(rule, StormState{rule, now, now + options.storm.cooldown, 0}).first;
        log::get("alerting")->warn("stories: rule '{}' entered storm mode: more than {} new stories in {} s", rule,
                                   options.storm.max_alerts,
                                   std::chrono::duration_cast<std::chrono::seconds>(options.storm.window).count());
      } else {
        it->second.until = now + options.storm.cooldown;  // still flooding: the cool-down starts again
      }
    }
    return it == storm.end() ? nullptr : &it->second;
  }

  void fill(Alert& alert, const std::string& story_id, const std::vector<std::string>& sources, double score,
            Timestamp first, Timestamp last, std::uint64_t sequence) const {
    alert.id = alert_id(alert.rule, story_id);
    alert.story.id = story_id;
    alert.story.sources = sources;
    alert.score = score;
    alert.first_seen = first;
    alert.last_seen = last;
    alert.sequence = sequence;
  }

  StoryDecision observe(Alert& alert, std::string_view summary) {
    std::lock_guard lock(mu);
    const Timestamp now = clock->now();
    if (now - last_prune >= kPruneEvery) prune_locked(now);

    const std::string item_key = alert.rule + "\n" + alert.item.id;
    if (auto it = items.find(item_key); it != items.end()) {
      const ItemRecord& rec = it->second;
      fill(alert, rec.story_id, rec.sources, rec.score, rec.first_seen, rec.last_seen, rec.decision.sequence);
      StoryDecision d = rec.decision;
      d.replayed = true;
      return d;
    }

    const Fingerprint fp = story_fingerprint(alert.item.title, lead_of(summary, options.lead_bytes));
    const std::string source = sanitise_source(alert.item.source);
    StoryDecision d;
    Story* st = find_story(alert.rule, fp, now);
    if (st == nullptr) {
      auto fresh = std::make_unique<Story>();
      fresh->rule = alert.rule;
      fresh->id = alert.item.id;
      fresh->fingerprint = fp.bits;
      fresh->words = fp.words;
      fresh->first_seen = now;
      fresh->last_seen = now;
      fresh->sources = {source};
      fresh->best_score = alert.score;
      fresh->sequence = 1;
      fresh->last_sent = now;
      fresh->last_sent_sources = 1;
      fresh->last_sent_score = alert.score;
      st = fresh.get();
      stories[alert.rule].push_back(std::move(fresh));
      d.action = StoryAction::kNew;
    } else {
      st->last_seen = now;
      if (std::find(st->sources.begin(), st->sources.end(), source) == st->sources.end()) st->sources.push_back(source);
      st->best_score = std::max(st->best_score, alert.score);
      const bool corroborated = st->sources.size() >= st->last_sent_sources + options.update_min_new_sources;
      const bool stronger = st->best_score >= st->last_sent_score + options.update_score_margin;
      if (!corroborated && !stronger) {
        d.action = StoryAction::kSuppressed;
        d.reason = "duplicate";
      } else if (st->sequence - 1 >= options.max_updates) {
        d.action = StoryAction::kSuppressed;
        d.reason = "max_updates";
      } else if (now - st->last_sent < options.realert) {
        d.action = StoryAction::kSuppressed;
        d.reason = "throttled";
      } else {
        d.action = StoryAction::kUpdate;
        ++st->sequence;
        st->last_sent = now;
        st->last_sent_sources = st->sources.size();
        st->last_sent_score = st->best_score;
      }
    }
    if (StormState* s = storm_for(alert.rule, now, d.action == StoryAction::kNew);
        s != nullptr && d.action != StoryAction::kSuppressed) {
      // Folded into the digest counts as sent: the story's next update is measured from here.
      d.action = StoryAction::kDigest;
      d.reason = "storm";
      d.storm_folded = ++s->folded;
      save_storm(*s);
    }
    d.story_id = st->id;
    d.sequence = st->sequence;
    d.source_count = st->sources.size();

    ItemRecord rec;
    rec.story_id = st->id;
    rec.decision = d;
    rec.sources.assign(st->sources.begin(),
                       st->sources.begin() + static_cast<std::ptrdiff_t>(std::min(st->sources.size(), options.max_sources)));
    rec.score = st->best_score;
    rec.first_seen = st->first_seen;
    rec.last_seen = st->last_seen;
    fill(alert, rec.story_id, rec.sources, rec.score, rec.first_seen, rec.last_seen, d.sequence);
    // The item's decision first: after a crash between the two writes, the redelivered item
    // replays its decision (so an alert that may be lost is sent again) rather than being judged
    // a duplicate of a story that already counts it.
    save_item(alert.rule, alert.item.id, rec);
    save_story(*st);
    items.emplace(item_key, std::move(rec));
    return d;
  }
};

StoryGrouper::StoryGrouper(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StoryGrouper::~StoryGrouper() = default;

Result<std::unique_ptr<StoryGrouper>> StoryGrouper::open(StoryOptions options, ClockPtr clock, StateDbPtr db) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = clock ? std::move(clock) : system_clock();
  impl->db = std::move(db);
  if (auto s = impl->create_tables(); !s.ok()) return s.error();
  const auto now = impl->clock->now();
  if (auto s = impl->load(now); !s.ok()) return s.error();
  impl->last_prune = now;
  return std::unique_ptr<StoryGrouper>(new StoryGrouper(std::move(impl)));
}

StoryDecision StoryGrouper::observe(Alert& alert, std::string_view summary) { return impl_->observe(alert, summary); }

std::vector<StormState> StoryGrouper::storms() const {
  std::lock_guard lock(impl_->mu);
  const auto now = impl_->clock->now();
  std::vector<StormState> out;
  for (const auto& [rule, st] : impl_->storm) {
    if (st.until > now) out.push_back(st);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.rule < b.rule; });
  return out;
}

std::size_t StoryGrouper::story_count() const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& [rule, list] : impl_->stories) n += list.size();
  return n;
}

void StoryGrouper::prune() {
  std::lock_guard lock(impl_->mu);
  impl_->prune_locked(impl_->clock->now());
}

}  // namespace vigia::alerting
