// Dates as feeds really write them, to UTC timestamps.
//   - RFC 822 / RFC 2822 (RSS pubDate, HTTP-date): optional day name, 1-2 digit day, English (and
//     Spanish) month names or abbreviations, 2-, 3- or 4-digit years, optional seconds or time,
//     numeric zones (+hhmm, +hh:mm, GMT+hh:mm) and the common named ones (GMT, UTC, EST, CDT,
//     PST, CET, CEST, MET, ...; unknown names count as UTC, as RFC 2822 says). Also the
//     month-first form of JavaScript's Date.toString and asctime (also with the zone before
//     the year, as Twitter writes it).
//   - RFC 3339 / ISO 8601 via vigia::parse_rfc3339, plus a space before the offset, and
//     W3C-DTF's reduced precisions "2003" and "2003-12" (the first day of the year or month);
//     an offset beyond ±23:59 is refused.
// nullopt when the text is not a date (or names an impossible one, e.g. 31 Feb).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "vigia/core/time.h"

namespace vigia::connectors {

std::optional<Timestamp> parse_rfc822_date(std::string_view text);

// Whatever a feed put in pubDate / dc:date / published / updated: RFC 3339 first, then RFC 822.
std::optional<Timestamp> parse_feed_date(std::string_view text);

}  // namespace vigia::connectors
