#include "message_format.h"

#include <algorithm>
#include <cctype>

#include "alert_text.h"

namespace vigia::alerting {
namespace {

// Characters that start or end markdown constructs (emphasis, code, spoilers, links, quotes,
// headings, HTML) on Discord, Mattermost and Teams. Escaping only these keeps text readable on
// renderers that would show a backslash before ordinary punctuation.
constexpr std::string_view kMarkdownSpecial = "\\*_~`|[]<>#";
constexpr std::string_view kWordJoiner = "\u2060";
// Passages of a field closer than this are likely shown by one snippet already (as alert_text).
constexpr std::size_t kSnippetSpacing = 80;

std::string slack_link(std::string_view url, std::string_view label) {
  // In <url|label>, '|' ends the URL and '>' the link: percent-encode them in the URL.
  std::string safe;
  for (char c : url) {
    if (c == '|') {
      safe += "%7C";
    } else if (c == '>') {
      safe += "%3E";
    } else if (c == '<') {
      safe += "%3C";
    } else if (c == '&') {
      safe += "&amp;";
    } else {
      safe.push_back(c);
    }
  }
  return "<" + safe + "|" + std::string(label) + ">";
}

std::string markdown_link(std::string_view url, std::string_view label) {
  std::string safe;
  for (char c : url) {
    if (c == '(' || c == ')' || c == ' ' || c == '<' || c == '>') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      safe += '%';
      safe += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      safe += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      safe.push_back(c);
    }
  }
  return "[" + std::string(label) + "](" + safe + ")";
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The item title with the title-field matches wrapped in [[ ]] (see highlight()).
std::string mark_title(std::string_view title, const std::vector<Term>& terms) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (const auto& t : terms) {
    if (t.field == "title") spans.emplace_back(t.start, t.end);
  }
  return highlight(title, std::move(spans));
}

}  // namespace

std::string escape_slack(std::string_view plain) {
  std::string out;
  out.reserve(plain.size());
  for (char c : plain) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string escape_markdown(std::string_view plain) {
  std::string out;
  out.reserve(plain.size() + plain.size() / 8);
  for (char c : plain) {
    if (kMarkdownSpecial.find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
    if (c == '@') out += kWordJoiner;
  }
  return out;
}

const Markup& slack_markup() {
  static const Markup m{&escape_slack, "*", "*", &slack_link};
  return m;
}

const Markup& markdown_markup() {
  static const Markup m{&escape_markdown, "**", "**", &markdown_link};
  return m;
}

std::size_t text_length(std::string_view text) {
  std::size_t n = 0;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xc0) == 0x80) continue;  // continuation byte
    n += c >= 0xf0 ? 2 : 1;            // astral code points are a surrogate pair
  }
  return n;
}

std::string truncate_text(std::string_view text, std::size_t max_units) {
  if (text_length(text) <= max_units) return std::string(text);
  if (max_units == 0) return {};
  const std::size_t budget = max_units - 1;  // room for "…"
  std::size_t units = 0;
  std::size_t cut = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    const std::size_t u = c >= 0xf0 ? 2 : 1;
    if (units + u > budget) break;
    units += u;
    i += len;
    cut = std::min(i, text.size());
  }
  return std::string(text.substr(0, cut)) + "…";
}

std::string fit_lines(const std::vector<std::string>& lines, std::size_t max_units) {
  std::string all;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) all += '\n';
    all += lines[i];
  }
  if (text_length(all) <= max_units) return all;
  const std::size_t budget = max_units >= 2 ? max_units - 2 : 0;  // room for "\n…"
  std::string out;
  std::size_t units = 0;
  for (const auto& line : lines) {
    const std::size_t need = text_length(line) + (out.empty() ? 0 : 1);
    if (units + need > budget) break;
    if (!out.empty()) out += '\n';
    out += line;
    units += need;
  }
  if (out.empty()) return truncate_text(lines.empty() ? std::string_view{} : lines.front(), max_units);
  return out + "\n…";
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const auto nl = text.find('\n', at);
    std::string line(text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

int severity_color(std::string_view severity) {
  std::string s = upper(severity);
  if (s == "CRITICAL") return 0x8b0000;
  if (s == "HIGH") return 0xe01e5a;
  if (s == "MEDIUM") return 0xecb22e;
  if (s == "LOW") return 0x2eb67d;
  return 0x439fe0;
}

std::string strip_marks(std::string_view marked) {
  std::string out;
  out.reserve(marked.size());
  for (std::size_t i = 0; i < marked.size(); ++i) {
    if (i + 1 < marked.size() && ((marked[i] == '[' && marked[i + 1] == '[') || (marked[i] == ']' && marked[i + 1] == ']'))) {
      ++i;
      continue;
    }
    out.push_back(marked[i]);
  }
  return out;
}

std::string highlight_marked(std::string_view marked, const Markup& markup) {
  std::string out;
  std::size_t at = 0;
  while (at < marked.size()) {
    const auto open = marked.find("[[", at);
    const auto close = open == std::string_view::npos ? open : marked.find("]]", open + 2);
    if (open == std::string_view::npos || close == std::string_view::npos) {
      out += markup.escape(strip_marks(marked.substr(at)));
      break;
    }
    out += markup.escape(marked.substr(at, open - at));
    const auto inner = marked.substr(open + 2, close - open - 2);
    if (!inner.empty()) {
      out += markup.bold_open;
      out += markup.escape(inner);
      out += markup.bold_close;
    }
    at = close + 2;
  }
  return out;
}

AlertFacts alert_facts(const Alert& alert) {
  AlertFacts f;
  f.severity = upper(one_line(alert.severity.empty() ? "unknown" : alert.severity));
  f.rule = one_line(alert.rule);
  f.rule_title = one_line(alert.title.empty() ? alert.rule : alert.title);
  f.category = one_line(alert.category.empty() ? "uncategorised" : alert.category);
  f.score = format_score(alert.score);
  f.item_title = one_line(mark_title(alert.item.title.empty() ? "(untitled)" : alert.item.title, alert.snippets));
  f.url = one_line(alert.item.url, 4096);
  f.source = one_line(alert.item.source.empty() ? "unknown source" : alert.item.source);
  for (const auto& s : alert.story.sources) f.sources.push_back(one_line(s));
  if (f.sources.empty()) f.sources.push_back(f.source);
  f.source_count = f.sources.size();
  for (const auto& [list, names] : alert.entities) {
    if (names.empty()) continue;
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : ", ") + one_line(n);
    f.entities.emplace_back(one_line(list), std::move(joined));
  }
  std::vector<std::pair<std::string, std::size_t>> shown;
  for (const auto& term : alert.snippets) {
    if (term.field == "title") continue;  // the title itself is shown, with its matches in bold
    const bool near_shown = std::any_of(shown.begin(), shown.end(), [&](const auto& s) {
      return s.first == term.field &&
             (term.start > s.second ? term.start - s.second : s.second - term.start) < kSnippetSpacing;
    });
    if (near_shown) continue;
    std::string text = one_line(term.snippet);
    if (text.empty()) continue;
    shown.emplace_back(term.field, term.start);
    if (f.snippets.size() < kMaxSnippetsShown) {
      f.snippets.push_back({one_line(term.field), std::move(text)});
    } else {
      ++f.more_snippets;
    }
  }
  f.sequence = alert.sequence;
  f.is_update = alert.sequence > 1;
  if (alert.item.published) f.published = format_when(*alert.item.published);
  f.first_seen = format_when(alert.first_seen);
  f.last_seen = format_when(alert.last_seen);
  return f;
}

std::string AlertFacts::headline() const {
  return "[" + severity + "] " + (is_update ? "Update #" + std::to_string(sequence) + ": " : "") + rule_title;
}

std::string AlertFacts::sources_phrase() const {
  return "reported by " + std::to_string(source_count) + (source_count == 1 ? " source" : " sources");
}

std::string AlertFacts::update_phrase() const {
  return is_update ? "Update #" + std::to_string(sequence) + " of this alert" : "";
}

std::string AlertFacts::entities_line() const {
  std::string out;
  for (const auto& [list, names] : entities) out += (out.empty() ? "" : " · ") + list + ": " + names;
  return out;
}

std::string AlertFacts::sources_line(std::size_t max_named) const {
  std::string out;
  for (std::size_t i = 0; i < sources.size() && i < max_named; ++i) out += (i > 0 ? ", " : "") + sources[i];
  if (sources.size() > max_named) out += " (+" + std::to_string(sources.size() - max_named) + " more)";
  return out;
}

std::vector<std::string> default_body_lines(const AlertFacts& f, const Markup& m) {
  std::vector<std::string> lines;
  const std::string title = highlight_marked(truncate_text(f.item_title, 300), m);
  std::string first = std::string(m.bold_open) + title + std::string(m.bold_close);
  if (!f.url.empty()) first = m.link(f.url, first);
  lines.push_back(first);
  if (f.is_update) lines.push_back(m.escape(f.update_phrase() + " · now " + f.sources_phrase()));
  lines.push_back(m.escape(f.category + " · " + f.severity + " · score " + f.score + " · " + f.sources_phrase() + ": " +
                           truncate_text(f.sources_line(), 400)));
  for (std::size_t i = 0; i < f.snippets.size(); ++i) {
    std::string line = "> " + m.escape(f.snippets[i].field + ": ") + highlight_marked(f.snippets[i].marked, m);
    if (i + 1 == f.snippets.size() && f.more_snippets > 0) {
      line += m.escape(" (+" + std::to_string(f.more_snippets) + " more)");
    }
    lines.push_back(std::move(line));
  }
  if (!f.entities.empty()) lines.push_back(m.escape("Entities: " + truncate_text(f.entities_line(), 600)));
  std::string meta = "Rule " + f.rule;
  if (!f.published.empty()) meta += " · published " + f.published;
  meta += " · first seen " + f.first_seen;
  if (f.last_seen != f.first_seen) meta += " · last seen " + f.last_seen;
  lines.push_back(m.escape(meta));
  return lines;
}

}  // namespace vigia::alerting
