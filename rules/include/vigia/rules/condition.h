// The boolean condition of a rule, over the rule's pattern ids and entity-list names:
//   fake_vaccine and (cartels or places_mx) and not fact_check
//   near(cartels, movement, 8)        both within 8 words of each other, in one field
//   same_sentence(cartels, places_mx) both in one sentence of one field
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigia::rules {

struct Condition {
  enum class Op { kSymbol, kAnd, kOr, kNot, kNear, kSameSentence };
  Op op = Op::kSymbol;
  int symbol = -1;    // kSymbol: the rule's pattern index; kNear/kSameSentence: first operand
  int symbol_b = -1;  // kNear/kSameSentence: second operand
  int distance = 0;   // kNear: maximum words between the two
  std::vector<Condition> args;  // kAnd/kOr: two or more; kNot: one
};

struct ConditionError {
  std::size_t offset = 0;  // byte offset into the condition text
  std::string message;
};

// Resolves a name to a pattern index, or returns -1 when the name is unknown.
using SymbolResolver = std::function<int(std::string_view name)>;

// Parses `text`; on failure returns nullopt and fills `error`.
std::optional<Condition> parse_condition(std::string_view text, const SymbolResolver& resolve, ConditionError& error);

// What evaluation needs to know about the item being scored.
class ConditionContext {
 public:
  virtual ~ConditionContext() = default;
  virtual bool matched(int symbol) const = 0;
  virtual bool near(int a, int b, int max_words) const = 0;
  virtual bool same_sentence(int a, int b) const = 0;
};

bool evaluate(const Condition& condition, const ConditionContext& context);

// The symbols a condition mentions outside any `not`: a rule can only fire when one of them matched.
void positive_symbols(const Condition& condition, std::vector<int>& out);

}  // namespace vigia::rules
