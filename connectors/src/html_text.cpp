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

namespace {

// Text with character references but no markup ("Seguridad &amp; justicia", "Michoac&aacute;n"),
// the commonest escaped title, decoded without building an HTML document — an order of magnitude
// cheaper. False (and `out` untouched) when a reference is one libxml2's parser should judge:
// unterminated, unknown, or out of range.
bool decode_references_only(std::string_view html, std::string& out) {
  if (html.find('<') != std::string_view::npos) return false;
  std::string decoded;
  decoded.reserve(html.size());
  std::size_t i = 0;
  while (i < html.size()) {
    const std::size_t amp = html.find('&', i);
    decoded.append(html.substr(i, amp == std::string_view::npos ? std::string_view::npos : amp - i));
    if (amp == std::string_view::npos) break;
    const std::size_t semi = html.find(';', amp);
    if (semi == std::string_view::npos || semi - amp > 32 || semi == amp + 1) return false;
    const std::string_view ref = html.substr(amp + 1, semi - amp - 1);
    char32_t cp = 0;
    if (ref.front() == '#') {
      const bool hex = ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X');
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > 7) return false;
      for (const char c : digits) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) return false;
        cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(v);
      }
      if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    } else {
      const std::string name(ref);
      const htmlEntityDesc* desc = htmlEntityLookup(reinterpret_cast<const xmlChar*>(name.c_str()));
      if (desc == nullptr) return false;
      cp = static_cast<char32_t>(desc->value);
    }
    detail::encode_utf8(cp, decoded);
    i = semi + 1;
  }
  out = std::move(decoded);
  return true;
}

}  // namespace

std::string html_to_text(std::string_view html, TextLayout layout) {
  detail::TextBuilder out(layout);
  if (!looks_like_html(html)) {
    out.text(html);  // HTML source: newlines are only whitespace
    return std::move(out).finish();
  }
  if (std::string decoded; decode_references_only(html, decoded)) {
    out.text(decoded);
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
