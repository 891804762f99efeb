#include "vigia/connectors/html_text.h"

#include <climits>
#include <memory>

#include <libxml/HTMLparser.h>

#include "text_builder.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

// Neither NOBLANKS nor NOIMPLIED: both make the parser drop the blank between two top-level
// inline elements ("<b>uno</b> <i>dos</i>"), gluing words together; the implied <html><body>
// wrapper is harmless to the text walk.
constexpr int kHtmlOptions =
    HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NODEFDTD;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool looks_like_html(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') {
      const char next = text[i + 1];
      if (is_alpha(next) || next == '/' || next == '!') return true;
    } else if (c == '&') {
      // A character reference: &name; or &#123; / &#x1F; within a short distance.
      std::size_t j = i + 1;
      if (text[j] == '#') ++j;
      const std::size_t start = j;
      while (j < text.size() && j - start < 32 && is_alnum(text[j])) ++j;
      if (j > start && j < text.size() && text[j] == ';') return true;
    }
  }
  return false;
}

std::string normalize_text(std::string_view text, TextLayout layout) {
  detail::TextBuilder out(layout);
  out.text(text, /*newline_breaks=*/true);
  return std::move(out).finish();
}

std::string html_to_text(std::string_view html, TextLayout layout) {
  detail::TextBuilder out(layout);
  if (!looks_like_html(html)) {
    out.text(html);  // HTML source: newlines are only whitespace
    return std::move(out).finish();
  }
  if (html.size() > static_cast<std::size_t>(INT_MAX)) return {};
  detail::init_libxml();
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", kHtmlOptions), &xmlFreeDoc);
  if (!doc) {
    out.text(html);
    return std::move(out).finish();
  }
  detail::append_markup_text(doc->children, out);
  return std::move(out).finish();
}

}  // namespace vigia::connectors
