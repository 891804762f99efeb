#include "vigia/rules/condition.h"

#include <cctype>
#include <charconv>

namespace vigia::rules {
namespace {

struct Token {
  enum class Kind { kName, kNumber, kLParen, kRParen, kComma, kEnd, kBad };
  Kind kind = Kind::kEnd;
  std::string_view text;
  std::size_t offset = 0;
};

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':';
}

class Parser {
 public:
  Parser(std::string_view text, const SymbolResolver& resolve) : text_(text), resolve_(resolve) { advance(); }

  std::optional<Condition> parse(ConditionError& error) {
    auto c = parse_or();
    if (c && token_.kind != Token::Kind::kEnd) fail("unexpected '" + std::string(token_.text) + "'");
    if (failed_) {
      error = error_;
      return std::nullopt;
    }
    return c;
  }

 private:
  void advance() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    token_.offset = pos_;
    if (pos_ >= text_.size()) {
      token_ = {Token::Kind::kEnd, "end of condition", pos_};
      return;
    }
    const char c = text_[pos_];
    if (c == '(' || c == ')' || c == ',') {
      token_ = {c == '(' ? Token::Kind::kLParen : c == ')' ? Token::Kind::kRParen : Token::Kind::kComma,
                text_.substr(pos_, 1), pos_};
      ++pos_;
      return;
    }
    if (is_name_char(c)) {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
      const auto word = text_.substr(start, pos_ - start);
      const bool numeric = word.find_first_not_of("0123456789") == std::string_view::npos;
      token_ = {numeric ? Token::Kind::kNumber : Token::Kind::kName, word, start};
      return;
    }
    token_ = {Token::Kind::kBad, text_.substr(pos_, 1), pos_};
    ++pos_;
  }

  static bool keyword(const Token& t, std::string_view kw) {
    if (t.kind != Token::Kind::kName || t.text.size() != kw.size()) return false;
    for (std::size_t i = 0; i < kw.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(t.text[i])) != kw[i]) return false;
    }
    return true;
  }

  void fail(std::string message, std::optional<std::size_t> at = std::nullopt) {
    if (failed_) return;
    failed_ = true;
    error_ = {at.value_or(token_.offset), std::move(message)};
  }

  bool expect(Token::Kind kind, const char* what) {
    if (token_.kind != kind) {
      fail(std::string("expected ") + what + ", found '" + std::string(token_.text) + "'");
      return false;
    }
    advance();
    return true;
  }

  std::optional<Condition> parse_or() {
    auto left = parse_and();
    if (!left) return std::nullopt;
    if (!keyword(token_, "or")) return left;
    Condition node{Condition::Op::kOr, -1, -1, 0, {std::move(*left)}};
    while (keyword(token_, "or")) {
      advance();
      auto right = parse_and();
      if (!right) return std::nullopt;
      node.args.push_back(std::move(*right));
    }
    return node;
  }

  std::optional<Condition> parse_and() {
    auto left = parse_unary();
    if (!left) return std::nullopt;
    if (!keyword(token_, "and")) return left;
    Condition node{Condition::Op::kAnd, -1, -1, 0, {std::move(*left)}};
    while (keyword(token_, "and")) {
      advance();
      auto right = parse_unary();
      if (!right) return std::nullopt;
      node.args.push_back(std::move(*right));
    }
    return node;
  }

  std::optional<Condition> parse_unary() {
    if (keyword(token_, "not")) {
      advance();
      auto inner = parse_unary();
      if (!inner) return std::nullopt;
      return Condition{Condition::Op::kNot, -1, -1, 0, {std::move(*inner)}};
    }
    return parse_primary();
  }

  int symbol(const Token& t) {
    if (t.kind != Token::Kind::kName || keyword(t, "and") || keyword(t, "or") || keyword(t, "not")) {
      fail("expected a pattern or list name, found '" + std::string(t.text) + "'", t.offset);
      return -1;
    }
    const int s = resolve_(t.text);
    if (s < 0) fail("unknown pattern or list '" + std::string(t.text) + "'", t.offset);
    return s;
  }

  std::optional<Condition> parse_primary() {
    if (token_.kind == Token::Kind::kLParen) {
      advance();
      auto inner = parse_or();
      if (!inner || !expect(Token::Kind::kRParen, "')'")) return std::nullopt;
      return inner;
    }
    const bool is_near = keyword(token_, "near");
    const bool is_sentence = keyword(token_, "same_sentence");
    if ((is_near || is_sentence) && peek_is_lparen()) {
      advance();
      advance();  // '('
      Condition node{is_near ? Condition::Op::kNear : Condition::Op::kSameSentence, -1, -1, 0, {}};
      node.symbol = symbol(token_);
      if (failed_) return std::nullopt;
      advance();
      if (!expect(Token::Kind::kComma, "','")) return std::nullopt;
      node.symbol_b = symbol(token_);
      if (failed_) return std::nullopt;
      advance();
      if (is_near) {
        if (!expect(Token::Kind::kComma, "',' and a word distance")) return std::nullopt;
        if (token_.kind != Token::Kind::kNumber) {
          fail("expected a word distance (a whole number)");
          return std::nullopt;
        }
        std::from_chars(token_.text.data(), token_.text.data() + token_.text.size(), node.distance);
        advance();
      }
      if (!expect(Token::Kind::kRParen, "')'")) return std::nullopt;
      return node;
    }
    if (token_.kind == Token::Kind::kEnd) {
      fail("condition ends too early");
      return std::nullopt;
    }
    Condition node{Condition::Op::kSymbol, symbol(token_), -1, 0, {}};
    if (failed_) return std::nullopt;
    advance();
    return node;
  }

  bool peek_is_lparen() const {
    std::size_t p = pos_;
    while (p < text_.size() && std::isspace(static_cast<unsigned char>(text_[p]))) ++p;
    return p < text_.size() && text_[p] == '(';
  }

  std::string_view text_;
  const SymbolResolver& resolve_;
  std::size_t pos_ = 0;
  Token token_;
  bool failed_ = false;
  ConditionError error_;
};

}  // namespace

std::optional<Condition> parse_condition(std::string_view text, const SymbolResolver& resolve, ConditionError& error) {
  return Parser(text, resolve).parse(error);
}

bool evaluate(const Condition& c, const ConditionContext& ctx) {
  switch (c.op) {
    case Condition::Op::kSymbol: return ctx.matched(c.symbol);
    case Condition::Op::kAnd:
      for (const auto& a : c.args) {
        if (!evaluate(a, ctx)) return false;
      }
      return true;
    case Condition::Op::kOr:
      for (const auto& a : c.args) {
        if (evaluate(a, ctx)) return true;
      }
      return false;
    case Condition::Op::kNot: return !evaluate(c.args.front(), ctx);
    case Condition::Op::kNear: return ctx.near(c.symbol, c.symbol_b, c.distance);
    case Condition::Op::kSameSentence: return ctx.same_sentence(c.symbol, c.symbol_b);
  }
  return false;
}

void positive_symbols(const Condition& c, std::vector<int>& out) {
  switch (c.op) {
    case Condition::Op::kSymbol: out.push_back(c.symbol); break;
    case Condition::Op::kNear:
    case Condition::Op::kSameSentence:
      out.push_back(c.symbol);
      out.push_back(c.symbol_b);
      break;
    case Condition::Op::kAnd:
    case Condition::Op::kOr:
      for (const auto& a : c.args) positive_symbols(a, out);
      break;
    case Condition::Op::kNot: break;
  }
}

}  // namespace vigia::rules
