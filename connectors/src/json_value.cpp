#include "json_value.h"

#include <charconv>
#include <cmath>

#include "vigia/connectors/feed_date.h"
#include "vigia/connectors/url.h"
#include "xml_node.h"

namespace vigia::connectors::detail {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string number_text(double v) {
  if (!std::isfinite(v)) return {};
  char buf[64];
  // Shortest text that reads back as the same double.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return {};
  return std::string(buf, end);
}

std::optional<Timestamp> from_epoch(double v) {
  if (!std::isfinite(v) || v < 0) return std::nullopt;
  const double ms = v >= 1e11 ? v : v * 1000.0;
  if (ms > 253402300799999.0) return std::nullopt;  // after 9999-12-31: not a date
  return Timestamp{std::chrono::milliseconds{static_cast<std::int64_t>(ms)}};
}

}  // namespace

simdjson::dom::parser& json_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

std::string json_text(simdjson::simdjson_result<element> value) {
  element e;
  if (std::move(value).get(e) != simdjson::SUCCESS) return {};
  return json_text(e);
}

std::string json_text(element e) {
  switch (e.type()) {
    case element_type::STRING:
      return std::string(e.get_string().value_unsafe());
    case element_type::INT64:
      return std::to_string(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return std::to_string(e.get_uint64().value_unsafe());
    case element_type::DOUBLE:
      return number_text(e.get_double().value_unsafe());
    case element_type::BOOL:
      return e.get_bool().value_unsafe() ? "true" : "false";
    default:
      return {};
  }
}

std::string json_member_text(const simdjson::dom::object& object, std::string_view key) {
  return json_text(object[key]);
}

std::optional<Timestamp> json_date(simdjson::simdjson_result<element> value) {
  element e;
  if (std::move(value).get(e) != simdjson::SUCCESS) return std::nullopt;
  switch (e.type()) {
    case element_type::INT64:
      return from_epoch(static_cast<double>(e.get_int64().value_unsafe()));
    case element_type::UINT64:
      return from_epoch(static_cast<double>(e.get_uint64().value_unsafe()));
    case element_type::DOUBLE:
      return from_epoch(e.get_double().value_unsafe());
    case element_type::STRING: {
      const std::string_view text = trim(e.get_string().value_unsafe());
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      const bool numeric = !text.empty() && text.front() >= '0' && text.front() <= '9';
      if (numeric && ec == std::errc() && end == text.data() + text.size()) return from_epoch(v);
      return parse_feed_date(text);
    }
    default:
      return std::nullopt;
  }
}

std::string http_link(std::string_view reference, std::initializer_list<std::string_view> bases) {
  reference = trim(reference);
  if (reference.empty()) return {};
  std::string url(reference);
  if (!is_absolute_url(url)) {
    for (std::string_view base : bases) {
      base = trim(base);
      if (!is_absolute_url(base)) continue;
      url = resolve_url(base, url);
      break;
    }
  }
  const std::string scheme = lower_ascii(url.substr(0, url.find(':')));
  if (scheme != "http" && scheme != "https") return {};
  return url;
}

}  // namespace vigia::connectors::detail
