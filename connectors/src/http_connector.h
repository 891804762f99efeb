// Private: the "http" connector kind — a feed (RSS, RDF, Atom or JSON Feed; parse_feed detects
// which) fetched over HTTP(S) with the request building and status handling of http_fetch.h.
//
// Conditional GET: the ETag and Last-Modified of the last response whose body parsed and whose
// items were all written are sent back (If-None-Match / If-Modified-Since); a 304 is a
// PollReport with not_modified set. Validators are only kept once that happened, so a broken or
// interrupted fetch is repeated in full next time. With ConnectorServices::state they are kept
// there too ("http.etag", "http.last_modified"), so they survive a restart.
//
// Errors: transport failures keep the HttpClient's reason ("timeout", "blocked_address", ...);
// any other non-2xx status is "http_status" with the code in the message, and for 429/503 the
// Retry-After (seconds or HTTP-date) is exposed through retry_after(); a body that is not a feed
// is "parse"; unusable settings are "config". Messages start with "feed '<name>':" and show the
// URL only as redact_url() does (scheme and host): feed URLs can carry API keys.
#pragma once

#include "vigia/connectors/connector.h"

namespace vigia::connectors {

ConnectorKind http_connector_kind();

}  // namespace vigia::connectors
