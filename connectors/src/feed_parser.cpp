#include "vigia/connectors/feed_parser.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/encoding.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "feed_formats.h"
#include "json_feed_parser.h"
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
// (external DTDs) or XML_PARSE_HUGE (lifts the parser's size and depth limits). IGNORE_ENC: we
// pick the encoding ourselves (choose_encoding) and pass it in; without it libxml2 would switch to
// the declared one half-way through the prolog.
constexpr int kXmlOptions =
    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_RECOVER | XML_PARSE_IGNORE_ENC;

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
    // Feeds are mostly ASCII: skip it eight bytes at a time.
    while (i + 8 <= s.size()) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= s.size()) break;
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

// A byte-order mark, or the first bytes of "<?xml" in UTF-16/32 (XML 1.0 appendix F): the
// encoding they announce and the BOM's length; nullopt for 8-bit documents.
struct Sniffed {
  const char* encoding;
  std::size_t bom;
};
std::optional<Sniffed> sniff_wide(std::string_view doc) {
  auto starts = [&](std::string_view prefix) { return doc.starts_with(prefix); };
  using namespace std::string_view_literals;
  if (starts("\x00\x00\xFE\xFF"sv)) return Sniffed{"utf-32be", 4};
  if (starts("\xFF\xFE\x00\x00"sv)) return Sniffed{"utf-32le", 4};
  if (starts("\xFE\xFF"sv)) return Sniffed{"utf-16be", 2};
  if (starts("\xFF\xFE"sv)) return Sniffed{"utf-16le", 2};
  if (starts("\x00\x00\x00<"sv)) return Sniffed{"utf-32be", 0};
  if (starts("<\x00\x00\x00"sv)) return Sniffed{"utf-32le", 0};
  if (starts("\x00<"sv)) return Sniffed{"utf-16be", 0};
  if (starts("<\x00"sv)) return Sniffed{"utf-16le", 0};
  return std::nullopt;
}

bool is_utf8_label(std::string_view label) { return label == "utf-8" || label == "utf8"; }

// Labels for Latin-1 or ASCII. We read them as Windows-1252, which agrees with both on every
// character they define and gives bytes 0x80-0x9F the curly quotes, dashes and euro sign that
// publishers mean by them (Spanish-language CMSs declare ISO-8859-1 and write cp1252 all the
// time); the WHATWG Encoding Standard, which browsers follow, maps these labels the same way.
bool is_latin1_label(std::string_view label) {
  static constexpr std::array<std::string_view, 16> kLabels = {
      "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "cp819", "ibm819",
      "us-ascii", "ascii", "ansi_x3.4-1968", "windows-1252", "cp1252", "x-cp1252", "csisolatin1"};
  return std::find(kLabels.begin(), kLabels.end(), label) != kLabels.end();
}

// True when libxml2 (built-in tables or iconv) can decode `label`.
bool known_encoding(const std::string& label) {
  xmlCharEncodingHandlerPtr handler = xmlFindCharEncodingHandler(label.c_str());
  if (handler == nullptr) return false;
  xmlCharEncCloseFunc(handler);
  return true;
}

// A charset label as written in a declaration or a Content-Type parameter: trimmed, unquoted,
// lower-case.
std::string clean_label(std::string_view label) {
  label = trim(label);
  while (!label.empty() && (label.front() == '"' || label.front() == '\'')) label.remove_prefix(1);
  while (!label.empty() && (label.back() == '"' || label.back() == '\'')) label.remove_suffix(1);
  return lower_ascii(trim(label));
}

// Windows-1252 to UTF-8 by table. libxml2 would go through iconv, whose WINDOWS-1252 refuses the
// five bytes the code page leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) and so ends the
// whole parse at the first one; here they become C1 code points, which the text clean-up drops.
std::string windows1252_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (const char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      out.push_back(ch);
      continue;
    }
    const char32_t meant = detail::windows1252_c1(b);
    detail::encode_utf8(meant != 0 ? meant : char32_t{b}, out);
  }
  return out;
}

bool is_name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
bool is_name_char(unsigned char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
bool is_hex_digit(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Length of the character or entity reference at doc[i] == '&' ("&amp;", "&#233;", "&#xE9;"),
// or 0 when it is a bare ampersand. `upper_x` is set for "&#X...;", which XML does not allow.
std::size_t reference_length(std::string_view doc, std::size_t i, bool& upper_x) {
  std::size_t j = i + 1;
  upper_x = false;
  auto at = [&](std::size_t k) { return k < doc.size() ? static_cast<unsigned char>(doc[k]) : 0; };
  if (at(j) == '#') {
    ++j;
    const bool hex = at(j) == 'x' || at(j) == 'X';
    upper_x = at(j) == 'X';
    if (hex) ++j;
    const std::size_t digits = j;
    while (hex ? is_hex_digit(at(j)) : (at(j) >= '0' && at(j) <= '9')) ++j;
    return j > digits && at(j) == ';' ? j + 1 - i : 0;
  }
  if (!is_name_start(at(j))) return 0;
  while (is_name_char(at(j))) ++j;
  return at(j) == ';' ? j + 1 - i : 0;
}

// The most common malformation of news feeds: a raw '&' in a link or a headline ("?a=1&b=2",
// "Smith & Wesson"). libxml2's recovery drops it and the name after it; we escape it instead,
// skipping CDATA sections, comments, processing instructions and the DOCTYPE, where '&' is
// either literal or a declaration's business. "&#X41;" (upper-case X, which XML forbids) is
// written "&#x41;". nullopt when the document needs none of this.
std::optional<std::string> escape_bare_ampersands(std::string_view doc) {
  std::string out;
  bool changed = false;
  std::size_t copied = 0;  // doc[0, copied) is already in `out`
  std::size_t i = 0;
  auto skip_to = [&](std::string_view end) {
    const std::size_t e = doc.find(end, i);
    i = e == std::string_view::npos ? doc.size() : e + end.size();
  };
  while (i < doc.size()) {
    // A plain loop: string_view::find_first_of runs a memchr over its set for every byte.
    while (i < doc.size() && doc[i] != '&' && doc[i] != '<') ++i;
    if (i == doc.size()) break;
    if (doc[i] == '<') {
      const std::string_view rest = doc.substr(i);
      if (rest.starts_with("<![CDATA[")) {
        skip_to("]]>");
      } else if (rest.starts_with("<!--")) {
        skip_to("-->");
      } else if (rest.starts_with("<?")) {
        skip_to("?>");
      } else if (rest.starts_with("<!DOCTYPE")) {
        const std::size_t bracket = rest.find('[');
        skip_to(bracket != std::string_view::npos && bracket < rest.find('>') ? "]>" : ">");
      } else {
        ++i;
      }
      continue;
    }
    bool upper_x = false;
    const std::size_t len = reference_length(doc, i, upper_x);
    if (len > 0 && !upper_x) {
      i += len;
      continue;
    }
    if (!changed) out.reserve(doc.size() + 64);
    changed = true;
    out.append(doc.substr(copied, i - copied));
    if (len > 0) {
      out.append("&#x");
      out.append(doc.substr(i + 3, len - 3));
      i += len;
    } else {
      out.append("&amp;");
      ++i;
    }
    copied = i;
  }
  if (!changed) return std::nullopt;
  out.append(doc.substr(copied));
  return out;
}

struct EncodingChoice {
  std::string encoding;  // what the parser is told to decode with
  std::string problem;   // set when the choice is a guess the document did not support
};

// Which encoding an 8-bit document is read as. The XML declaration is what the publisher's
// software wrote and wins, with two exceptions where the bytes prove it wrong: a declared (or
// absent, so UTF-8) document that is not valid UTF-8 is read with the charset hint or else as
// Windows-1252, and a single-byte declaration is overridden by a UTF-8 hint the bytes agree with.
EncodingChoice choose_encoding(std::string_view doc, std::string_view charset_hint) {
  const std::string declared = clean_label(declared_encoding(doc));
  std::string hint = clean_label(charset_hint);
  if (!hint.empty() && !known_encoding(hint)) hint.clear();
  const bool utf8_ok = valid_utf8(doc);
  EncodingChoice out;
  std::string chosen;
  if (declared.empty() || is_utf8_label(declared)) {
    if (utf8_ok) {
      chosen = "utf-8";
    } else if (!hint.empty() && !is_utf8_label(hint)) {
      chosen = hint;
      if (!declared.empty()) out.problem = "declared UTF-8 but is not; read as " + hint + " (from the charset hint)";
    } else {
      chosen = "windows-1252";
      out.problem = declared.empty() ? "not valid UTF-8 and no other encoding declared; read as windows-1252"
                                     : "declared UTF-8 but is not valid UTF-8; read as windows-1252";
    }
  } else if (is_utf8_label(hint) && utf8_ok) {
    chosen = "utf-8";
  } else if (known_encoding(declared)) {
    chosen = declared;
  } else {
    chosen = utf8_ok ? "utf-8" : !hint.empty() && !is_utf8_label(hint) ? hint : "windows-1252";
    out.problem = "unknown encoding '" + declared + "' declared; read as " + chosen;
  }
  out.encoding = is_latin1_label(chosen) ? "windows-1252" : chosen;
  return out;
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
    case FeedFormat::kJsonFeed: return "json";
  }
  return "?";
}

Result<ParsedFeed> parse_feed(std::string_view document, const FeedContext& context) {
  detail::init_libxml();
  ParsedFeed out;
  std::string_view doc = document;
  std::string transcoded;  // `doc` after our own transcoding or repairs, when there were any
  if (const auto wide = sniff_wide(doc)) {
    // UTF-16/32: libxml2 is told the encoding outright (its own UCS-4 detection picks
    // big-endian iconv tables for little-endian input), and a BOM is dropped here because
    // libxml2 skips only UTF-8 and UTF-16 ones.
    doc.remove_prefix(wide->bom);
    out.encoding = wide->encoding;
  } else {
    // Leading blanks (a PHP habit) make the XML declaration illegal; a BOM before them too.
    if (doc.starts_with("\xEF\xBB\xBF")) doc.remove_prefix(3);
    const std::string_view stripped = trim(doc);
    if (stripped.empty()) return make_error("parse", "empty document");
    if (stripped.front() == '{') return detail::parse_json_feed(stripped, context);  // JSON Feed
    if (stripped.front() == '<') doc = doc.substr(doc.find('<'));
    EncodingChoice choice = choose_encoding(doc, context.charset_hint);
    out.encoding = std::move(choice.encoding);
    if (!choice.problem.empty()) {
      out.well_formed = false;
      out.problem = std::move(choice.problem);
    }
    if (out.encoding == "windows-1252") {
      transcoded = windows1252_to_utf8(doc);
      doc = transcoded;
    }
    // Only ASCII-compatible encodings: the scan looks for '&' and '<' bytes.
    if (auto escaped = escape_bare_ampersands(doc)) {
      transcoded = std::move(*escaped);
      doc = transcoded;
      if (out.well_formed) {
        out.well_formed = false;
        out.problem = "bare '&' (not a character or entity reference) read as text";
      }
    }
  }
  if (doc.empty()) return make_error("parse", "empty document");
  if (doc.size() > static_cast<std::size_t>(INT_MAX)) return make_error("parse", "document too large");

  std::unique_ptr<xmlParserCtxt, decltype(&xmlFreeParserCtxt)> ctxt(xmlNewParserCtxt(), &xmlFreeParserCtxt);
  if (!ctxt) return make_error("parse", "out of memory creating an XML parser");
  ParseState state;
  ctxt->sax->getEntity = &get_entity;
  ctxt->_private = &state;
  const char* url = context.base_url.empty() ? nullptr : context.base_url.c_str();
  // `doc` is UTF-8 by now unless it is one of the other encodings: then libxml2 is told which.
  // For UTF-8 it is told nothing, which it reads in place; naming UTF-8 would route every byte
  // through a UTF-8-to-UTF-8 converter (a quarter of the parse time of a small feed).
  const bool utf8 = out.encoding == "utf-8" || out.encoding == "windows-1252";
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> xml(
      xmlCtxtReadMemory(ctxt.get(), doc.data(), static_cast<int>(doc.size()), url,
                        utf8 ? nullptr : out.encoding.c_str(), kXmlOptions),
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
  } else if ((name == "feed" || name == "entry") && (href.empty() || detail::is_atom_namespace(href))) {
    out.format = FeedFormat::kAtom;  // <entry>: an Atom Entry Document (RFC 4287 §4.1.2), one item
  } else {
    return make_error("parse", "not a feed: the root element is " + root_description(root) +
                                   ", expected <rss>, <rdf:RDF> or Atom <feed>/<entry>");
  }
  if (context.expect && *context.expect != out.format) {
    return make_error("parse", "expected " + std::string(feed_format_name(*context.expect)) + ", found " +
                                   root_description(root));
  }

  if ((ctxt->wellFormed == 0 || ctxt->nsWellFormed == 0) && out.well_formed) {
    // nsWellFormed: an undeclared prefix ("media:content" without xmlns:media) is a namespace
    // error libxml2 reports apart from well-formedness proper.
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
  if (item.title.empty() && item.url.empty() && item.summary.empty() && item.content.empty() &&
      !context.keep_empty_entries) {
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
  out.guids.push_back(std::string(trim(d.guid)));
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
