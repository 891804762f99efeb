#include <algorithm>

#include "vigia/rules/scorer.h"

namespace vigia::rules {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

void append_flat(std::string& out, std::string_view s) {
  for (char c : s) {
    const bool space = c == '\n' || c == '\r' || c == '\t';
    if (space && !out.empty() && out.back() == ' ') continue;
    out.push_back(space ? ' ' : c);
  }
}

}  // namespace

std::string make_snippet(std::string_view text, std::size_t start, std::size_t end, std::size_t context) {
  start = std::min(start, text.size());
  end = std::clamp(end, start, text.size());
  std::size_t from = start > context ? start - context : 0;
  std::size_t to = std::min(text.size(), end + context);
  // Cut at a space inside the window when there is one, so no word is chopped in half.
  if (from > 0) {
    const auto space = text.find(' ', from);
    if (space != std::string_view::npos && space < start) from = space + 1;
    while (from < start && is_continuation(text[from])) ++from;
  }
  if (to < text.size()) {
    const auto space = text.rfind(' ', to);
    if (space != std::string_view::npos && space > end) to = space;
    while (to > end && to < text.size() && is_continuation(text[to])) --to;
  }
  std::string out;
  if (from > 0) out += "…";
  append_flat(out, text.substr(from, start - from));
  out += "[[";
  append_flat(out, text.substr(start, end - start));
  out += "]]";
  append_flat(out, text.substr(end, to - end));
  if (to < text.size()) out += "…";
  return out;
}

}  // namespace vigia::rules
