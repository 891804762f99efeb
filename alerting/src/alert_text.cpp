#include "alert_text.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>
#include <vector>

namespace vigia::alerting {
namespace {

// Links are never shortened: a cut URL is a broken link.
constexpr std::size_t kMaxUrlBytes = 4096;

}  // namespace

std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes + 3));
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    bool blank = c < 0x20 || c == 0x7f;
    // C1 controls (U+0080..U+009F) arrive as 0xC2 0x80..0x9F in UTF-8; CSI (U+009B) is one.
    if (c == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) {
        blank = true;
        ++i;
      }
    }
    if (blank || c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(static_cast<char>(c));
  }
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;  // not mid-character
    out.resize(cut);
    out += "…";
  }
  return out;
}

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string format_score(double score) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", score);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string format_when(Timestamp t) {
  const std::string rfc = format_rfc3339(t);  // 2024-05-03T12:00:00Z
  return rfc.substr(0, 10) + " " + rfc.substr(11, 5) + " UTC";
}

namespace {


// Passages of a field closer than this are likely shown by one snippet already.
constexpr std::size_t kSnippetSpacing = 80;

}  // namespace

namespace {
bool char_boundary(std::string_view s, std::size_t i) {
  return i == 0 || i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xc0) != 0x80;
}
}  // namespace

std::string highlight(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>> spans) {
  std::sort(spans.begin(), spans.end());
  std::string out;
  std::size_t at = 0;
  for (std::size_t i = 0; i < spans.size();) {
    auto [start, end] = spans[i];
    for (++i; i < spans.size() && spans[i].first <= end; ++i) end = std::max(end, spans[i].second);
    if (start < at || end > text.size() || start >= end || !char_boundary(text, start) || !char_boundary(text, end)) {
      return std::string(text);
    }
    out.append(text.substr(at, start - at));
    out += "[[";
    out.append(text.substr(start, end - start));
    out += "]]";
    at = end;
  }
  out.append(text.substr(at));
  return out;
}

std::string render_alert_text(const Alert& alert) {
  const std::string_view dot = " · ";
  std::string out;
  out += "[" + upper(one_line(alert.severity.empty() ? "unknown" : alert.severity)) + "] ";
  out += one_line(alert.category.empty() ? "uncategorised" : alert.category);
  out += dot;
  out += "score " + format_score(alert.score);
  out += dot;
  out += one_line(alert.rule);
  if (!alert.title.empty()) out += " — " + one_line(alert.title);
  out += '\n';

  // The headline once, with every term that matched in it marked: the quickest "why".
  std::vector<std::pair<std::size_t, std::size_t>> title_spans;
  for (const auto& term : alert.snippets) {
    if (term.field == "title") title_spans.emplace_back(term.start, term.end);
  }
  const std::string title = alert.item.title.empty() ? "(untitled)" : highlight(alert.item.title, title_spans);
  out += "  " + one_line(title) + '\n';

  out += "  " + one_line(alert.item.source.empty() ? "unknown source" : alert.item.source);
  out += dot;
  if (alert.item.published) {
    out += "published " + format_when(*alert.item.published);
  } else if (alert.item.fetched) {
    out += "fetched " + format_when(*alert.item.fetched) + " (no publication date)";
  } else {
    out += "publication date unknown";
  }
  out += '\n';

  // Matches in the other fields, one snippet per distinct passage: several patterns often land
  // in the same sentence, and one line shows them all.
  std::vector<std::string> lines;
  std::vector<std::pair<std::string, std::size_t>> shown;  // field, start
  for (const auto& term : alert.snippets) {
    if (term.field == "title") continue;
    const bool near_shown = std::any_of(shown.begin(), shown.end(), [&](const auto& s) {
      return s.first == term.field && (term.start > s.second ? term.start - s.second : s.second - term.start) < kSnippetSpacing;
    });
    if (near_shown) continue;
    std::string text = one_line(term.snippet);
    if (text.empty()) continue;
    shown.emplace_back(term.field, term.start);
    lines.push_back("  > " + (term.field.empty() ? std::string() : one_line(term.field) + ": ") + text);
  }
  for (std::size_t i = 0; i < lines.size() && i < kMaxSnippetsShown; ++i) {
    out += lines[i];
    if (i + 1 == kMaxSnippetsShown && lines.size() > kMaxSnippetsShown) {
      out += " (+" + std::to_string(lines.size() - kMaxSnippetsShown) + " more)";
    }
    out += '\n';
  }

  std::string entities;
  for (const auto& [list, names] : alert.entities) {
    if (names.empty()) continue;
    if (!entities.empty()) entities += dot;
    entities += one_line(list) + ": ";
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i > 0) entities += ", ";
      entities += one_line(names[i]);
    }
  }
  if (!entities.empty()) out += "  entities: " + entities + '\n';

  if (!alert.item.url.empty()) out += "  link: " + one_line(alert.item.url, kMaxUrlBytes) + '\n';
  out += '\n';
  return out;
}

}  // namespace vigia::alerting
