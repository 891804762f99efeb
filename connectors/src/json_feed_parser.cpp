#include "json_feed_parser.h"

#include <string>

#include "feed_formats.h"
#include "json_value.h"
#include "vigia/connectors/html_text.h"
#include "xml_node.h"

namespace vigia::connectors::detail {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

bool names_json_feed(std::string_view version) {
  version = trim(version);
  return version.starts_with("https://jsonfeed.org/version/") || version.starts_with("http://jsonfeed.org/version/") ||
         version == "1" || version == "1.0" || version == "1.1";
}

// Titles and summaries are plain text by the spec, yet publishers put entities ("&#8211;") and
// tags in them; markup is read as HTML, the rest kept as written (line breaks included).
std::string text_of(std::string_view text, TextLayout layout) {
  return looks_like_html(text) ? html_to_text(text, layout) : normalize_text(text, layout);
}

// authors[].name (1.1), else author.name (1.0).
std::vector<std::string> authors_of(const object& parent) {
  std::vector<std::string> out;
  array list;
  if (parent["authors"].get(list) == simdjson::SUCCESS) {
    for (element a : list) {
      object author;
      if (a.get(author) == simdjson::SUCCESS)
        add_unique(out, normalize_text(json_member_text(author, "name"), TextLayout::kLine));
    }
  }
  object single;
  if (out.empty() && parent["author"].get(single) == simdjson::SUCCESS) {
    add_unique(out, normalize_text(json_member_text(single, "name"), TextLayout::kLine));
  }
  return out;
}

struct FeedLevel {
  std::string home_page_url;
  std::string feed_url;
  std::string lang;
  std::vector<std::string> authors;
};

void parse_item(const object& item, const FeedLevel& feed, const FeedContext& context, ParsedFeed& out) {
  EntryDraft d;
  d.guid = std::string(trim(json_member_text(item, "id")));
  std::string link = json_member_text(item, "url");
  if (trim(link).empty()) link = json_member_text(item, "external_url");
  d.item.url = http_link(link, {feed.home_page_url, feed.feed_url, context.base_url});
  d.item.title = text_of(json_member_text(item, "title"), TextLayout::kLine);
  d.item.summary = text_of(json_member_text(item, "summary"), TextLayout::kParagraphs);
  if (const std::string html = json_member_text(item, "content_html"); !trim(html).empty()) {
    d.item.content = html_to_text(html, TextLayout::kParagraphs);
  }
  if (d.item.content.empty()) d.item.content = text_of(json_member_text(item, "content_text"), TextLayout::kParagraphs);
  d.date = std::string(trim(json_member_text(item, "date_published")));
  if (d.date.empty()) d.date = std::string(trim(json_member_text(item, "date_modified")));
  d.item.authors = authors_of(item);
  if (d.item.authors.empty()) d.item.authors = feed.authors;
  array tags;
  if (item["tags"].get(tags) == simdjson::SUCCESS) {
    for (element t : tags) add_unique(d.item.tags, normalize_text(json_text(t), TextLayout::kLine));
  }
  d.item.lang = normalize_lang(json_member_text(item, "language"));
  if (d.item.lang.empty()) d.item.lang = feed.lang;
  finish_entry(std::move(d), context, out);
}

}  // namespace

Result<ParsedFeed> parse_json_feed(std::string_view document, const FeedContext& context) {
  if (context.expect && *context.expect != FeedFormat::kJsonFeed) {
    return make_error("parse",
                      "expected " + std::string(feed_format_name(*context.expect)) + ", found a JSON document");
  }
  element root;
  if (auto err = json_parser().parse(document.data(), document.size()).get(root); err != simdjson::SUCCESS) {
    return make_error("parse", std::string("not JSON: ") + simdjson::error_message(err));
  }
  object feed;
  if (root.get(feed) != simdjson::SUCCESS) return make_error("parse", "not a feed: the JSON document is not an object");
  const std::string version = json_member_text(feed, "version");
  if (trim(version).empty()) {
    return make_error("parse", "not a JSON Feed: no \"version\" (expected https://jsonfeed.org/version/1 or 1.1)");
  }
  if (!names_json_feed(version)) {
    return make_error("parse", "not a JSON Feed: \"version\" is '" +
                                   normalize_text(version, TextLayout::kLine).substr(0, 80) +
                                   "', not a https://jsonfeed.org/version/ URL");
  }
  array items;
  if (feed["items"].get(items) != simdjson::SUCCESS) return make_error("parse", "not a JSON Feed: no \"items\" array");

  ParsedFeed out;
  out.format = FeedFormat::kJsonFeed;
  out.encoding = "utf-8";  // JSON is UTF-8, and simdjson has validated it
  FeedLevel level;
  level.feed_url = http_link(json_member_text(feed, "feed_url"), {context.base_url});
  level.home_page_url = http_link(json_member_text(feed, "home_page_url"), {level.feed_url, context.base_url});
  level.lang = normalize_lang(json_member_text(feed, "language"));
  level.authors = authors_of(feed);
  out.title = text_of(json_member_text(feed, "title"), TextLayout::kLine);
  out.link = level.home_page_url;
  out.lang = level.lang;
  for (element e : items) {
    object item;
    if (e.get(item) != simdjson::SUCCESS) {
      ++out.skipped;
      continue;
    }
    parse_item(item, level, context, out);
  }
  return out;
}

}  // namespace vigia::connectors::detail
