// RSS 0.9x/2.0 and RSS 1.0 (RDF) share their item vocabulary; they differ in where items sit
// (inside <channel>, or beside it under <rdf:RDF>) and in the namespace of the core elements.
#include <string>
#include <vector>

#include "feed_formats.h"
#include "vigia/connectors/url.h"
#include "xml_node.h"

namespace vigia::connectors::detail {
namespace {

// RSS core elements carry no namespace in 0.9x/2.0, and the RSS 1.0 / 0.90 namespace in RDF.
bool is_core(const xmlNode* node, std::string_view local) {
  if (node->type != XML_ELEMENT_NODE || local_name(node) != local) return false;
  const std::string_view href = ns_href(node);
  return href.empty() || href == ns::kRss10 || href == ns::kRss090 || href == ns::kRssUserland;
}

// RSS wants an e-mail address, readers want the name: "editor@example.com (Ana Pérez)",
// "Ana Pérez (editor@example.com)" and "Ana Pérez <editor@example.com>" all give "Ana Pérez"; a
// bare address stays as it is, for want of anything better.
std::string author_name(std::string_view text) {
  text = trim(text);
  const std::size_t open = text.find('(');
  const std::size_t close = text.rfind(')');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
    const std::string_view before = trim(text.substr(0, open));
    const std::string_view inside = trim(text.substr(open + 1, close - open - 1));
    if (before.find('@') != std::string_view::npos && !inside.empty()) return normalize_text(inside, TextLayout::kLine);
    if (inside.find('@') != std::string_view::npos && !before.empty()) return normalize_text(before, TextLayout::kLine);
  }
  const std::size_t angle = text.find('<');
  if (angle != std::string_view::npos && angle > 0 && text.back() == '>' &&
      text.substr(angle).find('@') != std::string_view::npos) {
    return normalize_text(text.substr(0, angle), TextLayout::kLine);
  }
  return normalize_text(text, TextLayout::kLine);
}

// Atom elements that RSS producers borrow (atom:link in the channel, atom:author or
// atom:content in an item).
bool is_atom_element(const xmlNode* node, std::string_view local) {
  return node->type == XML_ELEMENT_NODE && local_name(node) == local && ns_href(node) == ns::kAtom;
}

// An Atom text construct borrowed by an RSS item: type="html" is escaped HTML, "xhtml" markup.
std::string atom_text(const xmlNode* element, TextLayout layout) {
  const std::string type = lower_ascii(trim(attribute(element, "type")));
  if (type == "html" || type == "xhtml" || type == "text/html" || has_element_children(element)) {
    return html_element_text(element, layout);
  }
  return normalize_text(raw_text(element), layout);
}

struct Channel {
  std::string link;
  std::string lang;
};

void parse_item(const xmlNode* item_node, const Channel& channel, const FeedContext& context, ParsedFeed& out) {
  EntryDraft d;
  std::string link;
  std::string orig_link;
  std::string guid_link;
  std::string dc_title;
  std::string dc_description;
  std::string atom_summary;
  std::string atom_content;
  std::string body;
  std::string fallback_date;  // atom:published/updated, dcterms:issued/modified
  std::vector<std::string> atom_authors;
  std::string item_lang = normalize_lang(attribute_ns(item_node, "lang", "http://www.w3.org/XML/1998/namespace"));
  const xmlNode* link_node = item_node;
  for (const xmlNode* c = item_node->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    const std::string_view href = ns_href(c);
    if (is_core(c, "title")) {
      d.item.title = html_element_text(c, TextLayout::kLine);
    } else if (is_core(c, "link")) {
      if (link.empty()) {
        link = trimmed_text(c);
        link_node = c;
      }
    } else if (is_core(c, "description")) {
      d.item.summary = html_element_text(c, TextLayout::kParagraphs);
    } else if (is_core(c, "pubDate") && d.date.empty()) {
      d.date = trimmed_text(c);
    } else if (is_core(c, "guid")) {
      d.guid = trimmed_text(c);
      const std::string permalink = lower_ascii(trim(attribute(c, "isPermaLink")));
      // A permalink guid must be a full URL; relative ones are just identifiers.
      if (permalink != "false" && is_absolute_url(d.guid)) guid_link = d.guid;
    } else if (is_core(c, "author")) {
      add_unique(d.item.authors, author_name(raw_text(c)));
    } else if (is_core(c, "category")) {
      add_unique(d.item.tags, html_element_text(c, TextLayout::kLine));
    } else if (href == ns::kContent && local_name(c) == "encoded") {
      d.item.content = html_element_text(c, TextLayout::kParagraphs);
    } else if (href == ns::kDc) {
      const std::string_view name = local_name(c);
      if (name == "date") {
        if (d.date.empty()) d.date = trimmed_text(c);
      } else if (name == "creator" || name == "author") {
        add_unique(d.item.authors, author_name(raw_text(c)));
      } else if (name == "title") {
        if (dc_title.empty()) dc_title = html_element_text(c, TextLayout::kLine);
      } else if (name == "description") {
        if (dc_description.empty()) dc_description = html_element_text(c, TextLayout::kParagraphs);
      } else if (name == "subject") {
        add_unique(d.item.tags, normalize_text(raw_text(c), TextLayout::kLine));
      } else if (name == "language" && item_lang.empty()) {
        item_lang = normalize_lang(trimmed_text(c));
      }
    } else if (href == ns::kFeedburner && local_name(c) == "origLink") {
      orig_link = trimmed_text(c);  // the publisher's URL behind FeedBurner's redirector
    } else if ((href == ns::kAtom) && (local_name(c) == "updated" || local_name(c) == "published")) {
      if (fallback_date.empty()) fallback_date = trimmed_text(c);
    } else if (href == ns::kDcTerms && (local_name(c) == "issued" || local_name(c) == "modified")) {
      if (fallback_date.empty()) fallback_date = trimmed_text(c);
    } else if (is_atom_element(c, "content") || is_atom_element(c, "summary")) {
      std::string& text = local_name(c) == "content" ? atom_content : atom_summary;
      if (text.empty()) text = atom_text(c, TextLayout::kParagraphs);
    } else if (is_atom_element(c, "author")) {
      for (const xmlNode* a = c->children; a != nullptr; a = a->next) {
        if (is_atom_element(a, "name")) add_unique(atom_authors, normalize_text(raw_text(a), TextLayout::kLine));
      }
    } else if (local_name(c) == "body" && (href.empty() || href == ns::kXhtml)) {
      if (body.empty()) body = html_element_text(c, TextLayout::kParagraphs);  // XHTML body in RSS 2.0
    } else if (is_core(c, "fullitem")) {
      if (body.empty()) body = html_element_text(c, TextLayout::kParagraphs);
    }
  }
  // Dublin Core and borrowed Atom elements fill what the RSS elements left empty.
  if (d.item.title.empty()) d.item.title = std::move(dc_title);
  if (d.item.summary.empty()) d.item.summary = std::move(dc_description);
  if (d.item.summary.empty()) d.item.summary = std::move(atom_summary);
  if (d.item.content.empty()) d.item.content = std::move(atom_content);
  if (d.item.content.empty()) d.item.content = std::move(body);
  if (d.item.authors.empty()) d.item.authors = std::move(atom_authors);
  if (d.date.empty()) d.date = std::move(fallback_date);
  // RSS 1.0 names each item by its URI.
  const std::string about = attribute_ns(item_node, "about", ns::kRdf);
  if (d.guid.empty()) d.guid = trim(about);

  d.item.url = resolve_link(link_node, orig_link, channel.link);
  if (d.item.url.empty()) d.item.url = resolve_link(link_node, link, channel.link);
  if (d.item.url.empty()) d.item.url = resolve_link(item_node, guid_link, channel.link);

  d.item.lang = !item_lang.empty() ? item_lang : !channel.lang.empty() ? channel.lang : normalize_lang(lang_of(item_node));
  finish_entry(std::move(d), context, out);
}

Channel read_channel(const xmlNode* channel_node, ParsedFeed& out) {
  Channel ch;
  if (channel_node == nullptr) return ch;
  std::string dc_title;
  std::string atom_link;
  for (const xmlNode* c = channel_node->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is_core(c, "title") && out.title.empty()) {
      out.title = html_element_text(c, TextLayout::kLine);
    } else if (ns_href(c) == ns::kDc && local_name(c) == "title") {
      if (dc_title.empty()) dc_title = html_element_text(c, TextLayout::kLine);
    } else if (is_core(c, "link") && ch.link.empty()) {
      ch.link = resolve_link(c, trimmed_text(c), {});
    } else if (is_atom_element(c, "link") && atom_link.empty()) {
      const std::string rel = lower_ascii(trim(attribute(c, "rel")));
      if (rel.empty() || rel == "alternate") atom_link = resolve_link(c, attribute(c, "href"), {});
    } else if (is_core(c, "language") || (ns_href(c) == ns::kDc && local_name(c) == "language")) {
      if (ch.lang.empty()) ch.lang = normalize_lang(trimmed_text(c));
    }
  }
  if (out.title.empty()) out.title = std::move(dc_title);
  if (ch.link.empty()) ch.link = std::move(atom_link);
  if (ch.lang.empty()) ch.lang = normalize_lang(lang_of(channel_node));
  out.link = ch.link;
  out.lang = ch.lang;
  return ch;
}

}  // namespace

void parse_rss(const xmlNode* root, const FeedContext& context, ParsedFeed& out) {
  const xmlNode* channel_node = nullptr;
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (is_core(c, "channel")) {
      channel_node = c;
      break;
    }
  }
  const Channel channel = read_channel(channel_node, out);
  // Items live in <channel> (RSS 2.0), beside it (RSS 1.0), or — in broken feeds — both.
  for (const xmlNode* parent : {channel_node, root}) {
    if (parent == nullptr) continue;
    for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (is_core(c, "item")) parse_item(c, channel, context, out);
    }
  }
}

}  // namespace vigia::connectors::detail
