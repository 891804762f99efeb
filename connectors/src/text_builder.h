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
// clean UTF-8: invalid bytes become U+FFFD; control, zero-width and soft-hyphen characters go;
// exotic spaces (no-break, narrow, ideographic) are blanks.
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

}  // namespace vigia::connectors::detail
