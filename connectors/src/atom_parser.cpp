// Atom 1.0 (RFC 4287). Text constructs say how to read them (type="text" | "html" | "xhtml"),
// links are <link rel href>, and entries inherit the feed's authors and xml:lang.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "feed_formats.h"
#include "text_builder.h"
#include "xml_node.h"

namespace vigia::connectors::detail {
namespace {

bool is_atom(const xmlNode* node, std::string_view local) {
  if (node->type != XML_ELEMENT_NODE || local_name(node) != local) return false;
  const std::string_view href = ns_href(node);
  return href.empty() || is_atom_namespace(href);
}

// RFC 4648 base64, blanks ignored; nullopt when `text` is not base64.
std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (const char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      continue;
    } else {
      return std::nullopt;
    }
    if (padding) return std::nullopt;  // data after '='
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// A MIME type whose content is text we can read as it is (RFC 4287 §4.1.3.3: XML types and
// text/* are inline; any other type is base64).
bool is_inline_type(std::string_view type) {
  return type.starts_with("text/") || type.ends_with("+xml") || type.ends_with("/xml");
}

// Producers label HTML as type="text" often enough that obvious tags are worth honouring;
// plain text with a stray '<' or '&' is left alone.
bool has_obvious_tags(std::string_view text) {
  return text.find("</") != std::string_view::npos || text.find("<br") != std::string_view::npos ||
         text.find("<p>") != std::string_view::npos;
}

std::string text_construct(const xmlNode* element, TextLayout layout) {
  const std::string type = lower_ascii(trim(attribute(element, "type")));
  // Atom 0.3 said how content was encoded in mode="xml" | "escaped" | "base64"; 1.0 says it
  // with a MIME type, base64 for anything neither XML nor text.
  const std::string mode = lower_ascii(trim(attribute(element, "mode")));
  const bool base64 = mode == "base64" || (type.find('/') != std::string::npos && !is_inline_type(type));
  if (base64) {
    // Pictures and sound carry no text for a reader; anything else decoded is read as text.
    if (type.starts_with("image/") || type.starts_with("audio/") || type.starts_with("video/")) return {};
    if (auto decoded = decode_base64(raw_text(element))) {
      return type == "text/html" ? html_to_text(*decoded, layout) : normalize_text(*decoded, layout);
    }
  }
  if (mode == "escaped") return html_element_text(element, layout);
  if (type == "xhtml" || type == "application/xhtml+xml") {
    TextBuilder out(layout);
    append_markup_text(element->children, out);
    return std::move(out).finish();
  }
  if (type == "html" || type == "text/html" || has_element_children(element)) return html_element_text(element, layout);
  const std::string raw = raw_text(element);
  if (has_obvious_tags(raw)) return html_to_text(raw, layout);
  return normalize_text(raw, layout);
}

// A link's target: its href, or — in pre-1.0 and broken feeds — its text.
std::string link_target(const xmlNode* link) {
  std::string href = attribute(link, "href");
  if (trim(href).empty()) href = trimmed_text(link);
  return href;
}

// The alternate link: rel="alternate" or no rel at all (RFC 4287 §4.2.7.2), first wins.
const xmlNode* alternate_link(const xmlNode* parent) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (!is_atom(c, "link")) continue;
    const std::string rel = lower_ascii(trim(attribute(c, "rel")));
    if ((rel.empty() || rel == "alternate") && !trim(link_target(c)).empty()) return c;
  }
  return nullptr;
}

std::vector<std::string> authors_of(const xmlNode* parent) {
  std::vector<std::string> out;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (!is_atom(c, "author")) continue;
    for (const xmlNode* a = c->children; a != nullptr; a = a->next) {
      if (is_atom(a, "name")) add_unique(out, normalize_text(raw_text(a), TextLayout::kLine));
    }
  }
  return out;
}

void parse_entry(const xmlNode* entry, const std::vector<std::string>& feed_authors, const std::string& feed_link,
                 const FeedContext& context, ParsedFeed& out) {
  EntryDraft d;
  std::string published;
  std::string updated;
  for (const xmlNode* c = entry->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is_atom(c, "title")) {
      d.item.title = text_construct(c, TextLayout::kLine);
    } else if (is_atom(c, "summary")) {
      d.item.summary = text_construct(c, TextLayout::kParagraphs);
    } else if (is_atom(c, "content")) {
      // Out-of-line content (src="...") has nothing to read here.
      if (attribute(c, "src").empty()) d.item.content = text_construct(c, TextLayout::kParagraphs);
    } else if (is_atom(c, "id")) {
      d.guid = trimmed_text(c);
    } else if (is_atom(c, "published") || is_atom(c, "issued")) {
      published = trimmed_text(c);
    } else if (is_atom(c, "updated") || is_atom(c, "modified")) {
      updated = trimmed_text(c);
    } else if (is_atom(c, "category")) {
      std::string term = attribute(c, "term");
      if (trim(term).empty()) term = attribute(c, "label");
      add_unique(d.item.tags, normalize_text(term, TextLayout::kLine));
    }
  }
  if (const xmlNode* link = alternate_link(entry)) d.item.url = resolve_link(link, link_target(link), feed_link);
  d.item.authors = authors_of(entry);
  if (d.item.authors.empty()) d.item.authors = feed_authors;
  d.item.lang = normalize_lang(lang_of(entry));
  d.date = !published.empty() ? published : updated;
  finish_entry(std::move(d), context, out);
}

}  // namespace

bool is_atom_namespace(std::string_view href) {
  // 1.0, 0.3, and the drafts of 2003 (Echo, Pie, Necho) some old feeds still declare.
  static constexpr std::array<std::string_view, 6> kNamespaces = {
      ns::kAtom, ns::kAtom03, "http://purl.org/echo/", "http://purl.org/pie/", "http://example.com/necho",
      "http://example.com/newformat#"};
  return std::find(kNamespaces.begin(), kNamespaces.end(), href) != kNamespaces.end();
}

void parse_atom(const xmlNode* root, const FeedContext& context, ParsedFeed& out) {
  if (local_name(root) == "entry") {  // an Entry Document: no feed around the one entry
    parse_entry(root, {}, {}, context, out);
    return;
  }
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (is_atom(c, "title") && out.title.empty()) out.title = text_construct(c, TextLayout::kLine);
  }
  if (const xmlNode* link = alternate_link(root)) out.link = resolve_link(link, link_target(link), {});
  out.lang = normalize_lang(lang_of(root));
  const std::vector<std::string> feed_authors = authors_of(root);
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (is_atom(c, "entry")) parse_entry(c, feed_authors, out.link, context, out);
  }
}

}  // namespace vigia::connectors::detail
