#include "json_api_connector.h"

#include <array>
#include <string>

#include "feed_formats.h"
#include "http_fetch.h"
#include "json_value.h"
#include "vigia/connectors/html_text.h"
#include "vigia/core/log.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

using detail::trim;
using simdjson::dom::array;
using simdjson::dom::element;

constexpr std::string_view kAccept = "application/json, */*;q=0.5";

// The item fields mapped by pointers, by key name.
constexpr std::array<std::string_view, 6> kFieldKeys = {"id", "title", "link", "date", "summary", "content"};

std::string_view type_name(element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::OBJECT:
      return "an object";
    case simdjson::dom::element_type::STRING:
      return "a string";
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "a number";
  }
}

// Text that may or may not be HTML, as plain text.
std::string text_of(const std::string& text, TextLayout layout) {
  return looks_like_html(text) ? html_to_text(text, layout) : normalize_text(text, layout);
}

class JsonApiConnector final : public Connector {
 public:
  JsonApiConnector(const FeedSpec& feed, const ConnectorServices& services)
      : fetch_(feed, services),
        validators_(feed.name, services.state),
        url_(trim(feed.settings.string("url"))),
        items_(feed.settings.string("items")),
        id_(feed.settings.string("id")),
        title_(feed.settings.string("title")),
        link_(feed.settings.string("link")),
        date_(feed.settings.string("date")),
        summary_(feed.settings.string("summary")),
        content_(feed.settings.string("content")),
        header_lines_(feed.settings.strings("headers")) {}

  Result<PollReport> poll(ItemWriter& out, std::stop_token stop) override {
    fetch_.clear_retry_after();
    if (auto bad = fetch_.check(url_)) return *bad;
    std::string bad_line;
    const auto headers = detail::parse_header_lines(header_lines_, bad_line);
    if (!headers) return make_error("config", fetch_.where() + "header '" + bad_line + "' is not \"Name: value\"");
    for (std::string_view key : kFieldKeys) {
      if (auto bad = check_pointer(key, pointer(key))) return *bad;
    }
    if (auto bad = check_pointer("items", items_)) return *bad;
    if (title_.empty()) return make_error("config", fetch_.where() + "title must point at the items' titles");
    if (stop.stop_requested()) return cancelled();

    auto res = fetch_.get(url_, kAccept, *headers, &validators_, stop);
    if (!res) return res.error();
    PollReport report;
    report.retry_after = fetch_.retry_after();
    report.bytes = res->body.size();
    if (res->not_modified) {
      report.not_modified = true;
      return report;
    }

    auto parsed = map_items(res->body, res->base_url, res->fetched);
    if (!parsed) return parsed.error();
    report.skipped = parsed->skipped;
    for (auto& item : parsed->items) {
      if (stop.stop_requested()) return cancelled();
      if (auto st = out.write(std::move(item)); !st) return st.error();
      ++report.items;
    }
    validators_.store(res->etag, res->last_modified);
    return report;
  }

  std::optional<std::chrono::milliseconds> retry_after() const override { return fetch_.retry_after(); }
  void reload_state() override { validators_.reload(); }

 private:
  Error cancelled() const { return make_error("cancelled", fetch_.where() + "poll cancelled"); }

  const std::string& pointer(std::string_view key) const {
    if (key == "id") return id_;
    if (key == "title") return title_;
    if (key == "link") return link_;
    if (key == "date") return date_;
    if (key == "summary") return summary_;
    return content_;
  }

  std::optional<Error> check_pointer(std::string_view key, const std::string& ptr) const {
    if (ptr.empty() || ptr.front() == '/') return std::nullopt;
    return make_error("config",
                      fetch_.where() + std::string(key) + " '" + ptr + "' is not a JSON pointer (\"\" or \"/a/b\")");
  }

  Error parse_error(const std::string& what) const {
    return make_error("parse", fetch_.where() + redact_url(url_) + ": " + what);
  }

  // The field at `ptr` within `item`, as text; "" when unmapped or absent.
  static std::string field(element item, const std::string& ptr) {
    return ptr.empty() ? std::string() : detail::json_text(item.at_pointer(ptr));
  }

  Result<ParsedFeed> map_items(std::string_view body, const std::string& base_url, Timestamp fetched) const {
    if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
    element root;
    if (auto err = detail::json_parser().parse(body.data(), body.size()).get(root); err != simdjson::SUCCESS) {
      return parse_error(std::string("not JSON: ") + simdjson::error_message(err));
    }
    element found;
    if (root.at_pointer(items_).get(found) != simdjson::SUCCESS) {
      return parse_error("items pointer '" + items_ + "' does not resolve in the answer");
    }
    array list;
    if (found.get(list) != simdjson::SUCCESS) {
      return parse_error("items pointer '" + items_ + "' points at " + std::string(type_name(found)) +
                         ", not an array");
    }

    FeedContext ctx;
    ctx.source = fetch_.feed_name();
    ctx.connector = "json_api";
    ctx.base_url = base_url;
    ctx.fetched = fetched;
    ParsedFeed out;
    std::size_t untitled = 0;
    for (element e : list) {
      detail::EntryDraft d;
      d.item.title = text_of(field(e, title_), TextLayout::kLine);
      if (d.item.title.empty()) {
        ++untitled;
        continue;
      }
      d.guid = std::string(trim(field(e, id_)));
      d.item.url = detail::http_link(field(e, link_), {base_url});
      d.item.summary = text_of(field(e, summary_), TextLayout::kParagraphs);
      d.item.content = text_of(field(e, content_), TextLayout::kParagraphs);
      if (!date_.empty()) {
        if (auto when = detail::json_date(e.at_pointer(date_))) d.date = format_rfc3339(*when);
      }
      detail::finish_entry(std::move(d), ctx, out);
    }
    if (untitled > 0) {
      log::get("connectors")
          ->warn("{}{}: skipped {} of {} items without a title at '{}'", fetch_.where(), redact_url(url_), untitled,
                 list.size(), title_);
    }
    out.skipped += untitled;
    return out;
  }

  detail::HttpFetcher fetch_;
  detail::HttpValidators validators_;
  const std::string url_;
  const std::string items_;
  const std::string id_;
  const std::string title_;
  const std::string link_;
  const std::string date_;
  const std::string summary_;
  const std::string content_;
  const std::vector<std::string> header_lines_;
};

ConnectorPtr create(const FeedSpec& feed, const ConnectorServices& services) {
  return std::make_unique<JsonApiConnector>(feed, services);
}

}  // namespace

ConnectorKind json_api_connector_kind() {
  return ConnectorKind{
      "json_api",
      "Items from a JSON API without a feed, fields mapped by JSON pointers.",
      detail::with_http_common_keys({
          {"url", ConfigType::kString, true, "", "the API's http or https URL"},
          {"items", ConfigType::kString, false, "",
           "JSON pointer to the array of items; \"\": the answer is the array"},
          {"title", ConfigType::kString, true, "",
           "JSON pointer to an item's title, e.g. /headline; items without one are skipped"},
          {"id", ConfigType::kString, false, "", "JSON pointer to an item's stable id; \"\": ids come from the link"},
          {"link", ConfigType::kString, false, "", "JSON pointer to an item's URL"},
          {"date", ConfigType::kString, false, "",
           "JSON pointer to an item's date: RFC 3339, RFC 822, or epoch seconds or milliseconds"},
          {"summary", ConfigType::kString, false, "", "JSON pointer to an item's summary (text or HTML)"},
          {"content", ConfigType::kString, false, "", "JSON pointer to an item's full text (text or HTML)"},
          {"headers", ConfigType::kStrings, false, "", "extra request headers, each \"Name: value\""},
      }),
      &create,
  };
}

}  // namespace vigia::connectors
