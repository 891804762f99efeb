// Stateful detectors declared in rule files beside the rules: they look at what the scorer found
// in an item (its entities, the rules it matched) against what earlier items showed, and add a
// signal of their own to the hit.
//
//   novelty:                            # an entity pair unseen within `window` is news
//     - id: cartel-new-place
//       title: Cartel named with a place for the first time in 30 days
//       category: territorial_shift
//       severity: medium
//       pair: [cartels, places_mx]      # two entity lists of the pack
//       scope: same_sentence            # same_sentence (default) | near | item
//       near: 10                        # words between them, with scope: near
//       window: 30d
//       learn_for: 7d                   # after first deployment, learn silently this long
//       when: [territorial_shift]       # optional: only items that matched a rule of these
//                                       # categories or ids
//   spikes:                             # a rule's match rate well above its own baseline
//     - id: territorial-spike
//       title: Surge of territorial-shift reports
//       category: territorial_shift
//       severity: high
//       rule: cartel-territorial-shift-named   # or `category: …` of the rules to count
//       by: places_mx                   # optional: one rate per entity of this list
//       bucket: 1h
//       baseline: 7d                    # horizon of the moving average
//       factor: 3                       # fire when a bucket reaches factor × baseline...
//       min_count: 5                    # ...and at least this many matches
//
// These are plain definitions (validated by the loader); DetectorState keeps their windows.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "vigia/core/diagnostics.h"
#include "vigia/core/model.h"

namespace vigia::rules {

struct NoveltyDef {
  std::string id;
  std::string title;
  std::string description;
  std::string category;
  std::string severity;
  std::string list_a;  // entity list names, both defined in the pack
  std::string list_b;
  enum class Scope { kSameSentence, kNear, kItem } scope = Scope::kSameSentence;
  int near_words = 10;
  std::chrono::milliseconds window{std::chrono::hours(24 * 30)};
  std::chrono::milliseconds learn_for{std::chrono::hours(24 * 7)};
  std::vector<std::string> when;  // rule categories or ids; empty: every scored item
  bool enabled = true;
  SourceLocation where;
};

struct SpikeDef {
  std::string id;
  std::string title;
  std::string description;
  std::string category;  // of the signal
  std::string severity;
  std::string rule;            // count matches of this rule id...
  std::string rule_category;   // ...or of every rule of this category (exactly one is set)
  std::string by;              // entity list to keep one rate per entity of; "" for one rate
  std::chrono::milliseconds bucket{std::chrono::hours(1)};
  std::chrono::milliseconds baseline{std::chrono::hours(24 * 7)};
  double factor = 3;
  int min_count = 5;
  bool enabled = true;
  SourceLocation where;
};

// Whether a novelty detector looks at an item that has match `m` (its `when` names m's rule or
// category, or is empty).
inline bool novelty_wants(const NoveltyDef& d, const Match& m) {
  return d.when.empty() || std::find_if(d.when.begin(), d.when.end(), [&](const std::string& w) {
                             return w == m.category || w == m.rule;
                           }) != d.when.end();
}

}  // namespace vigia::rules
