// Shared building blocks for the chat receivers (Slack, Teams, Discord, Mattermost): an alert as
// display-ready facts, each platform's escaping, highlighted snippets, and length limits.
//
// Feed text is untrusted. Every fact is one sanitised line (controls removed, whitespace
// collapsed, see one_line()); a platform escapes it before adding its own markup, so a headline
// like "*URGENT* <!channel>" shows as typed and never formats, links or pings. Limits count
// UTF-16 code units, as Slack, Discord and Teams do, and cuts fall on code-point boundaries.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigia/core/model.h"

namespace vigia::alerting {

// One platform's markup.
struct Markup {
  std::string (*escape)(std::string_view plain);  // plain text → literal text in the markup
  std::string_view bold_open;
  std::string_view bold_close;
  // A link around already-escaped `label`.
  std::string (*link)(std::string_view url, std::string_view escaped_label);
};

// Slack mrkdwn: &, < and > become entities (Slack's own rule); links are <url|label>.
const Markup& slack_markup();
// Markdown (Discord, Mattermost, Adaptive Cards): ASCII punctuation that means something gets a
// backslash, and "@" a word joiner after it so "@everyone"/"@channel" cannot ping.
const Markup& markdown_markup();

std::string escape_slack(std::string_view plain);
std::string escape_markdown(std::string_view plain);

// Length in UTF-16 code units of UTF-8 `text`.
std::size_t text_length(std::string_view text);
// `text` cut to at most `max_units` UTF-16 units on a code-point boundary, ending in "…" (counted)
// when it was cut.
std::string truncate_text(std::string_view text, std::size_t max_units);
// The lines joined by '\n', within `max_units`: whole lines are dropped from the end (a final
// "…" marks the cut) so markup is never cut in half; only a first line too long on its own is
// truncated.
std::string fit_lines(const std::vector<std::string>& lines, std::size_t max_units);

// `text` split at '\n' (a trailing '\r' dropped from each line), for fitting rendered templates.
std::vector<std::string> split_lines(std::string_view text);

// The embed/card colour of a severity: 0xRRGGBB.
int severity_color(std::string_view severity);

// `marked` (a snippet whose matches are wrapped in [[ ]], as the scorer writes them) escaped for
// `markup`, each match in bold.
std::string highlight_marked(std::string_view marked, const Markup& markup);
// `marked` without its [[ ]] marks.
std::string strip_marks(std::string_view marked);

// The alert as sanitised, unescaped display strings.
struct AlertFacts {
  std::string severity;    // "HIGH"
  std::string rule_title;  // the rule's title, or its id when untitled
  std::string rule;
  std::string category;
  std::string score;  // "8.5"
  std::string item_title;
  std::string url;  // "" when the item has none
  std::string source;
  std::size_t source_count = 1;
  std::vector<std::string> sources;
  std::vector<std::pair<std::string, std::string>> entities;  // list, "name, name"
  struct Snippet {
    std::string field;
    std::string marked;  // with [[ ]] around the matches
  };
  std::vector<Snippet> snippets;  // at most kMaxSnippetsShown, one per passage
  std::size_t more_snippets = 0;  // passages not shown
  std::uint64_t sequence = 1;
  bool is_update = false;
  std::string published;  // "2024-05-03 12:00 UTC" or ""
  std::string first_seen;
  std::string last_seen;

  std::string headline() const;        // "[HIGH] Actividad del Cártel …" (or "[HIGH] Update #2: …")
  std::string sources_phrase() const;  // "reported by 3 sources"
  std::string update_phrase() const;   // "Update #2 of this alert" or ""
  std::string entities_line() const;   // "cartels: CJNG · places_mx: Guanajuato, Salamanca"
  std::string sources_line(std::size_t max_named = 5) const;  // "El Universal, Milenio (+2 more)"
};

AlertFacts alert_facts(const Alert& alert);

// The default message body, one entry per line, in `markup`:
//   **<item title, linked>**
//   Update #2 of this alert · now reported by 3 sources        (updates only)
//   cartels · HIGH · score 8.5 · reported by 3 sources: El Universal, Milenio, …
//   > title: Detienen a presuntos integrantes del **CJNG** en Salamanca
//   Entities: cartels: CJNG · places_mx: Guanajuato, Salamanca
//   Rule cjng-activity · first seen … · last seen …
std::vector<std::string> default_body_lines(const AlertFacts& facts, const Markup& markup);

}  // namespace vigia::alerting
