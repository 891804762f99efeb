// Private: the "http" connector kind — a feed fetched over HTTP(S) with the core HttpClient.
//
// Conditional GET: the ETag and Last-Modified of the last response that parsed are kept in
// memory and sent back (If-None-Match / If-Modified-Since); a 304 is a PollReport with
// not_modified set. Validators are only kept once a body parsed and all its items were written,
// so a broken or interrupted fetch is repeated in full next time.
//
// Errors: transport failures keep the HttpClient's reason ("timeout", "blocked_address", ...);
// any non-2xx status is "http_status" with the code in the message, and for 429/503 the
// Retry-After (seconds or HTTP-date) is exposed through retry_after(); a body that is not a feed
// is "parse"; unusable settings are "config". Messages start with "feed '<name>':" and show the
// URL only as redact_url() does (scheme and host): feed URLs can carry API keys.
#pragma once

#include "vigia/connectors/connector.h"

namespace vigia::connectors {

ConnectorKind http_connector_kind();

inline constexpr std::string_view kDefaultUserAgent = "Vigia/0.1 (news monitor; set user_agent to add your contact)";

}  // namespace vigia::connectors
