// Private helpers over libxml2 trees shared by the feed parsers and the HTML-to-text step:
// names, namespaces, attributes, character data, xml:base and xml:lang. Not part of the
// module's interface.
#pragma once

#include <string>
#include <string_view>

#include <libxml/tree.h>

namespace vigia::connectors::detail {

// xmlInitParser() exactly once, before the first parse on any thread (libxml2 2.9 requires it
// for multi-threaded use).
void init_libxml();

// libxml2's strings (UTF-8, possibly null) as views; null gives "".
std::string_view as_view(const xmlChar* s);

namespace ns {
inline constexpr std::string_view kAtom = "http://www.w3.org/2005/Atom";
inline constexpr std::string_view kAtom03 = "http://purl.org/atom/ns#";
inline constexpr std::string_view kRss10 = "http://purl.org/rss/1.0/";
inline constexpr std::string_view kRss090 = "http://my.netscape.com/rdf/simple/0.9/";
inline constexpr std::string_view kRssUserland = "http://backend.userland.com/rss2";
inline constexpr std::string_view kRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
inline constexpr std::string_view kDc = "http://purl.org/dc/elements/1.1/";
inline constexpr std::string_view kContent = "http://purl.org/rss/1.0/modules/content/";
inline constexpr std::string_view kFeedburner = "http://rssnamespace.org/feedburner/ext/1.0";
inline constexpr std::string_view kDcTerms = "http://purl.org/dc/terms/";
inline constexpr std::string_view kXhtml = "http://www.w3.org/1999/xhtml";
}  // namespace ns

// True when `node` is an element named `local` in namespace `ns_href` (empty: no namespace).
bool is_element(const xmlNode* node, std::string_view local, std::string_view ns_href);
// The local name of an element and its namespace URI ("" without one). An element whose prefix
// was never declared keeps a customary one ("content:", "dc:", "atom:", ...) as if it had been.
std::string_view local_name(const xmlNode* node);
std::string_view ns_href(const xmlNode* node);

// The character data of `element`'s descendants (text and CDATA, and the small entities a
// document declares), without any markup — for fields whose text is itself escaped HTML.
std::string raw_text(const xmlNode* element);
// `raw_text` with ASCII whitespace trimmed.
std::string trimmed_text(const xmlNode* element);
bool has_element_children(const xmlNode* element);

// An attribute without namespace ("" when absent), or one in namespace `ns_href`.
std::string attribute(const xmlNode* element, const char* name);
std::string attribute_ns(const xmlNode* element, const char* name, std::string_view ns_href);

// The base URI in effect at `node`: xml:base attributes resolved against the document's URL.
std::string base_of(const xmlNode* node);
// xml:lang in effect at `node` (inherited), "" when none.
std::string lang_of(const xmlNode* node);

// The text an entity reference node stands for: a declared internal entity's replacement text
// when it is small and references nothing else (one level, never recursive), else "".
std::string entity_text(const xmlNode* ref);

std::string_view trim(std::string_view s);
std::string lower_ascii(std::string_view s);

}  // namespace vigia::connectors::detail
