// StoryGrouper: "stories, not articles". Decides, for each alert the stage builds from a hit,
// whether it starts a new story, updates a story already alerted (same alert id, next sequence
// number), is suppressed, or folds into its rule's storm digest — and fills the alert's id,
// story, first/last seen and sequence accordingly.
//
// Two items of one rule are the same story when, within `window` of the story's last item, their
// SimHash fingerprints are at most `similarity_bits` apart (copies) or their content words have a
// Jaccard similarity of at least `min_word_overlap` (rewrites); see story_fingerprint.h.
// Candidates are the rule's stories still inside the window, compared by a linear scan: a popcount
// and a merge of two ~30-element sorted vectors each, so thousands of live stories per rule cost
// microseconds, and unlike 16-bit band buckets (exact only up to 3 differing bits) the scan loses
// no rewrite that lands 10-20 bits away.
//
// Redeliveries are idempotent: the decision for (rule, item id) is recorded, and seeing that item
// again (the bus redelivering after a crash) returns the recorded decision, flagged `replayed`,
// with the same sequence and sources — so the stage re-sends exactly what it may have lost.
//
// State (stories, item decisions, storm state) is written through to the StateDb tables
// story_stories, story_items and story_storm, and loaded back by open(); a database error is
// logged and the grouper carries on in memory. Thread-safety: every method may be called from any
// thread (one mutex). The clock must outlive the grouper.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/core/clock.h"
#include "vigia/core/model.h"
#include "vigia/core/result.h"
#include "vigia/core/state_db.h"

namespace vigia::alerting {

// Config keys (parsed by the daemon) are given beside each field.
struct StoryOptions {
  std::chrono::milliseconds window{std::chrono::hours{48}};  // alerting.stories.window
  int similarity_bits = 10;                                   // alerting.stories.similarity_bits (0-32)
  double min_word_overlap = 0.35;                             // alerting.stories.min_word_overlap (0-1]
  std::size_t lead_bytes = 300;                               // alerting.stories.lead_bytes
  std::chrono::milliseconds realert{std::chrono::minutes{30}};  // alerting.stories.realert
  std::size_t update_min_new_sources = 2;                     // alerting.stories.update_min_new_sources
  double update_score_margin = 2.0;                           // alerting.stories.update_score_margin
  std::uint64_t max_updates = 5;                              // alerting.stories.max_updates
  std::size_t max_sources = 50;                               // alerting.stories.max_sources (listed in the alert)
  struct Storm {
    std::size_t max_alerts = 20;                                 // alerting.stories.storm.max_alerts
    std::chrono::milliseconds window{std::chrono::minutes{10}};  // alerting.stories.storm.window
    std::chrono::milliseconds cooldown{std::chrono::minutes{30}};  // alerting.stories.storm.cooldown
  } storm;
};

// Empty when the options make sense, else what is wrong (naming the config key).
std::optional<std::string> validate(const StoryOptions& options);

enum class StoryAction {
  kNew,         // send: the first alert of a story (sequence 1)
  kUpdate,      // send: same id as before, next sequence (more sources or a higher score)
  kSuppressed,  // do not send; `reason` says why
  kDigest,      // the rule is in storm mode: fold into the rule's digest instead of sending
};

struct StoryDecision {
  StoryAction action = StoryAction::kNew;
  // kSuppressed: "duplicate" (the story was alerted and this item adds too little),
  // "throttled" (it would update, but within `realert` of the last send), "max_updates".
  // kDigest: "storm". Empty otherwise.
  std::string reason;
  std::string story_id;
  std::uint64_t sequence = 1;    // of the alert as filled in
  std::size_t source_count = 0;  // distinct sources of the story (the alert lists at most max_sources)
  std::uint64_t storm_folded = 0;  // kDigest: alerts of this rule folded since its storm began, this one included
  bool replayed = false;           // this (rule, item) was decided before: the same decision again
};

struct StormState {
  std::string rule;
  Timestamp since;
  Timestamp until;          // cool-down end; extended while the rule keeps exceeding the limit
  std::uint64_t folded = 0;
};

class StoryGrouper {
 public:
  // Creates the tables if needed and loads the stories still inside the window. A null `db`
  // keeps everything in memory. Fails only if the database cannot be read.
  static Result<std::unique_ptr<StoryGrouper>> open(StoryOptions options, ClockPtr clock, StateDbPtr db);
  ~StoryGrouper();
  StoryGrouper(const StoryGrouper&) = delete;
  StoryGrouper& operator=(const StoryGrouper&) = delete;

  // Decides for `alert` (as build_alerts() made it: rule, score, item filled) whose item has the
  // summary `summary` (its lead is taken here), and fills alert.id = hash(rule, story id),
  // alert.story, alert.first_seen, alert.last_seen and alert.sequence.
  StoryDecision observe(Alert& alert, std::string_view summary);

  // Rules in storm mode now, for the storm-mode gauge and the digest text.
  std::vector<StormState> storms() const;
  // Live stories (all rules), for tests and metrics.
  std::size_t story_count() const;
  // Drops stories whose last item is older than the window (observe() also does this, at most
  // once a minute).
  void prune();

 private:
  struct Impl;
  explicit StoryGrouper(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

using StoryGrouperPtr = std::unique_ptr<StoryGrouper>;

}  // namespace vigia::alerting
