#include "vigia/alerting/matcher.h"

#include <array>
#include <utility>

#include "vigia/core/severity.h"

namespace vigia::alerting {
namespace {

// Longest operators first so "=~" is not read as "=" followed by "~...".
constexpr std::array<std::pair<std::string_view, MatchOp>, 8> kOps{{{"=~", MatchOp::kRegex},
                                                                    {"!~", MatchOp::kNotRegex},
                                                                    {"!=", MatchOp::kNotEqual},
                                                                    {">=", MatchOp::kGreaterEqual},
                                                                    {"<=", MatchOp::kLessEqual},
                                                                    {"=", MatchOp::kEqual},
                                                                    {">", MatchOp::kGreater},
                                                                    {"<", MatchOp::kLess}}};

bool name_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool ordering(MatchOp op) {
  return op == MatchOp::kGreaterEqual || op == MatchOp::kGreater || op == MatchOp::kLessEqual || op == MatchOp::kLess;
}

// The label's values: one for the scalar fields, any number for tags and entity
// lists.
std::vector<std::string_view> label_values(const Alert& a, const std::string& name) {
  if (name == "rule") return {a.rule};
  if (name == "title") return {a.title};
  if (name == "category") return {a.category};
  if (name == "severity") return {a.severity};
  if (name == "source") return {a.item.source};
  if (name == "id") return {a.id};
  const std::vector<std::string>* list = nullptr;
  if (name == "tags") {
    list = &a.tags;
  } else if (auto it = a.entities.find(name); it != a.entities.end()) {
    list = &it->second;
  }
  std::vector<std::string_view> out;
  if (list) out.assign(list->begin(), list->end());
  return out;
}

bool scalar_label(const std::string& name) {
  return name == "rule" || name == "title" || name == "category" || name == "severity" || name == "source" ||
         name == "id";
}

}  // namespace

std::string_view match_op_text(MatchOp op) {
  for (const auto& [text, o] : kOps) {
    if (o == op) return text;
  }
  return "=";
}

std::optional<MatchOp> parse_match_op(std::string_view text) {
  for (const auto& [t, o] : kOps) {
    if (t == text) return o;
  }
  return std::nullopt;
}

Result<Matcher> Matcher::make(std::string name, MatchOp op, std::string value) {
  if (name.empty()) return make_error("matcher", "a matcher needs a label name");
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0)) {
      return make_error("matcher", "'" + name + "' is not a valid label name (letters, digits, _ . -)");
    }
  }
  Matcher m;
  m.name_ = std::move(name);
  m.op_ = op;
  m.value_ = std::move(value);
  if (ordering(op)) {
    if (m.name_ != "severity") {
      return make_error(
          "matcher", "operator " + std::string(match_op_text(op)) + " only applies to severity, not '" + m.name_ + "'");
    }
    const auto rank = severity_rank(m.value_);
    if (!rank) {
      return make_error("matcher", "'" + m.value_ + "' is not a severity (info, low, medium, high, critical)");
    }
    m.severity_rank_ = *rank;
  }
  if (op == MatchOp::kRegex || op == MatchOp::kNotRegex) {
    try {
      // Anchored like Alertmanager: "Mich.*" must match the whole value.
      m.regex_ = std::make_shared<const std::regex>("^(?:" + m.value_ + ")$", std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return make_error("matcher", "bad regex '" + m.value_ + "' for '" + m.name_ + "': " + e.what());
    }
  }
  return m;
}

Result<Matcher> Matcher::parse(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] == ' ') ++i;
  const std::size_t name_start = i;
  while (i < text.size() && name_char(text[i], i == name_start)) ++i;
  std::string name(text.substr(name_start, i - name_start));
  while (i < text.size() && text[i] == ' ') ++i;
  std::optional<MatchOp> op;
  for (const auto& [t, o] : kOps) {
    if (text.substr(i, t.size()) == t) {
      op = o;
      i += t.size();
      break;
    }
  }
  if (name.empty() || !op) {
    return make_error("matcher", "'" + std::string(text) +
                                     "' is not a matcher: write name=value, "
                                     "name!=value, name=~regex, name!~regex or "
                                     "severity>=level");
  }
  while (i < text.size() && text[i] == ' ') ++i;
  std::string_view rest = text.substr(i);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  std::string value;
  if (!rest.empty() && rest.front() == '"') {
    std::size_t j = 1;
    bool closed = false;
    for (; j < rest.size(); ++j) {
      const char c = rest[j];
      if (c == '\\' && j + 1 < rest.size()) {
        const char e = rest[++j];
        value += e == 'n' ? '\n' : e;
      } else if (c == '"') {
        closed = true;
        ++j;
        break;
      } else {
        value += c;
      }
    }
    if (!closed || j != rest.size()) {
      return make_error("matcher", "'" + std::string(text) + "' has an unterminated or trailing quoted value");
    }
  } else {
    value.assign(rest);
  }
  return make(std::move(name), *op, std::move(value));
}

bool Matcher::value_matches(std::string_view v) const {
  switch (op_) {
    case MatchOp::kEqual:
    case MatchOp::kNotEqual:
      return v == value_;
    case MatchOp::kRegex:
    case MatchOp::kNotRegex:
      return std::regex_match(v.begin(), v.end(), *regex_);
    default:
      return false;
  }
}

bool Matcher::matches(const Alert& alert) const {
  if (ordering(op_)) {
    const auto rank = severity_rank(alert.severity);
    if (!rank) return false;
    switch (op_) {
      case MatchOp::kGreaterEqual:
        return *rank >= severity_rank_;
      case MatchOp::kGreater:
        return *rank > severity_rank_;
      case MatchOp::kLessEqual:
        return *rank <= severity_rank_;
      default:
        return *rank < severity_rank_;
    }
  }
  auto values = label_values(alert, name_);
  // An absent label is "" for scalars; an empty list has no values but still
  // equals "".
  if (values.empty() && !scalar_label(name_)) values.emplace_back();
  bool any = false;
  for (const auto v : values) {
    if (value_matches(v)) {
      any = true;
      break;
    }
  }
  const bool negated = op_ == MatchOp::kNotEqual || op_ == MatchOp::kNotRegex;
  return negated ? !any : any;
}

std::string Matcher::to_string() const {
  std::string out = name_;
  out += match_op_text(op_);
  out += '"';
  for (const char c : value_) {
    if (c == '\n') {
      out += "\\n";  // keeps the text form on one line (the silences table
                     // stores one per line)
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

bool matches_all(const std::vector<Matcher>& matchers, const Alert& alert) {
  for (const auto& m : matchers) {
    if (!m.matches(alert)) return false;
  }
  return true;
}

}  // namespace vigia::alerting
