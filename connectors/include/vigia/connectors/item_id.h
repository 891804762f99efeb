// The id contract of Item (model.h): stable across polls, restarts, machines and releases, so
// dedup and downstream story grouping can rely on it.
//   - an item with a link:   stable_id(canonical_url(link))   (the same story from two feeds
//                                                             shares one id)
//   - else with a GUID:      stable_id(source + "\n" + guid)
//   - else:                  stable_id(source + "\n" + title + "\n" + summary)
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace vigia::connectors {

std::string item_id(std::string_view source, std::string_view url, std::string_view guid, std::string_view title,
                    std::string_view summary);

}  // namespace vigia::connectors
