// Runs the tests embedded in rule files (`tests: {match: [...], no_match: [...]}`): each
// sample must make its rule fire (with at least min_score) or must not. Failures explain what
// the rule saw — the terms it matched, the condition's verdict, the score against the
// threshold — so an operator can fix the rule, not guess.
#pragma once

#include <string>
#include <vector>

#include "vigia/core/diagnostics.h"
#include "vigia/rules/rule_set.h"

namespace vigia::rules {

struct RuleTestFailure {
  std::string rule;
  SourceLocation where;  // the sample in the rule file
  std::string message;   // multi-line explanation
};

struct RuleTestReport {
  std::size_t passed = 0;
  std::vector<RuleTestFailure> failures;
  bool ok() const { return failures.empty(); }
};

RuleTestReport run_rule_tests(const RuleSetPtr& rules);

}  // namespace vigia::rules
