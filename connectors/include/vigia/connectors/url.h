// URL helpers for item links. canonical_url() decides which links name the same article (and so
// share an item id): it lower-cases scheme and host, drops default ports, the fragment and
// tracking parameters (utm_*, fbclid, gclid), keeps every other query parameter in order, and
// writes an empty path as "/". It is deliberately small and never fails: text that is not an
// absolute URL comes back trimmed and otherwise unchanged.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace vigia::connectors {

std::string canonical_url(std::string_view url);

// True when `url` starts with a scheme ("https:", "mailto:").
bool is_absolute_url(std::string_view url);

// `reference` resolved against `base` (RFC 3986, libxml2's xmlBuildURI). An absolute reference,
// an empty base, or a pair libxml2 cannot combine gives `reference` back (trimmed).
std::string resolve_url(std::string_view base, std::string_view reference);

}  // namespace vigia::connectors
