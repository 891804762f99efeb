// The id contract of Item (model.h): stable across polls, restarts, machines and releases, so
// dedup and downstream story grouping can rely on it. In order:
//   - a GUID that is an http(s) URL:  stable_id(canonical_url(guid))
//   - another GUID (an opaque id):    stable_id(source + "\n" + guid) — GUIDs are only unique
//                                     within their feed
//   - else a link:                    stable_id(canonical_url(link))
//   - else:                           stable_id(source + "\n" + title + "\n" + summary)
// A GUID wins over the link because publishers keep it when they edit a story's URL (slug
// fixes, tracking parameters), so an edited item keeps its id and is not emitted again.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace vigia::connectors {

std::string item_id(std::string_view source, std::string_view url, std::string_view guid, std::string_view title,
                    std::string_view summary);

}  // namespace vigia::connectors
