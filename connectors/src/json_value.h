// Private: reading JSON documents (simdjson DOM) the way the JSON-based sources — JSON Feed,
// GDELT, generic JSON APIs — need it: forgiving about value types, strict about nothing but
// structure. Not part of the module's interface.
//
// Thread-safety: json_parser() is one parser per thread, so documents parsed on different threads
// never share state; an element is valid only until the same thread parses the next document.
// Nothing here throws (simdjson is used through its error-code API).
#pragma once

#include <simdjson.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "vigia/core/time.h"

namespace vigia::connectors::detail {

// This thread's DOM parser.
simdjson::dom::parser& json_parser();

// The value as text: a string as it is, an integer or finite number in decimal ("42", "1.5"),
// true/false as words; "" for null, arrays, objects, and lookups that failed.
std::string json_text(simdjson::dom::element value);
std::string json_text(simdjson::simdjson_result<simdjson::dom::element> value);

// member `key` of `object` as json_text; "" when absent.
std::string json_member_text(const simdjson::dom::object& object, std::string_view key);

// A date as JSON APIs write it: a number or a string of digits is seconds since the epoch, or
// milliseconds when at least 10^11 (that many seconds is the year 5138); any other string is
// read by parse_feed_date (RFC 3339, RFC 822 and their common variants). nullopt otherwise.
std::optional<Timestamp> json_date(simdjson::simdjson_result<simdjson::dom::element> value);

// `reference` (trimmed) resolved against the first base in `bases` that is an absolute URL; ""
// unless the result is an http or https URL — the only links an analyst should be sent to.
std::string http_link(std::string_view reference, std::initializer_list<std::string_view> bases);

}  // namespace vigia::connectors::detail
