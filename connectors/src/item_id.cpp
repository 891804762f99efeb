#include "vigia/connectors/item_id.h"

#include "vigia/connectors/url.h"
#include "vigia/core/hash.h"
#include "xml_node.h"

namespace vigia::connectors {

std::string item_id(std::string_view source, std::string_view url, std::string_view guid, std::string_view title,
                    std::string_view summary) {
  url = detail::trim(url);
  if (!url.empty()) return stable_id(canonical_url(url));
  guid = detail::trim(guid);
  std::string key(source);
  key += '\n';
  if (!guid.empty()) {
    key += guid;
  } else {
    key += title;
    key += '\n';
    key += summary;
  }
  return stable_id(key);
}

}  // namespace vigia::connectors
