#include "vigia/connectors/item_id.h"

#include "vigia/connectors/url.h"
#include "vigia/core/hash.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

bool is_http_url(std::string_view s) {
  const std::string lower = detail::lower_ascii(s.substr(0, 8));
  return lower.starts_with("http://") || lower.starts_with("https://");
}

}  // namespace

std::string item_id(std::string_view source, std::string_view url, std::string_view guid, std::string_view title,
                    std::string_view summary) {
  guid = detail::trim(guid);
  if (!guid.empty() && is_http_url(guid)) return stable_id(canonical_url(guid));
  std::string key(source);
  key += '\n';
  if (!guid.empty()) return stable_id(key.append(guid));
  url = detail::trim(url);
  if (!url.empty()) return stable_id(canonical_url(url));
  key += title;
  key += '\n';
  key += summary;
  return stable_id(key);
}

}  // namespace vigia::connectors
