// Matchers: one condition on one label of an Alert, written like Alertmanager's
//   category=cartels   severity>=high   places=~"Mich.*"   tags!=test
//   source!~"^blog-"
// shared by routes and silences.
//
// Labels an alert offers:
//   rule, title, category, severity, source (the item's feed), id     one value
//   each tags                                                              the
//   rule's tags any other name (cartels, places, ...) that entity list's
//   canonical names
// A missing value counts as "" (as in Alertmanager), and so does an empty or
// absent list. For many-valued labels (tags, entity lists) `=` and `=~` hold
// when ANY value matches, `!=` and `!~` when NO value matches. Regexes are
// ECMAScript (std::regex) and anchored at both ends, like Alertmanager's. The
// ordering operators (>=, >, <=, <) apply only to `severity`, by rank info <
// low < medium < high < critical; an alert with an unknown severity never
// satisfies them.
//
// Values are immutable once built; matches() is const and safe from any thread.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/core/model.h"
#include "vigia/core/result.h"

namespace vigia::alerting {

enum class MatchOp { kEqual, kNotEqual, kRegex, kNotRegex, kGreaterEqual, kGreater, kLessEqual, kLess };

// "=", "!=", "=~", "!~", ">=", ">", "<=", "<".
std::string_view match_op_text(MatchOp op);
std::optional<MatchOp> parse_match_op(std::string_view text);

class Matcher {
 public:
  // Validates the name ([A-Za-z_][A-Za-z0-9_.-]*), compiles a regex, checks
  // that ordering operators are used on `severity` with a known severity.
  // Errors have reason "matcher".
  static Result<Matcher> make(std::string name, MatchOp op, std::string value);
  // "name<op>value"; the value may be double-quoted (then \" \\ and \n are
  // escapes).
  static Result<Matcher> parse(std::string_view text);

  bool matches(const Alert& alert) const;

  const std::string& name() const { return name_; }
  MatchOp op() const { return op_; }
  const std::string& value() const { return value_; }
  // The canonical text form, which parse() reads back: name, operator, value
  // quoted.
  std::string to_string() const;

 private:
  Matcher() = default;
  bool value_matches(std::string_view v) const;

  std::string name_;
  MatchOp op_ = MatchOp::kEqual;
  std::string value_;
  int severity_rank_ = -1;                   // for the ordering operators
  std::shared_ptr<const std::regex> regex_;  // for =~ and !~
};

// True when every matcher matches (an empty list matches everything).
bool matches_all(const std::vector<Matcher>& matchers, const Alert& alert);

}  // namespace vigia::alerting
