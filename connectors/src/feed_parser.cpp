#include "vigia/connectors/feed_parser.h"

#include <climits>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "feed_formats.h"
#include "vigia/connectors/feed_date.h"
#include "vigia/connectors/item_id.h"
#include "vigia/connectors/url.h"
#include "text_builder.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

using detail::lower_ascii;
using detail::trim;

// DESIGN.md "Safety at the edges": never XML_PARSE_NOENT (entity expansion), XML_PARSE_DTDLOAD
// (external DTDs) or XML_PARSE_HUGE (lifts the parser's size and depth limits).
constexpr int kXmlOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_RECOVER;

struct ParseState {
  std::string first_html_entity;  // the first HTML entity name we had to supply, for `problem`
};

// Named HTML entities as libxml2 "predefined" entities: the parser then emits their text like
// &amp;'s, instead of dropping an undeclared &nbsp; (and the space it stood for) on the floor.
// They live for the whole process; libxml2 never frees or writes predefined entities. (In
// attribute values libxml2 copies only the first byte of a predefined entity's text, so there a
// non-ASCII one ends up as U+FFFD after clean-up; feeds use them in element text, where they
// decode in full.)
struct HtmlEntity {
  std::string name;
  std::string text;
  xmlEntity entity{};
};

const xmlEntity* html_entity(const xmlChar* name) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::unique_ptr<HtmlEntity>> cache;
  const std::string key(reinterpret_cast<const char*>(name));
  std::lock_guard lock(mu);
  if (auto it = cache.find(key); it != cache.end()) return it->second ? &it->second->entity : nullptr;
  const htmlEntityDesc* desc = htmlEntityLookup(name);
  if (desc == nullptr) {
    // Remember misses too, but only a bounded number: the names come from the document.
    if (cache.size() < 4096) cache.emplace(key, nullptr);
    return nullptr;
  }
  auto e = std::make_unique<HtmlEntity>();
  e->name = key;
  detail::encode_utf8(static_cast<char32_t>(desc->value), e->text);
  e->entity.type = XML_ENTITY_DECL;
  e->entity.etype = XML_INTERNAL_PREDEFINED_ENTITY;
  e->entity.name = reinterpret_cast<const xmlChar*>(e->name.c_str());
  e->entity.content = reinterpret_cast<xmlChar*>(e->text.data());
  e->entity.length = static_cast<int>(e->text.size());
  const xmlEntity* out = &e->entity;
  cache.emplace(key, std::move(e));
  return out;
}

xmlEntityPtr get_entity(void* ctx, const xmlChar* name) {
  if (xmlEntityPtr declared = xmlSAX2GetEntity(ctx, name)) return declared;
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  if (ctxt->inSubset != 0) return nullptr;  // inside the DTD: leave declarations alone
  const xmlEntity* e = html_entity(name);
  if (e != nullptr) {
    auto* state = static_cast<ParseState*>(ctxt->_private);
    if (state != nullptr && state->first_html_entity.empty()) state->first_html_entity = reinterpret_cast<const char*>(name);
  }
  return const_cast<xmlEntityPtr>(e);  // libxml2's callback type is non-const; it only reads it
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// The encoding named by the XML declaration, lower-cased; "" when there is none.
std::string declared_encoding(std::string_view doc) {
  if (!doc.starts_with("<?xml")) return {};
  const std::string_view decl = doc.substr(0, doc.find("?>"));
  const std::size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return {};
  std::size_t i = decl.find_first_of("\"'", at);
  if (i == std::string_view::npos) return {};
  const char quote = decl[i++];
  const std::size_t end = decl.find(quote, i);
  if (end == std::string_view::npos) return {};
  return lower_ascii(trim(decl.substr(i, end - i)));
}

bool is_utf16(std::string_view doc) {
  if (doc.size() < 2) return false;
  const auto b0 = static_cast<unsigned char>(doc[0]);
  const auto b1 = static_cast<unsigned char>(doc[1]);
  return (b0 == 0xFE && b1 == 0xFF) || (b0 == 0xFF && b1 == 0xFE) || (b0 == 0 && b1 == '<') || (b0 == '<' && b1 == 0);
}

std::string last_error(xmlParserCtxtPtr ctxt) {
  const xmlError* e = xmlCtxtGetLastError(ctxt);
  if (e == nullptr || e->message == nullptr) return "unknown XML error";
  std::string msg(trim(e->message));
  if (e->line > 0) msg = "line " + std::to_string(e->line) + ": " + msg;
  return msg;
}

std::string root_description(const xmlNode* root) {
  std::string name(detail::local_name(root));
  const std::string_view href = detail::ns_href(root);
  return "<" + name + ">" + (href.empty() ? "" : " (namespace " + std::string(href) + ")");
}

}  // namespace

std::string_view feed_format_name(FeedFormat format) {
  switch (format) {
    case FeedFormat::kRss: return "rss";
    case FeedFormat::kRdf: return "rdf";
    case FeedFormat::kAtom: return "atom";
  }
  return "?";
}

Result<ParsedFeed> parse_feed(std::string_view document, const FeedContext& context) {
  detail::init_libxml();
  // Leading blanks (a PHP habit) make the XML declaration illegal; a BOM before them too.
  std::string_view doc = document;
  if (doc.starts_with("\xEF\xBB\xBF")) doc.remove_prefix(3);
  const std::string_view stripped = trim(doc);
  if (stripped.empty()) return make_error("parse", "empty document");
  if (stripped.front() == '<') doc = doc.substr(doc.find('<'));
  if (doc.size() > static_cast<std::size_t>(INT_MAX)) return make_error("parse", "document too large");

  ParsedFeed out;
  const char* forced_encoding = nullptr;
  std::string hint = lower_ascii(trim(context.charset_hint));
  if (!is_utf16(doc)) {
    const std::string declared = declared_encoding(doc);
    if ((declared.empty() || declared == "utf-8" || declared == "utf8") && !valid_utf8(doc)) {
      // Latin-1 bytes without a declaration, or under a false "utf-8" one. Windows-1252 is a
      // superset of Latin-1's printable range and what such feeds actually hold.
      forced_encoding = !hint.empty() && hint != "utf-8" && hint != "utf8" ? hint.c_str() : "windows-1252";
      out.well_formed = false;
      out.problem = std::string("not valid UTF-8 and no other encoding declared; read as ") + forced_encoding;
    }
  }

  std::unique_ptr<xmlParserCtxt, decltype(&xmlFreeParserCtxt)> ctxt(xmlNewParserCtxt(), &xmlFreeParserCtxt);
  if (!ctxt) return make_error("parse", "out of memory creating an XML parser");
  ParseState state;
  ctxt->sax->getEntity = &get_entity;
  ctxt->_private = &state;
  const char* url = context.base_url.empty() ? nullptr : context.base_url.c_str();
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> xml(
      xmlCtxtReadMemory(ctxt.get(), doc.data(), static_cast<int>(doc.size()), url, forced_encoding, kXmlOptions),
      &xmlFreeDoc);
  if (!xml) return make_error("parse", "not XML: " + last_error(ctxt.get()));
  const xmlNode* root = xmlDocGetRootElement(xml.get());
  if (root == nullptr) return make_error("parse", "not XML: no root element (" + last_error(ctxt.get()) + ")");

  const std::string_view name = detail::local_name(root);
  const std::string_view href = detail::ns_href(root);
  if (name == "rss") {
    out.format = FeedFormat::kRss;
  } else if (name == "RDF") {
    out.format = FeedFormat::kRdf;
  } else if (name == "feed" && (href.empty() || href == detail::ns::kAtom || href == detail::ns::kAtom03)) {
    out.format = FeedFormat::kAtom;
  } else {
    return make_error("parse", "not a feed: the root element is " + root_description(root) +
                                   ", expected <rss>, <rdf:RDF> or Atom <feed>");
  }
  if (context.expect && *context.expect != out.format) {
    return make_error("parse", "expected " + std::string(feed_format_name(*context.expect)) + ", found " +
                                   root_description(root));
  }

  if (ctxt->wellFormed == 0 && out.well_formed) {
    out.well_formed = false;
    out.problem = last_error(ctxt.get());
  } else if (!state.first_html_entity.empty() && out.well_formed) {
    out.well_formed = false;
    out.problem = "HTML entity &" + state.first_html_entity + "; used without a declaration";
  }

  if (out.format == FeedFormat::kAtom) {
    detail::parse_atom(root, context, out);
  } else {
    detail::parse_rss(root, context, out);
  }
  return out;
}

namespace detail {

void finish_entry(EntryDraft d, const FeedContext& context, ParsedFeed& out) {
  Item& item = d.item;
  if (item.title.empty() && item.url.empty() && item.summary.empty() && item.content.empty()) {
    ++out.skipped;
    return;
  }
  item.source = context.source;
  item.connector = context.connector;
  item.fetched = context.fetched;
  item.published = parse_feed_date(d.date);
  if (!item.published) {
    item.published = context.fetched;
    item.published_is_fetch_time = true;
  }
  item.id = item_id(context.source, item.url, d.guid, item.title, item.summary);
  out.items.push_back(std::move(item));
}

std::string html_element_text(const xmlNode* element, TextLayout layout) {
  if (has_element_children(element)) {
    // Unescaped markup inside the element: the XML parser already built the tree.
    TextBuilder out(layout);
    append_markup_text(element->children, out);
    return std::move(out).finish();
  }
  return html_to_text(raw_text(element), layout);
}

std::string resolve_link(const xmlNode* node, std::string_view href, std::string_view fallback_base) {
  href = trim(href);
  if (href.empty()) return {};
  std::string url(href);
  if (!is_absolute_url(url)) {
    const std::string base = base_of(node);
    if (!base.empty()) url = resolve_url(base, url);
    if (!is_absolute_url(url) && !fallback_base.empty()) url = resolve_url(fallback_base, url);
  }
  const std::string scheme = lower_ascii(url.substr(0, url.find(':')));
  if (scheme != "http" && scheme != "https") return {};
  return url;
}

std::string normalize_lang(std::string_view lang) {
  std::string out(trim(lang));
  bool first = true;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= out.size(); ++i) {
    if (i < out.size() && out[i] == '_') out[i] = '-';
    if (i == out.size() || out[i] == '-') {
      // Subtags: language lower-case, a two-letter region upper-case, others lower-case.
      const bool region = !first && i - start == 2;
      for (std::size_t k = start; k < i; ++k) {
        char& c = out[k];
        if (region && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (!region && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      first = false;
      start = i + 1;
    }
  }
  return out;
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (value.empty()) return;
  for (const auto& v : list) {
    if (v == value) return;
  }
  list.push_back(std::move(value));
}

}  // namespace detail
}  // namespace vigia::connectors
