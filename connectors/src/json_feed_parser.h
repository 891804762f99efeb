// Private: the JSON Feed half of parse_feed (feed_parser.cpp dispatches here when a document,
// after a BOM and blanks, starts with '{'). JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1
// and /1.1), parsed with simdjson and normalised exactly like the XML formats (finish_entry):
//
//   guid       items[].id (a number is taken as its decimal text)
//   link       url, else external_url; relative ones resolved against the feed's home_page_url,
//              then feed_url, then the document's URL; kept only when http(s)
//   title      title (entities and stray markup decoded, one line)
//   summary    summary                    content   content_html as text, else content_text
//   published  date_published, else date_modified; else the fetch time (published_is_fetch_time)
//   authors    authors[].name (1.1), else author.name (1.0), else the feed's authors
//   tags       tags[]                     lang      language of the item, else of the feed (1.1)
//
// "version" must name JSON Feed: a jsonfeed.org/version/ URL or, as some generators write, a bare
// "1", "1.0" or "1.1". Items that are not objects, or carry no title, link or text, are counted in
// ParsedFeed::skipped.
//
// Failure: text that is not JSON, JSON that is not an object, an object without a JSON Feed
// "version" or without an "items" array, and a format other than context.expect are Errors with
// reason "parse" saying which. Never throws. Thread-safety: safe on many threads at once.
#pragma once

#include <string_view>

#include "vigia/connectors/feed_parser.h"

namespace vigia::connectors::detail {

Result<ParsedFeed> parse_json_feed(std::string_view document, const FeedContext& context);

}  // namespace vigia::connectors::detail
