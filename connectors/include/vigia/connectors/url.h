// URL helpers for item links. canonical_url() decides which links name the same article (and so
// share an item id). It parses with uriparser (RFC 3986) and applies its syntax normalisation —
// scheme and host lower-cased, percent-encodings upper-cased (unreserved ones decoded), "." and
// ".." segments resolved — then drops default ports (:80 for http, :443 for https), the fragment
// and tracking parameters (utm_*, fbclid, gclid, mc_cid, igshid, msclkid, ... — the list and why
// in url.cpp), keeps every other query parameter in order, and writes an empty path as "/".
// Characters RFC 3986 forbids (blanks, non-ASCII bytes of IRIs, '[' in a query, a stray '%') are
// percent-encoded first. It never fails: text that is not an absolute URL, or that uriparser
// still cannot read, comes back trimmed and otherwise unchanged.
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
