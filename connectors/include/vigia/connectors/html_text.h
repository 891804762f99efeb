// HTML (as found in feed descriptions and content) to the plain text the Item contract wants:
// tags dropped, entities decoded, script/style content skipped, block elements (p, div, li,
// br, h1..h6, ...) turned into line breaks and table cells into spaces, whitespace collapsed.
// One streaming pass over the source (no document is built, nothing is fetched); named entities
// come from libxml2's HTML entity table.
//
// Every result is valid UTF-8 without control characters: invalid bytes become U+FFFD, C1
// controls (U+0080..U+009F, from references such as &#146;) become the Windows-1252 characters
// they stand for, no-break and narrow spaces become plain spaces, soft hyphens and zero-width
// characters go.
// Thread-safety: pure functions (libxml2 is initialised once, thread-safely).
#pragma once

#include <string>
#include <string_view>

namespace vigia::connectors {

enum class TextLayout {
  kLine,        // one line: breaks become spaces (titles)
  kParagraphs,  // blocks separated by "\n" (summaries, content)
};

std::string html_to_text(std::string_view html, TextLayout layout = TextLayout::kParagraphs);

// The clean-up html_to_text applies to text, for text that is known not to be HTML.
std::string normalize_text(std::string_view text, TextLayout layout = TextLayout::kParagraphs);

// A cheap guess: does `text` contain markup or character references worth an HTML parse?
bool looks_like_html(std::string_view text);

}  // namespace vigia::connectors
