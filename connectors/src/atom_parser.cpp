// Atom 1.0 (RFC 4287). Text constructs say how to read them (type="text" | "html" | "xhtml"),
// links are <link rel href>, and entries inherit the feed's authors and xml:lang.
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
  return href == ns::kAtom || href == ns::kAtom03 || href.empty();
}

// Producers label HTML as type="text" often enough that obvious tags are worth honouring;
// plain text with a stray '<' or '&' is left alone.
bool has_obvious_tags(std::string_view text) {
  return text.find("</") != std::string_view::npos || text.find("<br") != std::string_view::npos ||
         text.find("<p>") != std::string_view::npos;
}

std::string text_construct(const xmlNode* element, TextLayout layout) {
  const std::string type = lower_ascii(trim(attribute(element, "type")));
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

// The alternate link: rel="alternate" or no rel at all (RFC 4287 §4.2.7.2), first wins.
const xmlNode* alternate_link(const xmlNode* parent) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (!is_atom(c, "link")) continue;
    const std::string rel = lower_ascii(trim(attribute(c, "rel")));
    if ((rel.empty() || rel == "alternate") && !trim(attribute(c, "href")).empty()) return c;
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
  if (const xmlNode* link = alternate_link(entry)) d.item.url = resolve_link(link, attribute(link, "href"), feed_link);
  d.item.authors = authors_of(entry);
  if (d.item.authors.empty()) d.item.authors = feed_authors;
  d.item.lang = normalize_lang(lang_of(entry));
  d.date = !published.empty() ? published : updated;
  finish_entry(std::move(d), context, out);
}

}  // namespace

void parse_atom(const xmlNode* root, const FeedContext& context, ParsedFeed& out) {
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (is_atom(c, "title") && out.title.empty()) out.title = text_construct(c, TextLayout::kLine);
  }
  if (const xmlNode* link = alternate_link(root)) out.link = resolve_link(link, attribute(link, "href"), {});
  out.lang = normalize_lang(lang_of(root));
  const std::vector<std::string> feed_authors = authors_of(root);
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (is_atom(c, "entry")) parse_entry(c, feed_authors, out.link, context, out);
  }
}

}  // namespace vigia::connectors::detail
