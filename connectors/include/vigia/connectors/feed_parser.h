// Feed documents to Items. Parses RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom 1.0 with libxml2 and
// JSON Feed 1.0/1.1 with simdjson, picks the format from the content (a document starting with
// '{' is JSON Feed, else the XML root element), and normalises every entry to the Item
// contract (model.h): plain UTF-8 text (html_text.h), absolute links, UTC dates (feed_date.h), a
// stable id (item_id.h), authors, categories as tags, and a language from xml:lang or the channel.
//
// Field mapping, in order of preference:
//   link      RSS: feedburner:origLink, link, a permalink guid; Atom: link rel="alternate" (or no
//             rel). Relative links resolve against xml:base, then the document URL, then the
//             channel's own link.
//   summary   RSS: description; Atom: summary.          content   content:encoded; Atom content
//   published pubDate, dc:date; Atom: published, updated. Without a usable date: the fetch time,
//             with published_is_fetch_time set.
//   authors   author, dc:creator; Atom: author/name (the feed's authors when an entry has none)
//   tags      category, dc:subject; Atom: category/@term (or @label)
//   JSON Feed id, url (else external_url), title, summary, content_html (else content_text),
//             date_published (else date_modified), authors (1.1) or author (1.0), tags, language.
//
// Encodings: a byte-order mark or UTF-16/32 byte pattern first; else whatever the XML
// declaration says (ISO-8859-1, Windows-1252, GB2312, ...), with ISO-8859-1 and US-ASCII read as
// their superset Windows-1252 (as browsers do: publishers mean its curly quotes and dashes). A
// document that declares nothing (or UTF-8) yet is not valid UTF-8 is read with the charset
// hint, else as Windows-1252 — real Latin-1 feeds without a declaration exist; a UTF-8 hint
// wins over a single-byte declaration when the bytes are valid UTF-8; an unknown declared
// encoding is read as UTF-8 (or Windows-1252). ParsedFeed::encoding says which was used.
//
// Repairs (each leaves well_formed false and says so in `problem`): a bare '&' outside CDATA is
// text, not the start of a reference libxml2 would drop; an undeclared customary prefix
// ("content:", "dc:", "atom:", ...) means its usual namespace; named HTML entities decode.
//
// Safety: parse options are XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_IGNORE_ENC (the
// encoding is chosen as above and passed in; no error printing); never
// NOENT, DTDLOAD or HUGE, so nothing is fetched from the network or the file system (no external
// DTDs or entities) and entities the document declares are expanded one small level at most —
// XXE and "billion laughs" documents cost no more than their size. Named HTML entities used
// without a DTD (&nbsp; in RSS, a classic malformation) are decoded anyway.
//
// Thread-safety: parse_feed may run on many threads at once. Failure: a document that is not a
// feed (not XML at all, another root element such as <html>, JSON without a JSON Feed "version"
// or "items") is an Error with reason "parse" saying what was found; never throws. Broken but
// recoverable XML yields items and says so.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/core/model.h"
#include "vigia/core/result.h"
#include "vigia/core/time.h"

namespace vigia::connectors {

enum class FeedFormat { kRss, kRdf, kAtom, kJsonFeed };

std::string_view feed_format_name(FeedFormat format);  // "rss", "rdf", "atom", "json"

struct FeedContext {
  std::string source;        // the feed's name: Item::source, and part of ids without a link
  std::string connector;     // Item::connector
  std::string base_url;      // where the document came from, for relative links; may be empty
  std::string charset_hint;  // e.g. from Content-Type; used only as described above
  Timestamp fetched;         // Item::fetched, and Item::published when an entry has no date
  std::optional<FeedFormat> expect;  // refuse any other format; nullopt: detect
  // Keep entries that carry no title, link or text instead of skipping them. The pipeline never
  // sets it (such entries are noise to an analyst); the conformance harness and debugging tools
  // do, so that one-element test documents still show what the parser read.
  bool keep_empty_entries = false;
};

struct ParsedFeed {
  FeedFormat format = FeedFormat::kRss;
  std::string title;
  std::string link;
  std::string lang;
  std::vector<Item> items;  // in document order
  // Parallel to `items`: the entry's identifier as written (RSS guid, Atom id, rdf:about),
  // trimmed; "" when it has none. Item::id is derived from it (item_id.h).
  std::vector<std::string> guids;
  // The character encoding the document was decoded from, lower-case ("utf-8", "windows-1252",
  // "utf-16le", ...): what the bytes were read as, after the rules above.
  std::string encoding;
  std::size_t skipped = 0;  // entries with no title, link or text at all
  bool well_formed = true;  // false when the parser had to recover from errors
  std::string problem;      // the first error recovered from; empty when well-formed
};

Result<ParsedFeed> parse_feed(std::string_view document, const FeedContext& context);

}  // namespace vigia::connectors
