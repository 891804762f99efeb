// The Scorer runs a RuleSet over items: it folds each field, scans it once with the shared
// Hyperscan database, checks word boundaries, evaluates each touched rule's condition, sums its
// score, and explains every hit (which patterns, where in the ORIGINAL text, a snippet each) and
// which entities the item names.
//
// Thread-safety: a Scorer is used by one thread; it owns its Hyperscan scratch and buffers, so
// make one per worker. The RuleSet it holds is shared and immutable.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "vigia/core/model.h"
#include "vigia/rules/rule_set.h"

namespace vigia::rules {

// One entity-list match in an item (nested ones dropped, see docs/rules.md), with the positions
// that scoped detectors (same sentence, near) need.
struct EntityMention {
  std::uint32_t list = 0;   // index into RuleSet::lists()
  std::uint32_t entry = 0;  // index into that list's entries (canonical names)
  std::uint8_t field = 0;   // index into kFieldNames
  std::uint32_t word = 0;   // words before it in the field
  std::uint32_t sentence = 0;  // sentence breaks before it in the field
};

struct ScoreResult {
  std::vector<Match> matches;  // most severe first, then highest score
  // Filled when something matched, and always when the rule set has novelty detectors (they look
  // at entities whether or not a rule fired).
  Entities entities;
  std::vector<EntityMention> mentions;  // in reading order (field, then position)
};

// How one rule fared on one text, fired or not: what `vigia rules test` prints on a failure.
struct RuleTrace {
  bool triggered = false;  // a pattern the condition needs matched
  bool condition = false;
  double score = 0;
  double threshold = 0;
  bool fired = false;
  std::string suppressed_by;  // the exception that stopped it, with its reason; "" if none
  std::vector<std::pair<std::string, double>> contributions;  // pattern id -> score it added
  std::vector<Term> terms;
  Entities entities;  // of the whole text, as a hit would carry them
};

// What exceptions by source and URL look at; the rest of an item is its fields.
struct ItemContext {
  std::string_view source;
  std::string_view url;
};

class Scorer {
 public:
  explicit Scorer(RuleSetPtr rules);
  ~Scorer();
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  ScoreResult score(const Item& item);
  // The same on bare texts, in kFieldNames order (title, summary, content).
  ScoreResult score_fields(const std::array<std::string_view, kFieldCount>& fields, ItemContext context = {});

  // Scores one rule (by index in rules().rules()) on bare texts and explains the outcome.
  RuleTrace trace(const std::array<std::string_view, kFieldCount>& fields, std::size_t rule_index,
                  ItemContext context = {});

  const RuleSet& rules() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "…text before [[the match]] text after…": about `context` bytes each side, cut at spaces and
// UTF-8 boundaries, newlines flattened. Offsets are byte offsets into `text`.
std::string make_snippet(std::string_view text, std::size_t start, std::size_t end, std::size_t context = 60);

}  // namespace vigia::rules
