// Private: the text side of html_to_text — a builder that applies HTML whitespace rules and
// UTF-8 clean-up, and the walk that feeds it from a libxml2 tree (an HTML document, or XHTML
// embedded in a feed). Not part of the module's interface.
#pragma once

#include <string>
#include <string_view>

#include <libxml/tree.h>

#include "vigia/connectors/html_text.h"

namespace vigia::connectors::detail {

// Accumulates text with HTML whitespace rules: runs of blanks become one space, requested
// breaks become one "\n" (or a space in kLine), nothing leads or trails. It also guarantees
// clean UTF-8: invalid bytes become U+FFFD; C1 controls are read as Windows-1252
// (windows1252_c1); other control, zero-width and soft-hyphen characters go; exotic spaces
// (no-break, narrow, ideographic) are blanks.
class TextBuilder {
 public:
  explicit TextBuilder(TextLayout layout) : layout_(layout) {}

  // `newline_breaks`: a newline in `text` is a line break (plain text) rather than a blank
  // (HTML source, where it is just whitespace).
  void text(std::string_view text, bool newline_breaks = false);
  void blank();
  void line_break();
  std::string finish() &&;

 private:
  enum class Pending { kNone, kBlank, kBreak };
  void put(std::string_view encoded);

  TextLayout layout_;
  Pending pending_ = Pending::kNone;
  std::string out_;
};

// The text a reader sees in the markup nodes `first` and its following siblings (with their
// descendants): the walker behind html_to_text, also used on XHTML embedded in feeds.
void append_markup_text(const xmlNode* first, TextBuilder& out);

// Appends code point `cp` (at most U+10FFFF) as UTF-8.
void encode_utf8(char32_t cp, std::string& out);
// Writes it into `out` (room for 4 bytes); returns the number of bytes.
std::size_t encode_utf8(char32_t cp, char* out);

// What an element does to the text around it: nothing (inline), hide its content (script, style,
// head, ...), start a new line (p, div, li, br, h1..h6, ...) or separate cells (td, th).
// `name` is the lower-case local name.
enum class Role { kInline, kSkip, kBlock, kCell };
Role role_of(std::string_view name);

// What Windows-1252 means by byte `b` in 0x80..0x9F (U+20AC for 0x80, ...), or 0 for the five
// bytes it leaves undefined. Also how we read the C1 control code points U+0080..U+009F in text:
// they come from numeric references such as &#146; that publishers meant as Windows-1252
// (HTML5 decodes them the same way).
char32_t windows1252_c1(unsigned char b);

}  // namespace vigia::connectors::detail
