#include <hs/hs.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "vigia/core/hash.h"
#include "vigia/core/severity.h"
#include "vigia/core/yaml_doc.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/pattern_regex.h"

namespace vigia::rules {
namespace {

const std::vector<std::string> kTopKeys{"pack", "description", "lists", "rules", "novelty", "spikes"};
const std::vector<std::string> kNoveltyKeys{"id",   "title",  "description", "category", "severity", "pair",
                                            "scope", "near", "window",      "learn_for", "when",     "enabled"};
const std::vector<std::string> kSpikeKeys{"id",     "title", "description", "category", "severity", "rule", "by",
                                          "bucket", "baseline", "factor",   "min_count", "enabled"};
const std::vector<std::string> kRuleKeys{"id",       "title",     "description", "category",  "severity",
                                         "tags",     "enabled",   "fields",      "patterns",  "exceptions",
                                         "condition", "threshold", "tests"};
const std::vector<std::string> kExceptionKeys{"phrase", "source", "url", "reason"};
const std::vector<std::string> kPatternKeys{"id", "terms", "regex", "list", "weight", "fields", "case", "exact", "enye"};
const std::vector<std::string> kAliasKeys{"term", "case", "exact", "enye"};
const std::vector<std::string> kTestKeys{"match", "no_match"};
const std::vector<std::string> kSampleKeys{"title", "summary", "content", "source", "url", "min_score", "entities"};
const std::vector<std::string> kReserved{"and", "or", "not", "near", "same_sentence"};

bool valid_id(const std::string& id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  });
}

int field_index(const std::string& name) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (kFieldNames[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string field_list() {
  std::string s;
  for (auto f : kFieldNames) s += (s.empty() ? "" : ", ") + std::string(f);
  return s;
}

std::string at(const SourceLocation& w) { return w.file + ":" + std::to_string(w.line); }

// Collects expressions, merging identical ones so the database holds each only once.
class ExpressionTable {
 public:
  std::uint32_t add(std::string regex, unsigned flags, bool left, bool right, bool extend, TextForm form,
                    const SourceLocation& where) {
    std::string key = regex + '\0' + std::to_string(flags) + (left ? "L" : "-") + (right ? "R" : "-") + (extend ? "E" : "-") +
                      std::to_string(static_cast<int>(form));
    auto [it, inserted] = index_.emplace(std::move(key), static_cast<std::uint32_t>(expressions_.size()));
    if (inserted) {
      Expression e;
      e.regex = std::move(regex);
      e.flags = flags;
      e.check_left = left;
      e.check_right = right;
      e.extend_right = extend;
      e.form = form;
      e.where = where;
      expressions_.push_back(std::move(e));
    }
    return it->second;
  }
  Expression& operator[](std::uint32_t i) { return expressions_[i]; }
  std::vector<Expression> take() { return std::move(expressions_); }
  std::size_t size() const { return expressions_.size(); }
  const std::vector<Expression>& all() const { return expressions_; }

 private:
  std::map<std::string, std::uint32_t> index_;
  std::vector<Expression> expressions_;
};

// No HS_FLAG_SOM_LEFTMOST here: see RuleSet::database(). It is added only in som_database().
constexpr unsigned kTermFlags = 0;
constexpr unsigned kRegexFlags = HS_FLAG_CASELESS | HS_FLAG_DOTALL;
// Case-sensitive and exact regexes: the same, minus caseless.
constexpr unsigned kCasedRegexFlags = HS_FLAG_DOTALL;

unsigned regex_flags(TextForm form) { return form == TextForm::kFolded ? kRegexFlags : kCasedRegexFlags; }

class Loader {
 public:
  explicit Loader(Diagnostics& diags) : diags_(diags) {}

  LoadResult run(std::vector<YamlDoc> docs, std::string version) {
    for (const auto& doc : docs) {
      if (!doc.ok()) continue;
      if (doc.root().IsNull()) continue;  // an empty file is harmless
      if (!doc.check_keys(doc.root(), kTopKeys, "pack", "a rule file")) continue;
      if (const auto lists = doc.root()["lists"]) read_lists(doc, lists);
    }
    for (const auto& doc : docs) {
      if (!doc.ok() || !doc.root().IsMap()) continue;
      if (const auto rules = doc.root()["rules"]) read_rules(doc, rules);
    }
    // Detectors name rules and lists, so they come last.
    for (const auto& doc : docs) {
      if (!doc.ok() || !doc.root().IsMap()) continue;
      if (const auto n = doc.root()["novelty"]) read_detectors(doc, n, "novelty", [&](const YAML::Node& d) { read_novelty(doc, d); });
      if (const auto n = doc.root()["spikes"]) read_detectors(doc, n, "spikes", [&](const YAML::Node& d) { read_spike(doc, d); });
    }
    if (rules_.empty() && !diags_.has_errors()) {
      diags_.error("pack.empty", "no rules found", {docs.empty() ? std::string("<no files>") : docs.front().file(), 0, 0});
    }
    LoadResult result;
    if (diags_.has_errors()) {
      result.diagnostics = diags_;
      return result;
    }
    build_expressions();
    RuleSet::Databases dbs{};
    const auto start = std::chrono::steady_clock::now();
    if (!diags_.has_errors() && table_.size() > 0) dbs = compile();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!diags_.has_errors()) {
      result.rules = std::make_shared<RuleSet>(std::move(rules_), std::move(lists_), table_.take(), dbs,
                                               std::move(version), seconds, std::move(novelty_), std::move(spikes_));
    } else {
      for (auto* db : dbs) {
        if (db) hs_free_database(db);
      }
    }
    result.diagnostics = diags_;
    return result;
  }

 private:
  struct ListTerm {
    std::string term;
    SourceLocation where;
    TermOptions options;
  };
  struct ListSource {
    std::vector<std::vector<ListTerm>> terms;  // per entry
  };

  // `case: sensitive`, `exact: true` and `enye: loose`, on a pattern or a list alias.
  std::optional<TermOptions> read_match_options(const YamlDoc& doc, const YAML::Node& node, const std::string& label) {
    TermOptions o;
    bool ok = true;
    if (const auto v = node["case"]) {
      const auto c = doc.string_at(v, "pattern");
      if (c == "sensitive") {
        o.form = TextForm::kCased;
      } else if (c != "insensitive") {
        doc.error(v, "pattern.bad-value", label + ": case must be 'sensitive' or 'insensitive'");
        ok = false;
      }
    }
    if (const auto v = node["exact"]) {
      if (auto e = doc.bool_at(v, "pattern")) {
        if (*e) o.form = TextForm::kExact;
      } else {
        ok = false;
      }
    }
    if (const auto v = node["enye"]) {
      const auto e = doc.string_at(v, "pattern");
      if (e == "loose") {
        o.enye_loose = true;
      } else if (e != "strict") {
        doc.error(v, "pattern.bad-value", label + ": enye must be 'strict' (ñ is not n, the default) or 'loose'");
        ok = false;
      }
    }
    if (o.enye_loose && o.form == TextForm::kExact) {
      doc.error(node, "pattern.bad-value", label + ": 'enye: loose' does not apply to exact patterns");
      ok = false;
    }
    if (!ok) return std::nullopt;
    return o;
  }

  void read_lists(const YamlDoc& doc, const YAML::Node& lists) {
    if (!lists.IsMap()) {
      doc.error(lists, "list.type", "'lists' must map list names to their entries");
      return;
    }
    for (const auto& kv : lists) {
      const std::string name = kv.first.Scalar();
      if (!valid_id(name)) {
        doc.error(kv.first, "list.bad-name", "list name '" + name + "' may only use letters, digits, '_', '-' and '.'");
        continue;
      }
      if (auto it = list_index_.find(name); it != list_index_.end()) {
        doc.error(kv.first, "list.duplicate",
                  "list '" + name + "' is already defined at " + at(lists_[static_cast<std::size_t>(it->second)].where));
        continue;
      }
      if (!kv.second.IsMap()) {
        doc.error(kv.second, "list.type", "list '" + name + "' must map each canonical name to its aliases");
        continue;
      }
      EntityList list{name, {}, doc.where(kv.first)};
      ListSource source;
      for (const auto& entry : kv.second) {
        const std::string canonical = entry.first.Scalar();
        std::vector<ListTerm> terms{{canonical, doc.where(entry.first), {}}};
        const YAML::Node aliases = entry.second;
        if (aliases.IsScalar()) {
          terms.push_back({aliases.Scalar(), doc.where(aliases), {}});
        } else if (aliases.IsSequence()) {
          for (const auto& a : aliases) {
            if (a.IsScalar()) {
              terms.push_back({a.Scalar(), doc.where(a), {}});
            } else if (a.IsMap() && doc.check_keys(a, kAliasKeys, "list", "an alias of '" + canonical + "'")) {
              if (!a["term"] || !a["term"].IsScalar()) {
                doc.error(a, "list.missing-key", "an alias written as a mapping needs 'term'");
                continue;
              }
              if (auto o = read_match_options(doc, a, "alias '" + a["term"].Scalar() + "'")) {
                terms.push_back({a["term"].Scalar(), doc.where(a), *o});
              }
            } else if (!a.IsMap()) {
              doc.error(a, "list.type", "an alias is a string, or a mapping with 'term' and matching options");
            }
          }
        } else if (!aliases.IsNull()) {
          doc.error(aliases, "list.type", "aliases of '" + canonical + "' must be a string or a list");
        }
        list.entries.push_back(canonical);
        source.terms.push_back(std::move(terms));
      }
      list_index_.emplace(name, static_cast<int>(lists_.size()));
      lists_.push_back(std::move(list));
      list_sources_.push_back(std::move(source));
    }
  }

  void read_rules(const YamlDoc& doc, const YAML::Node& rules) {
    if (!rules.IsSequence()) {
      doc.error(rules, "rule.type", "'rules' must be a list of rules");
      return;
    }
    for (const auto& node : rules) {
      if (diags_.full()) return;
      RuleDef rule;
      if (read_rule(doc, node, rule)) {
        rules_.push_back(std::move(rule));
      }
    }
  }

  bool read_rule(const YamlDoc& doc, const YAML::Node& node, RuleDef& rule) {
    const std::size_t errors_before = diags_.error_count();
    rule.where = doc.where(node);
    if (!node.IsMap()) {
      doc.error(node, "rule.type", "each rule must be a mapping");
      return false;
    }
    const std::string label = node["id"] && node["id"].IsScalar() ? "rule '" + node["id"].Scalar() + "'" : "rule";
    doc.check_keys(node, kRuleKeys, "rule", label);

    auto required_string = [&](const char* key, std::string& out) {
      const auto v = node[key];
      if (!v) {
        doc.error(node, "rule.missing-key", label + " needs '" + key + "'");
        return;
      }
      if (auto s = doc.string_at(v, "rule")) out = *s;
    };
    required_string("id", rule.id);
    required_string("title", rule.title);
    required_string("category", rule.category);
    required_string("severity", rule.severity);
    if (!rule.id.empty() && !valid_id(rule.id)) {
      doc.error(node["id"], "rule.bad-id", "rule id '" + rule.id + "' may only use letters, digits, '_', '-' and '.'");
    }
    if (!rule.id.empty()) {
      // Ids are claimed even by rules with other errors, so a duplicate is reported either way.
      auto [it, inserted] = rule_ids_.emplace(rule.id, rule.where);
      if (!inserted) {
        doc.error(node["id"], "rule.duplicate-id", "rule id '" + rule.id + "' is already used at " + at(it->second));
      }
    }
    if (!rule.severity.empty() && !severity_rank(rule.severity)) {
      doc.error(node["severity"], "rule.bad-severity",
                "severity '" + rule.severity + "' is not one of info, low, medium, high, critical");
    }
    if (const auto v = node["description"]) {
      if (auto s = doc.string_at(v, "rule")) rule.description = *s;
    }
    if (const auto v = node["tags"]) {
      if (auto s = doc.strings_at(v, "rule")) rule.tags = *s;
    }
    if (const auto v = node["enabled"]) {
      if (auto b = doc.bool_at(v, "rule")) rule.enabled = *b;
    }
    if (const auto v = node["threshold"]) {
      if (auto n = doc.number_at(v, "rule")) rule.threshold = *n;
    }
    if (const auto v = node["fields"]) read_field_weights(doc, v, rule);

    const auto patterns = node["patterns"];
    if (!patterns) {
      doc.error(node, "rule.missing-key", label + " needs 'patterns'");
    } else if (!patterns.IsSequence()) {
      doc.error(patterns, "rule.type", "'patterns' must be a list");
    } else {
      for (const auto& p : patterns) read_pattern(doc, p, rule);
    }
    if (const auto e = node["exceptions"]) read_exceptions(doc, e, rule);
    if (diags_.error_count() != errors_before) return false;

    read_condition(doc, node, rule);
    if (const auto t = node["tests"]) read_tests(doc, t, rule);
    if (diags_.error_count() != errors_before) return false;
    if (rule.tests.empty()) {
      doc.warning(node, "rule.no-tests", label + " has no embedded tests; add 'tests: {match: [...], no_match: [...]}'");
    }
    return true;
  }

  void read_field_weights(const YamlDoc& doc, const YAML::Node& v, RuleDef& rule) {
    if (!v.IsMap()) {
      doc.error(v, "rule.type", "'fields' must map field names (" + field_list() + ") to weights");
      return;
    }
    rule.field_weights = {0, 0, 0};
    for (const auto& kv : v) {
      const int f = field_index(kv.first.Scalar());
      if (f < 0) {
        doc.error(kv.first, "rule.unknown-field", "unknown field '" + kv.first.Scalar() + "' (fields: " + field_list() + ")");
        continue;
      }
      if (auto w = doc.number_at(kv.second, "rule")) {
        if (*w < 0) {
          doc.error(kv.second, "rule.bad-weight", "field weights cannot be negative");
        } else {
          rule.field_weights[static_cast<std::size_t>(f)] = *w;
        }
      }
    }
  }

  void read_pattern(const YamlDoc& doc, const YAML::Node& node, RuleDef& rule) {
    if (!node.IsMap()) {
      doc.error(node, "pattern.type", "each pattern must be a mapping with an id and terms, regex or list");
      return;
    }
    const std::string label = node["id"] && node["id"].IsScalar() ? "pattern '" + node["id"].Scalar() + "'" : "pattern";
    doc.check_keys(node, kPatternKeys, "pattern", label);
    PatternDef p;
    p.where = doc.where(node);
    if (!node["id"]) {
      doc.error(node, "pattern.missing-key", "a pattern needs an 'id'");
      return;
    }
    if (auto id = doc.string_at(node["id"], "pattern")) p.id = *id;
    if (!valid_id(p.id) || std::find(kReserved.begin(), kReserved.end(), p.id) != kReserved.end()) {
      doc.error(node["id"], "pattern.bad-id", "pattern id '" + p.id + "' must be a name (letters, digits, '_', '-', '.') and not a keyword");
      return;
    }
    for (const auto& existing : rule.patterns) {
      if (existing.id == p.id) {
        doc.error(node["id"], "pattern.duplicate-id", "pattern id '" + p.id + "' is used twice in rule '" + rule.id + "'");
        return;
      }
    }
    if (const auto w = node["weight"]) {
      if (auto n = doc.number_at(w, "pattern")) p.weight = *n;
    }
    if (const auto f = node["fields"]) {
      if (auto names = doc.strings_at(f, "pattern")) {
        p.field_mask = 0;
        for (const auto& n : *names) {
          const int i = field_index(n);
          if (i < 0) {
            doc.error(f, "pattern.unknown-field", "unknown field '" + n + "' (fields: " + field_list() + ")");
          } else {
            p.field_mask = static_cast<std::uint8_t>(p.field_mask | (1u << i));
          }
        }
      }
    }
    const int kinds = (node["terms"] ? 1 : 0) + (node["regex"] ? 1 : 0) + (node["list"] ? 1 : 0);
    if (kinds != 1) {
      doc.error(node, "pattern.kind", label + " needs exactly one of 'terms', 'regex' or 'list'");
      return;
    }
    const auto options = read_match_options(doc, node, label);
    if (!options) return;
    if (options->form != TextForm::kFolded && node["list"]) {
      doc.error(node, "pattern.bad-value", label + ": matching options go on a list's aliases, not on a list pattern");
      return;
    }
    PendingSources pending;
    if (const auto terms = node["terms"]) {
      if (auto values = doc.strings_at(terms, "pattern")) {
        std::size_t k = 0;
        for (const auto& term : *values) {
          const YAML::Node at_node = terms.IsSequence() ? terms[k] : terms;
          ++k;
          std::string error;
          auto re = term_to_regex(term, error, *options);
          if (!re) {
            doc.error(at_node, "pattern.bad-term", "term '" + term + "': " + error);
            continue;
          }
          pending.push_back({re->regex, kTermFlags, re->check_left, re->check_right, re->extend_right, options->form,
                             doc.where(at_node)});
        }
      }
    } else if (const auto regex = node["regex"]) {
      if (auto values = doc.strings_at(regex, "pattern")) {
        std::size_t k = 0;
        for (const auto& r : *values) {
          const YAML::Node at_node = regex.IsSequence() ? regex[k] : regex;
          ++k;
          std::string error;
          auto folded = fold_regex(r, error, options->form);
          if (folded) folded = check_regex(*folded, regex_flags(options->form), error);
          if (!folded) {
            doc.error(at_node, "pattern.bad-regex", "regex '" + r + "': " + error);
            continue;
          }
          pending.push_back({*folded, regex_flags(options->form), false, false, false, options->form, doc.where(at_node)});
        }
      }
    } else if (const auto list = node["list"]) {
      if (auto names = doc.strings_at(list, "pattern")) {
        for (const auto& name : *names) {
          auto it = list_index_.find(name);
          if (it == list_index_.end()) {
            doc.error(list, "pattern.unknown-list", "unknown list '" + name + "'" + suggest_list(name));
            return;
          }
          if (std::find(p.lists.begin(), p.lists.end(), it->second) == p.lists.end()) p.lists.push_back(it->second);
        }
      }
    }
    pending_[{rule.id, p.id}] = std::move(pending);
    rule.patterns.push_back(std::move(p));
  }

  // Validates one regex on its own so that every bad regex is reported, not just the first one
  // the multi-pattern compile would stop at.
  static std::optional<std::string> check_regex(const std::string& regex, unsigned flags, std::string& error) {
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(regex.c_str(), flags, &info, &err) != HS_SUCCESS) {
      error = err ? err->message : "rejected by Hyperscan";
      hs_free_compile_error(err);
      return std::nullopt;
    }
    const bool empty = info->min_width == 0;
    std::free(info);
    if (empty) {
      error = "can match an empty string, which would match everywhere";
      return std::nullopt;
    }
    return regex;
  }

  std::string suggest_list(const std::string& name) const {
    std::vector<std::string> names;
    for (const auto& l : lists_) names.push_back(l.name);
    const std::string s = closest_match(name, names);
    return s.empty() ? "" : " (did you mean '" + s + "'?)";
  }

  void read_condition(const YamlDoc& doc, const YAML::Node& rule_node, RuleDef& rule) {
    const YAML::Node node = rule_node["condition"];
    if (!node) {
      // No condition: any pattern may trigger; the threshold decides.
      Condition any{Condition::Op::kOr, -1, -1, 0, {}};
      for (std::size_t i = 0; i < rule.patterns.size(); ++i) {
        if (rule.patterns[i].weight > 0) any.args.push_back({Condition::Op::kSymbol, static_cast<int>(i), -1, 0, {}});
      }
      if (any.args.empty()) {
        doc.error(rule_node, "rule.no-trigger", "rule '" + rule.id + "' has no condition and no pattern with a positive weight");
        return;
      }
      rule.condition = std::move(any);
    } else {
      auto text = doc.string_at(node, "rule");
      if (!text) return;
      auto resolve = [&](std::string_view name) -> int {
        for (std::size_t i = 0; i < rule.patterns.size(); ++i) {
          if (rule.patterns[i].id == name) return static_cast<int>(i);
        }
        // A list named directly in a condition gates the rule without adding to its score.
        if (auto it = list_index_.find(std::string(name)); it != list_index_.end()) {
          PatternDef implicit;
          implicit.id = std::string(name);
          implicit.weight = 0;
          implicit.lists = {it->second};
          implicit.where = doc.where(node);
          rule.patterns.push_back(std::move(implicit));
          return static_cast<int>(rule.patterns.size() - 1);
        }
        return -1;
      };
      ConditionError error;
      auto parsed = parse_condition(*text, resolve, error);
      if (!parsed) {
        SourceLocation where = doc.where(node);
        const std::string line = doc.line_text(where.line);
        // Point at the offending token; skip the opening quote of a quoted scalar.
        const auto col = static_cast<std::size_t>(where.column - 1);
        const bool quoted = col < line.size() && (line[col] == '"' || line[col] == '\'');
        if (text->find('\n') == std::string::npos) where.column += static_cast<int>(error.offset) + (quoted ? 1 : 0);
        diags_.error("rule.bad-condition", "condition of rule '" + rule.id + "': " + error.message, where, line);
        return;
      }
      rule.condition = std::move(*parsed);
    }
    positive_symbols(rule.condition, rule.trigger_patterns);
    std::sort(rule.trigger_patterns.begin(), rule.trigger_patterns.end());
    rule.trigger_patterns.erase(std::unique(rule.trigger_patterns.begin(), rule.trigger_patterns.end()),
                                rule.trigger_patterns.end());
    if (rule.trigger_patterns.empty()) {
      doc.error(node, "rule.no-trigger", "condition of rule '" + rule.id + "' has no positive term, so it could fire on anything");
      return;
    }
    check_satisfiable(doc, node ? node : rule_node, rule);
  }

  // A pattern limited to fields the rule does not read can never match.
  static bool can_match(const RuleDef& rule, const PatternDef& p) {
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      if ((p.field_mask & (1u << f)) && rule.field_weights[f] > 0) return true;
    }
    return false;
  }

  // Conditions that can never be true, and thresholds no item can reach, are rule bugs an
  // operator wants to hear about before deploying. The condition is checked over every truth
  // assignment of its atoms (patterns, and near/same_sentence, which imply both operands); with
  // more than 16 atoms the check is skipped rather than slowing the load down.
  void check_satisfiable(const YamlDoc& doc, const YAML::Node& at_node, const RuleDef& rule) {
    std::vector<int> symbols;
    std::vector<const Condition*> proximity;
    collect_atoms(rule.condition, symbols, proximity);
    std::sort(symbols.begin(), symbols.end());
    symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
    const std::size_t atoms = symbols.size() + proximity.size();
    if (atoms <= 16) {
      bool satisfiable = false;
      for (std::uint32_t bits = 0; bits < (1u << atoms) && !satisfiable; ++bits) {
        auto value_of = [&](int symbol) {
          const auto it = std::lower_bound(symbols.begin(), symbols.end(), symbol);
          return ((bits >> (it - symbols.begin())) & 1u) != 0;
        };
        bool consistent = true;
        for (std::size_t k = 0; k < symbols.size() && consistent; ++k) {
          const PatternDef& p = rule.patterns[static_cast<std::size_t>(symbols[k])];
          if (value_of(symbols[k]) && (p.lists.empty() ? !can_match(rule, p) : false)) consistent = false;
        }
        for (std::size_t k = 0; k < proximity.size() && consistent; ++k) {
          const bool on = ((bits >> (symbols.size() + k)) & 1u) != 0;
          if (on && (!value_of(proximity[k]->symbol) || !value_of(proximity[k]->symbol_b))) consistent = false;
        }
        if (!consistent) continue;
        satisfiable = eval_assignment(rule.condition, [&](const Condition& c) {
          if (c.op == Condition::Op::kSymbol) return value_of(c.symbol);
          const auto it = std::find(proximity.begin(), proximity.end(), &c);
          return ((bits >> (symbols.size() + static_cast<std::size_t>(it - proximity.begin()))) & 1u) != 0;
        });
      }
      if (!satisfiable) {
        doc.error(at_node, "rule.never-true",
                  "condition of rule '" + rule.id + "' can never be true (a contradiction, or patterns limited to " +
                      "fields the rule does not read)");
        return;
      }
    }
    // Each pattern adds at most weight x its best field weight x 2 (the sum of its halving repeats).
    double best = 0;
    for (const auto& p : rule.patterns) {
      if (p.exception || p.weight <= 0 || (p.lists.empty() && !can_match(rule, p))) continue;
      double field = 0;
      for (std::size_t f = 0; f < kFieldCount; ++f) {
        if (p.field_mask & (1u << f)) field = std::max(field, rule.field_weights[f]);
      }
      best += p.weight * field * 2;
    }
    if (best < rule.threshold) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "threshold %.2f of rule '%s' can never be reached: its patterns add up to at most %.2f",
                    rule.threshold, rule.id.c_str(), best);
      doc.error(at_node, "rule.unreachable-threshold", buf);
    }
  }

  static void collect_atoms(const Condition& c, std::vector<int>& symbols, std::vector<const Condition*>& proximity) {
    switch (c.op) {
      case Condition::Op::kSymbol: symbols.push_back(c.symbol); break;
      case Condition::Op::kNear:
      case Condition::Op::kSameSentence:
        proximity.push_back(&c);
        symbols.push_back(c.symbol);
        symbols.push_back(c.symbol_b);
        break;
      default:
        for (const auto& a : c.args) collect_atoms(a, symbols, proximity);
    }
  }

  template <typename Atom>
  static bool eval_assignment(const Condition& c, const Atom& atom) {
    switch (c.op) {
      case Condition::Op::kSymbol:
      case Condition::Op::kNear:
      case Condition::Op::kSameSentence: return atom(c);
      case Condition::Op::kAnd:
        return std::all_of(c.args.begin(), c.args.end(), [&](const Condition& a) { return eval_assignment(a, atom); });
      case Condition::Op::kOr:
        return std::any_of(c.args.begin(), c.args.end(), [&](const Condition& a) { return eval_assignment(a, atom); });
      case Condition::Op::kNot: return !eval_assignment(c.args.front(), atom);
    }
    return false;
  }

  // Phrases become a hidden pattern of the rule (its id cannot be named in a condition), so they
  // are found by the same scan as everything else.
  void read_exceptions(const YamlDoc& doc, const YAML::Node& node, RuleDef& rule) {
    if (!node.IsSequence()) {
      doc.error(node, "exception.type", "'exceptions' must be a list of {phrase|source|url, reason}");
      return;
    }
    for (const auto& e : node) {
      if (!doc.check_keys(e, kExceptionKeys, "exception", "an exception of rule '" + rule.id + "'")) continue;
      RuleException ex;
      ex.where = doc.where(e);
      const int kinds = (e["phrase"] ? 1 : 0) + (e["source"] ? 1 : 0) + (e["url"] ? 1 : 0);
      if (kinds != 1) {
        doc.error(e, "exception.kind", "an exception needs exactly one of 'phrase', 'source' or 'url'");
        continue;
      }
      if (!e["reason"]) {
        doc.error(e, "exception.missing-key", "an exception needs a 'reason' an operator can read later");
        continue;
      }
      if (auto r = doc.string_at(e["reason"], "exception")) ex.reason = *r;
      if (const auto v = e["phrase"]) {
        auto phrases = doc.strings_at(v, "exception");
        if (!phrases) continue;
        PatternDef hidden;
        hidden.id = "exception#" + std::to_string(rule.exceptions.size() + 1);
        hidden.weight = 0;
        hidden.exception = true;
        hidden.where = ex.where;
        PendingSources pending;
        for (const auto& phrase : *phrases) {
          std::string error;
          auto re = term_to_regex(phrase, error);
          if (!re) {
            doc.error(v, "exception.bad-phrase", "phrase '" + phrase + "': " + error);
            continue;
          }
          pending.push_back({re->regex, kTermFlags, re->check_left, re->check_right, re->extend_right, TextForm::kFolded,
                             ex.where});
          ex.value += (ex.value.empty() ? "" : " | ") + phrase;
        }
        ex.kind = RuleException::Kind::kPhrase;
        ex.pattern = static_cast<int>(rule.patterns.size());
        pending_[{rule.id, hidden.id}] = std::move(pending);
        rule.patterns.push_back(std::move(hidden));
      } else if (const auto src = e["source"]) {
        ex.kind = RuleException::Kind::kSource;
        ex.value = doc.string_at(src, "exception").value_or("");
      } else {
        ex.kind = RuleException::Kind::kUrl;
        ex.value = doc.string_at(e["url"], "exception").value_or("");
      }
      rule.exceptions.push_back(std::move(ex));
    }
  }

  void read_tests(const YamlDoc& doc, const YAML::Node& node, RuleDef& rule) {
    if (!doc.check_keys(node, kTestKeys, "test", "tests of rule '" + rule.id + "'")) return;
    for (const char* key : {"match", "no_match"}) {
      const auto list = node[key];
      if (!list) continue;
      if (!list.IsSequence()) {
        doc.error(list, "test.type", std::string("'") + key + "' must be a list of sample texts");
        continue;
      }
      for (const auto& sample : list) {
        RuleTest t;
        t.expect_match = std::string(key) == "match";
        t.where = doc.where(sample);
        if (sample.IsScalar()) {
          t.fields[0] = sample.Scalar();
        } else if (doc.check_keys(sample, kSampleKeys, "test", "a test sample")) {
          for (std::size_t f = 0; f < kFieldCount; ++f) {
            if (const auto v = sample[std::string(kFieldNames[f])]) {
              if (auto s = doc.string_at(v, "test")) t.fields[f] = *s;
            }
          }
          if (const auto v = sample["min_score"]) {
            if (auto n = doc.number_at(v, "test")) t.min_score = *n;
          }
          if (const auto v = sample["source"]) t.source = doc.string_at(v, "test").value_or("");
          if (const auto v = sample["url"]) t.url = doc.string_at(v, "test").value_or("");
          if (const auto v = sample["entities"]) {
            if (!v.IsMap()) {
              doc.error(v, "test.type", "'entities' maps list names to the canonical names expected");
            } else {
              for (const auto& kv : v) {
                if (list_index_.count(kv.first.Scalar()) == 0) {
                  doc.error(kv.first, "test.unknown-list", "unknown list '" + kv.first.Scalar() + "'" + suggest_list(kv.first.Scalar()));
                  continue;
                }
                if (auto names = doc.strings_at(kv.second, "test")) t.entities[kv.first.Scalar()] = *names;
              }
            }
          }
        }
        rule.tests.push_back(std::move(t));
      }
    }
  }

  template <typename Fn>
  void read_detectors(const YamlDoc& doc, const YAML::Node& node, const char* section, Fn read_one) {
    if (!node.IsSequence()) {
      doc.error(node, "detector.type", std::string("'") + section + "' must be a list");
      return;
    }
    for (const auto& d : node) {
      if (!d.IsMap()) {
        doc.error(d, "detector.type", "each detector must be a mapping");
        continue;
      }
      read_one(d);
    }
  }

  // The fields every detector has; false when one is missing or wrong (reported).
  bool read_detector_head(const YamlDoc& doc, const YAML::Node& d, const std::vector<std::string>& keys,
                          std::string& id, std::string& title, std::string& description, std::string& category,
                          std::string& severity, bool& enabled) {
    const std::size_t before = diags_.error_count();
    const std::string label = d["id"] && d["id"].IsScalar() ? "detector '" + d["id"].Scalar() + "'" : "detector";
    doc.check_keys(d, keys, "detector", label);
    for (auto [key, out] : {std::pair<const char*, std::string*>{"id", &id}, {"title", &title},
                            {"category", &category}, {"severity", &severity}}) {
      if (!d[key]) {
        doc.error(d, "detector.missing-key", label + " needs '" + key + "'");
      } else if (auto v = doc.string_at(d[key], "detector")) {
        *out = *v;
      }
    }
    if (const auto v = d["description"]) {
      if (auto t = doc.string_at(v, "detector")) description = *t;
    }
    if (const auto v = d["enabled"]) enabled = doc.bool_at(v, "detector").value_or(true);
    if (!id.empty()) {
      if (!valid_id(id)) doc.error(d["id"], "detector.bad-id", "detector id '" + id + "' may only use letters, digits, '_', '-' and '.'");
      auto [it, inserted] = rule_ids_.emplace(id, doc.where(d));
      if (!inserted) doc.error(d["id"], "detector.duplicate-id", "id '" + id + "' is already used at " + at(it->second));
    }
    if (!severity.empty() && !severity_rank(severity)) {
      doc.error(d["severity"], "detector.bad-severity", "severity '" + severity + "' is not one of info, low, medium, high, critical");
    }
    return diags_.error_count() == before;
  }

  bool known_list(const YamlDoc& doc, const YAML::Node& at_node, const std::string& name) {
    if (list_index_.count(name) != 0) return true;
    doc.error(at_node, "detector.unknown-list", "unknown list '" + name + "'" + suggest_list(name));
    return false;
  }

  void read_novelty(const YamlDoc& doc, const YAML::Node& d) {
    NoveltyDef n;
    n.where = doc.where(d);
    bool ok = read_detector_head(doc, d, kNoveltyKeys, n.id, n.title, n.description, n.category, n.severity, n.enabled);
    const auto pair = d["pair"];
    if (!pair || !pair.IsSequence() || pair.size() != 2) {
      doc.error(pair ? pair : d, "detector.pair", "novelty detector '" + n.id + "' needs 'pair: [list_a, list_b]'");
      ok = false;
    } else {
      n.list_a = pair[0].Scalar();
      n.list_b = pair[1].Scalar();
      ok = known_list(doc, pair[0], n.list_a) && ok;
      ok = known_list(doc, pair[1], n.list_b) && ok;
    }
    if (const auto v = d["scope"]) {
      const std::string scope = doc.string_at(v, "detector").value_or("");
      if (scope == "same_sentence") n.scope = NoveltyDef::Scope::kSameSentence;
      else if (scope == "near") n.scope = NoveltyDef::Scope::kNear;
      else if (scope == "item") n.scope = NoveltyDef::Scope::kItem;
      else {
        doc.error(v, "detector.bad-value", "scope must be same_sentence, near or item");
        ok = false;
      }
    }
    if (const auto v = d["near"]) {
      if (auto w = doc.integer_at(v, "detector"); w && *w > 0) n.near_words = static_cast<int>(*w);
    }
    if (const auto v = d["window"]) {
      if (auto w = doc.duration_at(v, "detector")) n.window = *w;
    }
    if (const auto v = d["learn_for"]) {
      if (auto w = doc.duration_at(v, "detector")) n.learn_for = *w;
    }
    if (const auto v = d["when"]) {
      if (auto w = doc.strings_at(v, "detector")) n.when = *w;
    }
    if (ok) novelty_.push_back(std::move(n));
  }

  void read_spike(const YamlDoc& doc, const YAML::Node& d) {
    SpikeDef sp;
    sp.where = doc.where(d);
    bool ok = read_detector_head(doc, d, kSpikeKeys, sp.id, sp.title, sp.description, sp.category, sp.severity,
                                 sp.enabled);
    if (const auto v = d["rule"]) {
      sp.rule = doc.string_at(v, "detector").value_or("");
      const bool exists = std::any_of(rules_.begin(), rules_.end(), [&](const RuleDef& r) { return r.id == sp.rule; });
      if (!exists) {
        doc.error(v, "detector.unknown-rule", "spike detector '" + sp.id + "' counts unknown rule '" + sp.rule + "'");
        ok = false;
      }
    } else {
      // Without `rule`, the signal's own category names the rules to count.
      sp.rule_category = sp.category;
    }
    if (const auto v = d["by"]) {
      sp.by = doc.string_at(v, "detector").value_or("");
      ok = known_list(doc, v, sp.by) && ok;
    }
    if (const auto v = d["bucket"]) {
      if (auto w = doc.duration_at(v, "detector")) sp.bucket = *w;
    }
    if (const auto v = d["baseline"]) {
      if (auto w = doc.duration_at(v, "detector")) sp.baseline = *w;
    }
    if (sp.baseline < sp.bucket * 2) {
      doc.error(d, "detector.bad-value", "spike detector '" + sp.id + "': baseline must span at least two buckets");
      ok = false;
    }
    if (const auto v = d["factor"]) {
      if (auto f = doc.number_at(v, "detector"); f && *f > 1) {
        sp.factor = *f;
      } else {
        doc.error(v, "detector.bad-value", "factor must be a number above 1");
        ok = false;
      }
    }
    if (const auto v = d["min_count"]) {
      if (auto m = doc.integer_at(v, "detector"); m && *m >= 1) sp.min_count = static_cast<int>(*m);
    }
    if (ok) spikes_.push_back(std::move(sp));
  }

  void build_expressions() {
    for (std::uint32_t r = 0; r < rules_.size(); ++r) {
      const RuleDef& rule = rules_[r];
      if (!rule.enabled) continue;
      for (std::uint32_t p = 0; p < rule.patterns.size(); ++p) {
        const auto& pattern = rule.patterns[p];
        if (!pattern.lists.empty()) continue;
        for (const auto& s : pending_[{rule.id, pattern.id}]) {
          const auto e = table_.add(s.regex, s.flags, s.left, s.right, s.extend, s.form, s.where);
          // A term written twice (or two terms that fold alike) must not count twice.
          auto& targets = table_[e].patterns;
          const bool known = std::any_of(targets.begin(), targets.end(),
                                         [&](const Expression::PatternTarget& t) { return t.rule == r && t.pattern == p; });
          if (!known) targets.push_back({r, p});
        }
      }
    }
    // Every list is scanned, used by a rule or not: its entities label the hits.
    for (std::uint32_t l = 0; l < lists_.size(); ++l) {
      for (std::uint32_t entry = 0; entry < list_sources_[l].terms.size(); ++entry) {
        for (const auto& [term, where, options] : list_sources_[l].terms[entry]) {
          std::string error;
          auto re = term_to_regex(term, error, options);
          if (!re) {
            diags_.error("list.bad-term", "list '" + lists_[l].name + "', term '" + term + "': " + error, where);
            continue;
          }
          const auto e = table_.add(re->regex, kTermFlags, re->check_left, re->check_right, re->extend_right,
                                    options.form, where);
          auto& targets = table_[e].entries;
          const bool known = std::any_of(targets.begin(), targets.end(),
                                         [&](const Expression::EntryTarget& t) { return t.list == l && t.entry == entry; });
          if (!known) targets.push_back({l, entry});
        }
      }
    }
  }

  // Fixed widths let the scorer find a match's start without start-of-match tracking.
  void measure_widths() {
    for (std::uint32_t i = 0; i < table_.size(); ++i) {
      Expression& e = table_[i];
      hs_expr_info_t* info = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_expression_info(e.regex.c_str(), e.flags, &info, &err) != HS_SUCCESS) {
        hs_free_compile_error(err);  // reported by compile() with its position
        continue;
      }
      if (info->min_width == info->max_width && info->max_width != UINT_MAX) e.width = info->min_width;
      std::free(info);
    }
  }

  // One database per text form in use; expression ids are global indices, so a match reports
  // the same expression whichever database found it.
  RuleSet::Databases compile() {
    measure_widths();
    RuleSet::Databases dbs{};
    const auto& exprs = table_.all();
    for (std::size_t form = 0; form < kTextForms; ++form) {
      std::vector<const char*> patterns;
      std::vector<unsigned> flags;
      std::vector<unsigned> ids;
      for (std::size_t i = 0; i < exprs.size(); ++i) {
        if (static_cast<std::size_t>(exprs[i].form) != form) continue;
        patterns.push_back(exprs[i].regex.c_str());
        flags.push_back(exprs[i].flags);
        ids.push_back(static_cast<unsigned>(i));
      }
      if (patterns.empty()) continue;
      hs_compile_error_t* err = nullptr;
      if (hs_compile_multi(patterns.data(), flags.data(), ids.data(), static_cast<unsigned>(patterns.size()),
                           HS_MODE_BLOCK, nullptr, &dbs[form], &err) != HS_SUCCESS) {
        SourceLocation where{"<rules>", 0, 0};
        if (err && err->expression >= 0) where = exprs[ids[static_cast<std::size_t>(err->expression)]].where;
        diags_.error("pattern.compile", std::string("Hyperscan rejected a pattern: ") + (err ? err->message : "unknown error"),
                     where);
        hs_free_compile_error(err);
        for (auto*& db : dbs) {
          if (db) hs_free_database(db);
          db = nullptr;
        }
        return dbs;
      }
    }
    return dbs;
  }

  struct PendingExpression {
    std::string regex;
    unsigned flags;
    bool left;
    bool right;
    bool extend;
    TextForm form;
    SourceLocation where;
  };
  using PendingSources = std::vector<PendingExpression>;

  Diagnostics& diags_;
  std::vector<EntityList> lists_;
  std::vector<ListSource> list_sources_;
  std::map<std::string, int> list_index_;
  std::vector<RuleDef> rules_;
  std::map<std::string, SourceLocation> rule_ids_;
  std::vector<NoveltyDef> novelty_;
  std::vector<SpikeDef> spikes_;
  std::map<std::pair<std::string, std::string>, PendingSources> pending_;
  ExpressionTable table_;
};

std::string version_of(const std::vector<std::pair<std::string, std::string>>& documents) {
  std::string all;
  for (const auto& [name, text] : documents) {
    all += std::filesystem::path(name).filename().string();
    all += '\0';
    all += text;
    all += '\0';
  }
  return stable_id(all).substr(0, 12);
}

}  // namespace

RuleSet::RuleSet(std::vector<RuleDef> rules, std::vector<EntityList> lists, std::vector<Expression> expressions,
                 Databases databases, std::string version, double compile_seconds, std::vector<NoveltyDef> novelty,
                 std::vector<SpikeDef> spikes)
    : rules_(std::move(rules)),
      lists_(std::move(lists)),
      expressions_(std::move(expressions)),
      novelty_(std::move(novelty)),
      spikes_(std::move(spikes)),
      list_users_(lists_.size()),
      databases_(databases),
      version_(std::move(version)),
      compile_seconds_(compile_seconds) {
  som_.reserve(expressions_.size());
  for (std::size_t i = 0; i < expressions_.size(); ++i) som_.push_back(std::make_unique<SomSlot>());
  for (std::uint32_t r = 0; r < rules_.size(); ++r) {
    for (const auto& p : rules_[r].patterns) {
      for (const int l : p.lists) {
        auto& users = list_users_[static_cast<std::size_t>(l)];
        if (users.empty() || users.back() != r) users.push_back(r);
      }
    }
  }
}

struct RuleSet::SomSlot {
  std::once_flag once;
  hs_database_t* db = nullptr;
  ~SomSlot() {
    if (db) hs_free_database(db);
  }
};

RuleSet::~RuleSet() {
  for (auto* db : databases_) {
    if (db) hs_free_database(db);
  }
}

const hs_database* RuleSet::som_database(std::size_t expression) const {
  SomSlot& slot = *som_[expression];
  std::call_once(slot.once, [&] {
    const Expression& e = expressions_[expression];
    hs_compile_error_t* err = nullptr;
    if (hs_compile(e.regex.c_str(), e.flags | HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, nullptr, &slot.db, &err) != HS_SUCCESS) {
      // The expression compiled without SOM; with it Hyperscan may refuse ("pattern too large").
      // The scorer then reports the match from its end, which is still the right passage.
      hs_free_compile_error(err);
      slot.db = nullptr;
    }
  });
  return slot.db;
}

std::size_t RuleSet::enabled_rule_count() const {
  return static_cast<std::size_t>(std::count_if(rules_.begin(), rules_.end(), [](const RuleDef& r) { return r.enabled; }));
}

LoadResult load_rule_set_from_text(const std::vector<std::pair<std::string, std::string>>& documents) {
  Diagnostics diags;
  std::vector<YamlDoc> docs;
  docs.reserve(documents.size());
  for (const auto& [name, text] : documents) docs.emplace_back(name, text, diags);
  return Loader(diags).run(std::move(docs), version_of(documents));
}

LoadResult load_rule_set(const std::vector<std::filesystem::path>& paths) {
  Diagnostics diags;
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(entry.path());
      }
      if (ec) diags.error("io.read", "cannot list directory: " + ec.message(), {path.string(), 0, 0});
      std::sort(found.begin(), found.end());
      if (found.empty() && !ec) diags.error("io.empty", "no *.yaml rule files in this directory", {path.string(), 0, 0});
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(path, ec)) {
      files.push_back(path);
    } else {
      diags.error("io.read", "no such file or directory", {path.string(), 0, 0});
    }
  }
  std::vector<std::pair<std::string, std::string>> texts;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      diags.error("io.read", "cannot read file", {f.string(), 0, 0});
      continue;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    texts.emplace_back(f.string(), buf.str());
  }
  std::vector<YamlDoc> docs;
  docs.reserve(texts.size());
  for (const auto& [name, text] : texts) docs.emplace_back(name, text, diags);
  return Loader(diags).run(std::move(docs), version_of(texts));
}

}  // namespace vigia::rules
