#include "vigia/rules/pattern_regex.h"

#include <cstdio>

#include "vigia/rules/text_fold.h"

namespace vigia::rules {
namespace {

constexpr std::string_view kWordClass = "[a-z0-9_\\x80-\\xff]";
constexpr std::string_view kCasedWordClass = "[A-Za-z0-9_\\x80-\\xff]";

void append_byte_escape(std::string& out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::optional<TermRegex> term_to_regex(std::string_view term, std::string& error, TermOptions options) {
  const bool exact = options.form == TextForm::kExact;
  const std::string folded =
      exact ? std::string(term) : fold(term, options.form == TextForm::kCased ? FoldCase::kKeep : FoldCase::kLower);
  std::string_view t = folded;
  while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
  while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
  bool has_literal = false;
  for (char c : t) has_literal = has_literal || (c != '*' && c != '-' && !is_space(c));
  if (!has_literal) {
    error = "a term needs at least one letter, digit or symbol besides '*' and '-'";
    return std::nullopt;
  }
  TermRegex out;
  // A trailing '*' (or several) becomes "extend to the end of the word" after the scan.
  while (t.size() > 1 && t.back() == '*') {
    t.remove_suffix(1);
    out.extend_right = true;
  }
  const auto first = static_cast<unsigned char>(t.front());
  const auto last = static_cast<unsigned char>(t.back());
  out.check_left = is_word_byte(first) || first == '*';
  out.check_right = !out.extend_right && is_word_byte(last);
  std::size_t i = 0;
  while (i < t.size()) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (is_space(t[i])) {
      while (i < t.size() && is_space(t[i])) ++i;
      // Folded text has single blanks; the exact form sees whitespace as published.
      out.regex += exact ? "\\s+" : "\\s";
      continue;
    }
    if (options.enye_loose) {
      const bool n = c == 'n' || c == 'N';
      const bool enye = c == 0xC3 && i + 1 < t.size() && (static_cast<unsigned char>(t[i + 1]) == 0xB1 ||
                                                           static_cast<unsigned char>(t[i + 1]) == 0x91);
      if (n || enye) {
        const bool upper = c == 'N' || (enye && static_cast<unsigned char>(t[i + 1]) == 0x91);
        out.regex += upper ? "(?:N|\\xc3\\x91)" : "(?:n|\\xc3\\xb1)";
        i += enye ? 2 : 1;
        continue;
      }
    }
    if (c == '*') {
      out.regex += options.form == TextForm::kFolded ? kWordClass : kCasedWordClass;
      out.regex += '*';
    } else if (c == '-') {
      out.regex += "[\\s\\-]?";
    } else if (c >= 0x80) {
      append_byte_escape(out.regex, c);
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      out.regex.push_back(static_cast<char>(c));
    } else {
      // Any other ASCII symbol is literal; escaping it keeps regex syntax out of terms.
      out.regex.push_back('\\');
      out.regex.push_back(static_cast<char>(c));
    }
    ++i;
  }
  return out;
}

std::optional<std::string> fold_regex(std::string_view regex, std::string& error, TextForm form) {
  if (form == TextForm::kExact) return std::string(regex);
  const FoldCase fold_case = form == TextForm::kCased ? FoldCase::kKeep : FoldCase::kLower;
  std::string out;
  bool in_class = false;
  std::size_t i = 0;
  while (i < regex.size()) {
    const auto c = static_cast<unsigned char>(regex[i]);
    if (c == '\\' && i + 1 < regex.size()) {
      out.push_back('\\');
      ++i;
      // Copy the escaped character whole, even if it is multi-byte.
      std::size_t n = 1;
      const auto e = static_cast<unsigned char>(regex[i]);
      if (e >= 0xF0) n = 4; else if (e >= 0xE0) n = 3; else if (e >= 0xC0) n = 2;
      if (n > 1) {
        error = "escaped non-ASCII character at offset " + std::to_string(i) + "; write it unescaped";
        return std::nullopt;
      }
      out.push_back(static_cast<char>(e));
      ++i;
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out.push_back('[');
      ++i;
      // A ']' right after '[' or '[^' is literal.
      if (i < regex.size() && regex[i] == '^') out.push_back(regex[i++]);
      if (i < regex.size() && regex[i] == ']') out.push_back(regex[i++]);
      continue;
    }
    if (c == ']' && in_class) {
      in_class = false;
      out.push_back(']');
      ++i;
      continue;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    std::size_t n = 1;
    if (c >= 0xF0) n = 4; else if (c >= 0xE0) n = 3; else if (c >= 0xC0) n = 2;
    if (in_class) {
      error = "non-ASCII character inside [...] at offset " + std::to_string(i) +
              "; folded text makes it two bytes, so write an alternation such as (?:ñ|n)";
      return std::nullopt;
    }
    const std::string folded = fold(regex.substr(i, n), fold_case);
    if (folded.size() == 1) {
      out += folded;
    } else {
      // Group the bytes so a following quantifier applies to the whole character.
      out += "(?:";
      for (char f : folded) {
        if (static_cast<unsigned char>(f) >= 0x80) {
          append_byte_escape(out, static_cast<unsigned char>(f));
        } else {
          out.push_back(f);
        }
      }
      out += ")";
    }
    i += n;
  }
  return out;
}

}  // namespace vigia::rules
