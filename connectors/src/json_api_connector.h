// Private: the "json_api" connector kind — items from a JSON API that has no feed, fetched with
// the shared HTTP code of http_fetch.h (conditional GET included, validators kept like the http
// kind's) and mapped by JSON pointers (RFC 6901).
//
// `items` points at the array of items in the answer ("" = the answer itself is the array). The
// field pointers are relative to one item: `title` (required), and optionally `id`, `link`,
// `date`, `summary`, `content`; "" means the field is not mapped. Values that are strings or
// numbers are taken as text. Mapped like a feed entry (finish_entry): id from the `id` value (a
// GUID) else the link, links resolved against the URL fetched and kept only when http(s), HTML
// in any field turned into text, no date -> the fetch time with published_is_fetch_time. Dates
// are RFC 3339, RFC 822 (and the variants feed_date.h reads), or epoch seconds or milliseconds
// (numbers or strings of digits; 10^11 and above are milliseconds).
//
// `headers` adds request headers ("Name: value", e.g. an API key header).
//
// Errors: a body that is not JSON, or an `items` pointer that does not resolve to an array in it,
// is "parse" and names the pointer; a malformed pointer or header line is "config". An item whose
// title is missing or empty is skipped, logged and counted in PollReport::skipped; the others
// are written. HTTP errors and Retry-After are those of http_fetch.h.
#pragma once

#include "vigia/connectors/connector.h"

namespace vigia::connectors {

ConnectorKind json_api_connector_kind();

}  // namespace vigia::connectors
