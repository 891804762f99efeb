#include "vigia/rules/scorer.h"

#include <hs/hs.h>
#include <utf8proc.h>

#include <algorithm>
#include <fnmatch.h>

#include <climits>
#include <unordered_set>

#include "vigia/core/check.h"
#include "vigia/core/severity.h"
#include "vigia/rules/text_fold.h"

namespace vigia::rules {
namespace {

constexpr int kMaxRepeats = 8;            // occurrences of one pattern that still add to a score
constexpr double kRepeatDecay = 0.5;      // each repeat adds half of the previous one
constexpr std::size_t kTermsPerPattern = 3;
constexpr std::size_t kTermsPerMatch = 20;

struct RawMatch {
  std::uint32_t form;   // TextForm of the text it was found in
  std::uint32_t field;
  std::uint32_t expr;
  std::uint32_t from;   // offsets in that text
  std::uint32_t to;
};

struct Occurrence {
  std::uint8_t field;
  std::uint32_t from;  // byte offsets in the ORIGINAL field text, whatever form matched
  std::uint32_t to;
  std::uint32_t list = 0;   // list occurrences: which list
  std::uint32_t entry = 0;  // and which entry of it
};

// Whether the UTF-8 sequence at t[i] is a letter or digit of any script; sets its length.
bool is_letter_or_digit(std::string_view t, std::size_t i, std::uint32_t& len) {
  utf8proc_int32_t cp = 0;
  const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(t.data() + i),
                                  static_cast<utf8proc_ssize_t>(t.size() - i), &cp);
  if (n <= 0) {
    len = 1;
    return false;
  }
  len = static_cast<std::uint32_t>(n);
  const auto category = utf8proc_category(cp);
  return (category >= UTF8PROC_CATEGORY_LU && category <= UTF8PROC_CATEGORY_LO) ||
         (category >= UTF8PROC_CATEGORY_MN && category <= UTF8PROC_CATEGORY_ME) ||
         (category >= UTF8PROC_CATEGORY_ND && category <= UTF8PROC_CATEGORY_NO);
}

bool occurrence_order(const Occurrence& a, const Occurrence& b) {
  return a.field != b.field ? a.field < b.field : a.from < b.from;
}

}  // namespace

struct Scorer::Impl final : ConditionContext {
  explicit Impl(RuleSetPtr r) : rules(std::move(r)) {
    for (std::size_t form = 0; form < kTextForms; ++form) {
      // One scratch serves every database of the set. Only fails on memory exhaustion or a
      // corrupt database: a bug or OOM, both fatal.
      if (const hs_database* db = rules->database(static_cast<TextForm>(form))) {
        VIGIA_CHECK(hs_alloc_scratch(db, &scratch) == HS_SUCCESS, "hs_alloc_scratch failed");
      }
    }
    std::size_t total = 0;
    for (const auto& rule : rules->rules()) {
      pattern_base.push_back(total);
      total += rule.patterns.size();
    }
    pattern_occ.resize(total);
    list_occ.resize(rules->lists().size());
    list_touched.assign(rules->lists().size(), false);
    rule_touched.assign(rules->rules().size(), false);
  }

  ~Impl() override {
    if (scratch) hs_free_scratch(scratch);
    if (som_scratch) hs_free_scratch(som_scratch);
  }

  static constexpr std::uint32_t kUnknownStart = UINT32_MAX;

  // The main database reports ends only; a fixed-width expression's start follows from its end.
  static int on_match(unsigned int id, unsigned long long, unsigned long long to, unsigned int, void* ctx) {
    auto* self = static_cast<Impl*>(ctx);
    const std::uint32_t end = static_cast<std::uint32_t>(to);
    const std::uint32_t width = self->rules->expressions()[id].width;
    self->raw.push_back({self->current_form, self->current_field, id, width > 0 ? end - width : kUnknownStart, end});
    return 0;
  }

  struct SomSearch {
    std::vector<std::pair<std::uint32_t, std::uint32_t>>* found;  // (start, end)
  };

  static int on_som_match(unsigned int, unsigned long long from, unsigned long long to, unsigned int, void* ctx) {
    static_cast<SomSearch*>(ctx)->found->emplace_back(static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to));
    return 0;
  }

  // Starts of variable-width matches, from one start-of-match scan per (field, expression) that
  // matched — rare, so the common path never pays for start tracking.
  void resolve_starts() {
    if (std::none_of(raw.begin(), raw.end(), [](const RawMatch& m) { return m.from == kUnknownStart; })) return;
    std::sort(raw.begin(), raw.end(), [](const RawMatch& a, const RawMatch& b) {
      if (a.form != b.form) return a.form < b.form;
      if (a.field != b.field) return a.field < b.field;
      if (a.expr != b.expr) return a.expr < b.expr;
      return a.to < b.to;
    });
    for (std::size_t i = 0; i < raw.size();) {
      std::size_t j = i;
      while (j < raw.size() && raw[j].form == raw[i].form && raw[j].field == raw[i].field && raw[j].expr == raw[i].expr) {
        ++j;
      }
      if (raw[i].from == kUnknownStart) {
        som_found.clear();
        const hs_database* db = rules->som_database(raw[i].expr);
        if (db != nullptr) {
          // A scratch only grows, so each database needs to be fitted once per worker, not per use.
          if (som_fitted.insert(db).second) {
            VIGIA_CHECK(hs_alloc_scratch(db, &som_scratch) == HS_SUCCESS, "hs_alloc_scratch failed");
          }
          const std::string& text = texts[raw[i].form][raw[i].field].text;
          SomSearch search{&som_found};
          const hs_error_t rc = hs_scan(db, text.data(), raw[j - 1].to, 0, som_scratch, &Impl::on_som_match, &search);
          VIGIA_CHECK(rc == HS_SUCCESS, "hs_scan (start of match) failed");
        }
        for (std::size_t k = i; k < j; ++k) {
          // The leftmost start reported for this end; without one, the match is quoted from its end.
          raw[k].from = raw[k].to;
          for (const auto& [from, to] : som_found) {
            if (to == raw[k].to) {
              raw[k].from = from;
              break;
            }
          }
        }
      }
      i = j;
    }
  }

  void reset() {
    raw.clear();
    for (auto i : touched_patterns) pattern_occ[i].clear();
    touched_patterns.clear();
    for (auto l : touched_lists) {
      list_occ[l].clear();
      list_touched[l] = false;
    }
    touched_lists.clear();
    for (auto r : touched_rules) rule_touched[r] = false;
    touched_rules.clear();
    for (auto& w : words) w.computed = false;
  }

  void touch_rule(std::uint32_t r) {
    if (!rule_touched[r]) {
      rule_touched[r] = true;
      touched_rules.push_back(r);
    }
  }

  bool boundary_ok(const Expression& e, const std::string& text, std::uint32_t from, std::uint32_t to) const {
    if (e.check_left && from > 0 && is_word_byte(static_cast<unsigned char>(text[from - 1]))) return false;
    if (e.check_right && to < text.size() && is_word_byte(static_cast<unsigned char>(text[to]))) return false;
    return true;
  }

  // The text of `field` in `form`: folded, folded with case, or as published (identity map).
  void prepare_text(TextForm form, std::uint32_t f, std::string_view original_text) {
    FoldedText& t = texts[static_cast<std::size_t>(form)][f];
    if (form == TextForm::kExact) {
      t.text.assign(original_text);
      t.origin.clear();
      t.original_size = original_text.size();
    } else {
      fold_text(original_text, t, form == TextForm::kCased ? FoldCase::kKeep : FoldCase::kLower);
    }
  }

  void scan(const std::array<std::string_view, kFieldCount>& fields) {
    reset();
    original = fields;
    for (std::size_t form = 0; form < kTextForms; ++form) {
      const hs_database* db = rules->database(static_cast<TextForm>(form));
      if (db == nullptr) continue;
      current_form = static_cast<std::uint32_t>(form);
      for (std::uint32_t f = 0; f < kFieldCount; ++f) {
        FoldedText& t = texts[form][f];
        if (fields[f].empty()) {
          t.text.clear();
          t.origin.clear();
          t.original_size = 0;
          continue;
        }
        prepare_text(static_cast<TextForm>(form), f, fields[f]);
        current_field = f;
        const hs_error_t rc = hs_scan(db, t.text.data(), static_cast<unsigned>(t.text.size()), 0, scratch, &Impl::on_match, this);
        // We never ask Hyperscan to stop, so anything else is a bug (Suricata treats it so too).
        VIGIA_CHECK(rc == HS_SUCCESS, "hs_scan failed");
      }
    }
    const auto& exprs = rules->expressions();
    resolve_starts();
    for (auto& m : raw) {
      if (!exprs[m.expr].extend_right) continue;
      const std::string& text = texts[m.form][m.field].text;
      while (m.to < text.size() && is_word_byte(static_cast<unsigned char>(text[m.to]))) ++m.to;
    }
    raw.erase(std::remove_if(raw.begin(), raw.end(),
                             [&](const RawMatch& m) {
                               return !boundary_ok(exprs[m.expr], texts[m.form][m.field].text, m.from, m.to);
                             }),
              raw.end());
    // Hyperscan reports every end of a match (e.g. "despensa" and "despensas"); keep the
    // longest per start.
    std::sort(raw.begin(), raw.end(), [](const RawMatch& a, const RawMatch& b) {
      if (a.form != b.form) return a.form < b.form;
      if (a.field != b.field) return a.field < b.field;
      if (a.expr != b.expr) return a.expr < b.expr;
      if (a.from != b.from) return a.from < b.from;
      return a.to > b.to;
    });
    raw.erase(std::unique(raw.begin(), raw.end(),
                          [](const RawMatch& a, const RawMatch& b) {
                            return a.form == b.form && a.field == b.field && a.expr == b.expr && a.from == b.from;
                          }),
              raw.end());
    entity_occ.clear();
    for (const auto& m : raw) {
      const Expression& e = exprs[m.expr];
      // From here on every offset is in the original text: matches of different forms meet there.
      const FoldedText& text = texts[m.form][m.field];
      const Occurrence occ{static_cast<std::uint8_t>(m.field), static_cast<std::uint32_t>(text.original_start(m.from)),
                           static_cast<std::uint32_t>(text.original_end(m.to)), 0, 0};
      for (const auto& t : e.patterns) {
        const std::size_t index = pattern_base[t.rule] + t.pattern;
        if (pattern_occ[index].empty()) touched_patterns.push_back(index);
        pattern_occ[index].push_back(occ);
        touch_rule(t.rule);
      }
      for (const auto& t : e.entries) entity_occ.push_back({occ.field, occ.from, occ.to, t.list, t.entry});
    }
    keep_longest_entities();
    for (const auto& o : entity_occ) {
      if (!list_touched[o.list]) {
        list_touched[o.list] = true;
        touched_lists.push_back(o.list);
        for (auto r : rules->list_users(o.list)) touch_rule(r);
      }
      list_occ[o.list].push_back(o);
    }
  }

  // Gazetteer matches that lie inside a longer one name nothing of their own: "Jalisco" in
  // "Cártel Jalisco Nueva Generación" is not a place, and the cartel is one mention, not three.
  // Spans that are equal are all kept (a name can be in two lists).
  void keep_longest_entities() {
    if (entity_occ.size() < 2) return;
    std::sort(entity_occ.begin(), entity_occ.end(), [](const Occurrence& a, const Occurrence& b) {
      if (a.field != b.field) return a.field < b.field;
      if (a.from != b.from) return a.from < b.from;
      return a.to > b.to;
    });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entity_occ.size(); ++i) {
      const Occurrence& o = entity_occ[i];
      bool inside = false;
      // Earlier entries start at or before o; any of them reaching at least as far, and longer,
      // contains it. Spans are short and few, so a backwards scan over this field is cheap.
      for (std::size_t j = kept; j-- > 0;) {
        const Occurrence& c = entity_occ[j];
        if (c.field != o.field) break;
        if (c.to >= o.to && (c.to - c.from) > (o.to - o.from)) {
          inside = true;
          break;
        }
      }
      if (!inside) entity_occ[kept++] = o;
    }
    entity_occ.resize(kept);
  }

  // The occurrences of pattern p of the current rule that the rule may count.
  void collect(std::uint32_t p, std::vector<Occurrence>& out) const {
    out.clear();
    const RuleDef& rule = *current_rule;
    const PatternDef& pattern = rule.patterns[p];
    // Exception phrases count in every field: they speak about the item, not the rule's reading.
    auto take = [&](const std::vector<Occurrence>& source) {
      for (const auto& o : source) {
        if (pattern.exception || ((pattern.field_mask & (1u << o.field)) && rule.field_weights[o.field] > 0)) {
          out.push_back(o);
        }
      }
    };
    if (pattern.lists.empty()) {
      take(pattern_occ[pattern_base[current_rule_index] + p]);
    } else {
      for (const int l : pattern.lists) take(list_occ[static_cast<std::size_t>(l)]);
    }
  }

  bool matched(int symbol) const override {
    collect(static_cast<std::uint32_t>(symbol), scratch_a);
    return !scratch_a.empty();
  }

  struct WordIndex {
    bool computed = false;
    std::vector<std::uint32_t> word_starts;
    std::vector<std::uint32_t> sentence_breaks;
  };

  const WordIndex& word_index(std::uint8_t field) const {
    WordIndex& w = words[field];
    if (w.computed) return w;
    w.word_starts.clear();
    w.sentence_breaks.clear();
    // Over the original text, where occurrences live. A word is a run of letters and digits
    // (any script); a sentence ends at . ! ? ; before a blank, or at a line break.
    const std::string_view t = original[field];
    bool in_word = false;
    for (std::uint32_t i = 0; i < t.size();) {
      const auto c = static_cast<unsigned char>(t[i]);
      std::uint32_t len = 1;
      bool word = false;
      if (c < 0x80) {
        word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        const bool terminator = c == '.' || c == '!' || c == '?' || c == ';';
        const bool blank_next = i + 1 == t.size() || t[i + 1] == ' ' || t[i + 1] == '\n' || t[i + 1] == '\t' ||
                                t[i + 1] == '\r';
        if (c == '\n' || (terminator && blank_next)) w.sentence_breaks.push_back(i);
      } else {
        word = is_letter_or_digit(t, i, len);
      }
      if (word && !in_word) w.word_starts.push_back(i);
      in_word = word;
      i += len;
    }
    w.computed = true;
    return w;
  }

  static std::size_t rank(const std::vector<std::uint32_t>& v, std::uint32_t offset) {
    return static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), offset) - v.begin());
  }

  template <typename Pred>
  bool any_pair(int a, int b, Pred pred) const {
    collect(static_cast<std::uint32_t>(a), scratch_a);
    collect(static_cast<std::uint32_t>(b), scratch_b);
    for (const auto& x : scratch_a) {
      for (const auto& y : scratch_b) {
        if (x.field == y.field && pred(x, y)) return true;
      }
    }
    return false;
  }

  bool near(int a, int b, int max_words) const override {
    return any_pair(a, b, [&](const Occurrence& x, const Occurrence& y) {
      const auto& w = word_index(x.field).word_starts;
      const Occurrence& first = x.from <= y.from ? x : y;
      const Occurrence& second = x.from <= y.from ? y : x;
      if (second.from < first.to) return true;  // overlapping
      const std::size_t between = rank(w, second.from) - rank(w, first.to);
      return between <= static_cast<std::size_t>(max_words);
    });
  }

  bool same_sentence(int a, int b) const override {
    return any_pair(a, b, [&](const Occurrence& x, const Occurrence& y) {
      const auto& s = word_index(x.field).sentence_breaks;
      return rank(s, x.from) == rank(s, y.from);
    });
  }

  double pattern_score(const RuleDef& rule, const PatternDef& pattern, const std::vector<Occurrence>& occs) {
    field_weights_buf.clear();
    for (const auto& o : occs) field_weights_buf.push_back(rule.field_weights[o.field]);
    std::sort(field_weights_buf.begin(), field_weights_buf.end(), std::greater<>());
    double total = 0;
    double factor = 1;
    for (std::size_t k = 0; k < field_weights_buf.size() && k < kMaxRepeats; ++k) {
      total += pattern.weight * field_weights_buf[k] * factor;
      factor *= kRepeatDecay;
    }
    return total;
  }

  Term make_term(const PatternDef& pattern, const Occurrence& o) const {
    const std::size_t start = o.from;
    const std::size_t end = o.to;
    std::string id = pattern.id;
    if (!pattern.lists.empty()) id += ":" + rules->lists()[o.list].entries[o.entry];
    return Term{std::move(id), std::string(kFieldNames[o.field]), start, end, make_snippet(original[o.field], start, end)};
  }

  // The first exception of `rule` that applies to the scanned item, as "kind 'value': reason".
  std::string exception_hit(const RuleDef& rule) const {
    for (const auto& ex : rule.exceptions) {
      bool hit = false;
      const char* kind = "phrase";
      switch (ex.kind) {
        case RuleException::Kind::kPhrase: hit = matched(ex.pattern); break;
        case RuleException::Kind::kSource:
          kind = "source";
          hit = !context.source.empty() && context.source == ex.value;
          break;
        case RuleException::Kind::kUrl:
          kind = "url";
          hit = !context.url.empty() && fnmatch(ex.value.c_str(), std::string(context.url).c_str(), FNM_CASEFOLD) == 0;
          break;
      }
      if (hit) return std::string(kind) + " '" + ex.value + "': " + ex.reason;
    }
    return {};
  }

  // Canonical names of every entity list the scanned item mentions, in reading order.
  Entities entities_found() const {
    Entities out;
    for (const auto l : touched_lists) {
      auto occs = list_occ[l];
      std::sort(occs.begin(), occs.end(), occurrence_order);
      auto& names = out[rules->lists()[l].name];
      for (const auto& o : occs) {
        const std::string& canonical = rules->lists()[l].entries[o.entry];
        if (std::find(names.begin(), names.end(), canonical) == names.end()) names.push_back(canonical);
      }
    }
    return out;
  }

  // Scores rule r against the scanned item, whether or not it fires. Terms (with their snippets,
  // the costly part) are built only when it fires or `always_explain` asks for them.
  RuleTrace trace_rule(std::uint32_t r, bool always_explain) {
    const RuleDef& rule = rules->rules()[r];
    current_rule = &rule;
    current_rule_index = r;
    RuleTrace t;
    t.threshold = rule.threshold;
    for (int p : rule.trigger_patterns) t.triggered = t.triggered || matched(p);
    t.condition = t.triggered && evaluate(rule.condition, *this);
    if (t.condition) t.suppressed_by = exception_hit(rule);
    if (t.condition || always_explain) {
      for (std::uint32_t p = 0; p < rule.patterns.size(); ++p) {
        if (rule.patterns[p].exception) continue;
        collect(p, scratch_a);
        if (scratch_a.empty()) continue;
        const double contribution = pattern_score(rule, rule.patterns[p], scratch_a);
        t.score += contribution;
        t.contributions.emplace_back(rule.patterns[p].id, contribution);
      }
    }
    t.fired = t.condition && t.score >= rule.threshold && t.suppressed_by.empty();
    if (t.fired || always_explain) {
      for (std::uint32_t p = 0; p < rule.patterns.size(); ++p) {
        if (rule.patterns[p].exception) continue;
        collect(p, scratch_a);
        if (scratch_a.empty()) continue;
        std::sort(scratch_a.begin(), scratch_a.end(), occurrence_order);
        for (std::size_t k = 0; k < scratch_a.size() && k < kTermsPerPattern && t.terms.size() < kTermsPerMatch; ++k) {
          t.terms.push_back(make_term(rule.patterns[p], scratch_a[k]));
        }
      }
      std::sort(t.terms.begin(), t.terms.end(), [](const Term& a, const Term& b) {
        return a.field != b.field ? field_rank(a.field) < field_rank(b.field) : a.start < b.start;
      });
    }
    current_rule = nullptr;
    return t;
  }

  // Whether a novelty detector will look at this item (see DetectorState): mentions cost a word
  // index of each field that names an entity, which most items never need.
  bool novelty_may_apply(const std::vector<Match>& matches) const {
    for (const auto& d : rules->novelty()) {
      if (!d.enabled) continue;
      if (d.when.empty()) return true;
      for (const auto& m : matches) {
        if (novelty_wants(d, m)) return true;
      }
    }
    return false;
  }

  ScoreResult evaluate_rules() {
    ScoreResult result;
    std::sort(touched_rules.begin(), touched_rules.end());
    for (const auto r : touched_rules) {
      const RuleDef& rule = rules->rules()[r];
      if (!rule.enabled) continue;
      RuleTrace t = trace_rule(r, /*always_explain=*/false);
      if (!t.fired) continue;
      result.matches.push_back(Match{rule.id, rule.title, rule.category, rule.severity, t.score, std::move(t.terms),
                                     std::move(t.contributions), rule.tags});
    }
    current_rule = nullptr;
    const bool mentions = novelty_may_apply(result.matches);
    if (result.matches.empty() && !mentions) return result;
    std::stable_sort(result.matches.begin(), result.matches.end(), [](const Match& a, const Match& b) {
      const int ra = severity_rank(a.severity).value_or(0);
      const int rb = severity_rank(b.severity).value_or(0);
      return ra != rb ? ra > rb : a.score > b.score;
    });
    result.entities = entities_found();
    if (mentions) {
      // entity_occ holds this item's gazetteer matches with nesting removed, sorted by position.
      for (const auto& o : entity_occ) {
        const auto& w = word_index(o.field);
        result.mentions.push_back({o.list, o.entry, o.field, static_cast<std::uint32_t>(rank(w.word_starts, o.from)),
                                   static_cast<std::uint32_t>(rank(w.sentence_breaks, o.from))});
      }
    }
    return result;
  }

  static int field_rank(const std::string& name) {
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      if (kFieldNames[i] == name) return static_cast<int>(i);
    }
    return static_cast<int>(kFieldCount);
  }

  RuleSetPtr rules;
  hs_scratch_t* scratch = nullptr;
  hs_scratch_t* som_scratch = nullptr;  // grown to fit each start-of-match database used
  std::unordered_set<const hs_database*> som_fitted;  // the databases som_scratch was grown for
  std::vector<std::pair<std::uint32_t, std::uint32_t>> som_found;
  std::array<std::array<FoldedText, kFieldCount>, kTextForms> texts;  // by form, then field
  std::array<std::string_view, kFieldCount> original;
  ItemContext context;
  std::uint32_t current_form = 0;
  std::uint32_t current_field = 0;
  std::vector<RawMatch> raw;
  std::vector<std::size_t> pattern_base;
  std::vector<std::vector<Occurrence>> pattern_occ;
  std::vector<std::size_t> touched_patterns;
  std::vector<std::vector<Occurrence>> list_occ;
  std::vector<Occurrence> entity_occ;  // this item's gazetteer matches, before nesting is removed
  std::vector<bool> list_touched;
  std::vector<std::uint32_t> touched_lists;
  std::vector<bool> rule_touched;
  std::vector<std::uint32_t> touched_rules;
  const RuleDef* current_rule = nullptr;
  std::uint32_t current_rule_index = 0;
  mutable std::vector<Occurrence> scratch_a;
  mutable std::vector<Occurrence> scratch_b;
  mutable std::array<WordIndex, kFieldCount> words;
  std::vector<double> field_weights_buf;
};

Scorer::Scorer(RuleSetPtr rules) : impl_(std::make_unique<Impl>(std::move(rules))) {}
Scorer::~Scorer() = default;

const RuleSet& Scorer::rules() const { return *impl_->rules; }

ScoreResult Scorer::score_fields(const std::array<std::string_view, kFieldCount>& fields, ItemContext context) {
  impl_->context = context;
  impl_->scan(fields);
  return impl_->evaluate_rules();
}

ScoreResult Scorer::score(const Item& item) {
  return score_fields({item.title, item.summary, item.content}, {item.source, item.url});
}

RuleTrace Scorer::trace(const std::array<std::string_view, kFieldCount>& fields, std::size_t rule_index,
                        ItemContext context) {
  impl_->context = context;
  impl_->scan(fields);
  RuleTrace t = impl_->trace_rule(static_cast<std::uint32_t>(rule_index), /*always_explain=*/true);
  t.entities = impl_->entities_found();
  return t;
}

}  // namespace vigia::rules
