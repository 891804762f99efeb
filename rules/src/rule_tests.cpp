#include "vigia/rules/rule_tests.h"

#include <algorithm>
#include <cstdio>

#include "vigia/rules/scorer.h"

namespace vigia::rules {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string sample_text(const RuleTest& t) {
  std::string s;
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    if (t.fields[f].empty()) continue;
    if (!s.empty()) s += " | ";
    s += std::string(kFieldNames[f]) + ": " + t.fields[f];
  }
  return s;
}

std::string explain(const RuleTrace& trace) {
  std::string out;
  if (trace.terms.empty()) {
    out += "    matched: nothing\n";
  } else {
    for (const auto& term : trace.terms) out += "    matched " + term.pattern + " in " + term.field + ": " + term.snippet + "\n";
  }
  out += "    condition: " + std::string(trace.condition ? "true" : "false");
  out += ", score " + number(trace.score) + " (threshold " + number(trace.threshold) + ")";
  if (!trace.contributions.empty()) {
    out += " =";
    for (std::size_t i = 0; i < trace.contributions.size(); ++i) {
      out += (i ? " + " : " ") + trace.contributions[i].first + " " + number(trace.contributions[i].second);
    }
  }
  out += "\n";
  return out;
}

}  // namespace

RuleTestReport run_rule_tests(const RuleSetPtr& rules) {
  RuleTestReport report;
  Scorer scorer(rules);
  const auto& defs = rules->rules();
  for (std::size_t r = 0; r < defs.size(); ++r) {
    const RuleDef& rule = defs[r];
    if (!rule.enabled) continue;
    for (const auto& test : rule.tests) {
      const RuleTrace trace =
          scorer.trace({test.fields[0], test.fields[1], test.fields[2]}, r, {test.source, test.url});
      const bool fired = trace.fired && trace.score >= test.min_score;
      std::string missing;  // expected entities the item did not yield
      for (const auto& [list, names] : test.entities) {
        const auto found = trace.entities.find(list);
        for (const auto& name : names) {
          if (found == trace.entities.end() ||
              std::find(found->second.begin(), found->second.end(), name) == found->second.end()) {
            missing += (missing.empty() ? "" : ", ") + list + ": " + name;
          }
        }
      }
      if (fired == test.expect_match && missing.empty()) {
        ++report.passed;
        continue;
      }
      std::string msg = test.expect_match ? "expected rule '" + rule.id + "' to match but it did not"
                                          : "expected rule '" + rule.id + "' not to match but it did";
      if (fired == test.expect_match) msg = "rule '" + rule.id + "' fired but the expected entities were not found (" + missing + ")";
      if (test.expect_match && trace.fired && trace.score < test.min_score) {
        msg += " (score " + number(trace.score) + " is below min_score " + number(test.min_score) + ")";
      }
      if (!trace.suppressed_by.empty()) msg += " (suppressed by exception " + trace.suppressed_by + ")";
      msg += "\n    sample: " + sample_text(test) + "\n" + explain(trace);
      report.failures.push_back({rule.id, test.where, std::move(msg)});
    }
  }
  return report;
}

}  // namespace vigia::rules
