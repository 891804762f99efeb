// A RuleSet is one loaded, validated and compiled version of the rule packs: the rules, the
// shared entity lists, and the single Hyperscan database holding every pattern of every enabled
// rule and every list entry. It is immutable once built and shared between scorer threads
// (std::shared_ptr<const RuleSet>); each thread brings its own scratch (see Scorer).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/core/diagnostics.h"
#include "vigia/rules/condition.h"
#include "vigia/rules/detectors.h"
#include "vigia/rules/text_fold.h"

struct hs_database;

namespace vigia::rules {

inline constexpr std::size_t kFieldCount = 3;
inline constexpr std::array<std::string_view, kFieldCount> kFieldNames{"title", "summary", "content"};

// A named pattern of a rule: terms/regexes of its own, or "any entry of these entity lists".
struct PatternDef {
  std::string id;
  double weight = 1;
  std::uint8_t field_mask = 0b111;  // bit i set: may match in kFieldNames[i]
  std::vector<int> lists;           // non-empty: the entity lists this pattern stands for
  bool exception = false;           // the phrases of an exception: they suppress, never score
  SourceLocation where;
};

// A reason for a rule not to fire on an item even when it matches (an allowlist, as in Falco),
// always with the reason an operator gave.
struct RuleException {
  enum class Kind { kPhrase, kSource, kUrl };
  Kind kind = Kind::kPhrase;
  std::string value;  // the phrase(s) as written, a source name, or a URL glob (* and ?)
  std::string reason;
  int pattern = -1;   // kPhrase: the rule's hidden pattern holding the phrases
  SourceLocation where;
};

// An embedded test: a sample the rule must (or must not) fire on.
struct RuleTest {
  bool expect_match = true;
  std::array<std::string, kFieldCount> fields;  // title, summary, content
  std::string source;                           // for exceptions by source
  std::string url;                              // for exceptions by URL
  double min_score = 0;                         // only for expect_match
  std::map<std::string, std::vector<std::string>> entities;  // must be among the item's entities
  SourceLocation where;
};

struct RuleDef {
  std::string id;
  std::string title;
  std::string description;
  std::string category;
  std::string severity;
  std::vector<std::string> tags;
  bool enabled = true;
  std::array<double, kFieldCount> field_weights{2.0, 1.0, 1.0};
  std::vector<PatternDef> patterns;
  std::vector<RuleException> exceptions;
  Condition condition;
  double threshold = 0;
  std::vector<RuleTest> tests;
  std::vector<int> trigger_patterns;  // patterns that can make the condition true
  SourceLocation where;
};

struct EntityList {
  std::string name;
  std::vector<std::string> entries;  // canonical names
  SourceLocation where;
};

// One expression in the Hyperscan database and what a match of it means.
struct Expression {
  std::string regex;  // over folded text
  unsigned flags = 0;
  bool check_left = false;   // require a word boundary before the match
  bool check_right = false;  // require a word boundary after the match
  bool extend_right = false;  // extend the match to the end of its word (a trailing '*')
  // Every match of it is this many bytes long; 0 when lengths vary. Fixed-width expressions get
  // their start from the end; the others from a second, start-of-match scan (som_database).
  std::uint32_t width = 0;
  TextForm form = TextForm::kFolded;  // the text it is matched against
  struct PatternTarget {
    std::uint32_t rule;
    std::uint32_t pattern;
  };
  struct EntryTarget {
    std::uint32_t list;
    std::uint32_t entry;
  };
  std::vector<PatternTarget> patterns;
  std::vector<EntryTarget> entries;
  SourceLocation where;  // the first place that declared it, for compile errors
};

class RuleSet {
 public:
  using Databases = std::array<hs_database*, kTextForms>;  // by TextForm; null where a form is unused
  RuleSet(std::vector<RuleDef> rules, std::vector<EntityList> lists, std::vector<Expression> expressions,
          Databases databases, std::string version, double compile_seconds, std::vector<NoveltyDef> novelty = {},
          std::vector<SpikeDef> spikes = {});
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  const std::vector<RuleDef>& rules() const { return rules_; }
  const std::vector<EntityList>& lists() const { return lists_; }
  const std::vector<Expression>& expressions() const { return expressions_; }
  const std::vector<NoveltyDef>& novelty() const { return novelty_; }
  const std::vector<SpikeDef>& spikes() const { return spikes_; }
  // The database every item's folded fields are scanned with: ends of matches only, which is
  // what keeps scans fast (start-of-match tracking in it would cost 10x on the packs' regexes).
  // Case-sensitive and exact patterns live in databases of their own, scanned only when present.
  const hs_database* database(TextForm form = TextForm::kFolded) const {
    return databases_[static_cast<std::size_t>(form)];
  }
  // A one-expression database with start-of-match, for expressions whose width varies; compiled
  // on first use (thread-safe) since few expressions ever match. Null if it cannot be compiled.
  const hs_database* som_database(std::size_t expression) const;
  // Rules that use list i (through a pattern), so a list match wakes them.
  const std::vector<std::uint32_t>& list_users(std::size_t list) const { return list_users_[list]; }
  // A short hash of every source file's content: equal versions mean equal rule sets.
  const std::string& version() const { return version_; }
  double compile_seconds() const { return compile_seconds_; }
  std::size_t enabled_rule_count() const;

 private:
  std::vector<RuleDef> rules_;
  std::vector<EntityList> lists_;
  std::vector<Expression> expressions_;
  std::vector<NoveltyDef> novelty_;
  std::vector<SpikeDef> spikes_;
  std::vector<std::vector<std::uint32_t>> list_users_;
  Databases databases_;
  struct SomSlot;
  std::vector<std::unique_ptr<SomSlot>> som_;
  std::string version_;
  double compile_seconds_;
};

using RuleSetPtr = std::shared_ptr<const RuleSet>;

}  // namespace vigia::rules
