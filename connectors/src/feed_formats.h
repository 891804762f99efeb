// Private: the per-format halves of parse_feed (feed_parser.cpp reads the document and picks
// the format; these map its elements to Items) and the helpers they share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>

#include "vigia/connectors/feed_parser.h"
#include "vigia/connectors/html_text.h"

namespace vigia::connectors::detail {

// RSS 0.9x/2.0 (root <rss>) and RSS 1.0/0.90 (root <rdf:RDF>).
void parse_rss(const xmlNode* root, const FeedContext& context, ParsedFeed& out);
// Atom 1.0 (and the 0.3 draft's element names).
void parse_atom(const xmlNode* root, const FeedContext& context, ParsedFeed& out);
// The Atom 1.0 namespace, 0.3's, or one of the 2003 drafts'.
bool is_atom_namespace(std::string_view href);

// What a format parser gathered for one entry, before normalisation.
struct EntryDraft {
  Item item;               // title/summary/content already plain text; url resolved
  std::string guid;
  std::string date;        // as written
};

// Fills source, connector, fetched, published (or the fetch-time fallback) and id, then appends
// the item to `out` — or counts it as skipped when it carries nothing at all.
void finish_entry(EntryDraft draft, const FeedContext& context, ParsedFeed& out);

// An element holding HTML as text (RSS description, content:encoded) or, in broken feeds, as
// markup, to plain text.
std::string html_element_text(const xmlNode* element, TextLayout layout);

// `href` (trimmed) resolved against the base in effect at `node`, then against `fallback_base`;
// "" unless the result is an http(s) URL — the only links an analyst should be sent to.
std::string resolve_link(const xmlNode* node, std::string_view href, std::string_view fallback_base);

// BCP 47 case conventions ("es-MX"), blanks trimmed; "" stays "".
std::string normalize_lang(std::string_view lang);

// Appends `value` unless empty or already present.
void add_unique(std::vector<std::string>& list, std::string value);

}  // namespace vigia::connectors::detail
