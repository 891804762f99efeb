// Private: the "gdelt" connector kind — articles matching a query, from the GDELT DOC 2.0 API
// (mode=ArtList, format=json, sort=DateAsc), fetched with the shared HTTP code of http_fetch.h.
//
// Time window. Each poll asks for the half-open window [cursor, now - lag), in whole UTC seconds
// (startdatetime/enddatetime as YYYYMMDDHHMMSS); `lag` (default 15m) leaves GDELT time to publish
// its 15-minute batches. The first poll of a feed starts `initial_window` (default 1h) before that
// end. Records whose seendate falls outside the window are ignored — they belong to the
// neighbouring window, whichever way the API treats its boundaries — so consecutive windows
// neither overlap nor leave gaps. The cursor (the end of the last window fully written) is kept in
// ConnectorServices::state under "gdelt.cursor" (YYYYMMDDHHMMSS), so a restart resumes where the
// last poll stopped; without a state it lives in memory.
//
// Truncation. GDELT returns at most `maxrecords` (<= 250) articles per request and says nothing
// when it cut a list short, so an answer with `maxrecords` records is taken as truncated. Sorted
// oldest first, such an answer is complete up to the last seendate L it holds: its records before
// L are written, the cursor moves to L, and the rest of the window [L, end) is asked for again
// within the same poll (records at L come back with it). At most kMaxRequestsPerPoll (8) requests
// are made per poll, `request_gap` apart (default 5s: GDELT asks for one request every five
// seconds); a window still unfinished then is resumed from the cursor by the next poll, so a
// burst delays articles but loses none. The one loss GDELT leaves no way around: more than
// `maxrecords` articles sharing one seendate second — those returned are written, the loss is
// logged, and the window moves on by one second.
//
// Normalisation: titles trimmed and whitespace collapsed, zero-width characters removed, GDELT's
// token spacing undone where it is unambiguous ("Trump , Modi ?" -> "Trump, Modi?", "0 . 5 %" ->
// "0.5%", "U . S ." -> "U.S.", "( SAP )" -> "(SAP)"; spaced hyphens are left alone, they are also
// separators); url canonical (canonical_url: no :443, no tracking parameters), url_mobile when url
// is empty; published = seendate; lang = the BCP 47 code of GDELT's English language name (""
// for names not in our table); tags "domain:<domain>" and "sourcecountry:<country>". Items carry
// no summary or content: ArtList has none.
//
// Errors: a body that is not JSON (GDELT answers some failures with an HTML or plain-text page
// and status 200) is "parse", naming what it starts with; JSON that does not parse as a whole is
// read record by record, and a record that does not parse (GDELT has been seen to emit invalid
// escapes) is dropped, logged and counted in PollReport::skipped. HTTP errors and Retry-After are
// those of http_fetch.h; unusable settings are "config". Items written before an error stay
// written, and the cursor already covers them.
#pragma once

#include "vigia/connectors/connector.h"

namespace vigia::connectors {

ConnectorKind gdelt_connector_kind();

}  // namespace vigia::connectors
