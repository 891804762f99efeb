// The silences API on the admin server:
//   POST   /api/v1/silences        {matchers:[{name,value,op}], startsAt?,
//   endsAt, createdBy, comment}
//                                   -> 201 {"id": ...}
//   GET    /api/v1/silences        -> 200 [ {id, matchers, startsAt, endsAt,
//   createdBy, comment, origin, state} ] GET    /api/v1/silences/{id}   -> 200
//   {...} | 404 DELETE /api/v1/silences/{id}   -> 200 (expired now) | 404 | 409
//   (defined in the config file)
// Every call needs `Authorization: Bearer <token>` (401 otherwise); the token
// is compared in constant time. Without a configured token every call answers
// 403: the API is never open by default. Bodies over kMaxBodyBytes get 413; bad
// JSON or a bad silence 400 with the reason.
#pragma once

#include <cstddef>
#include <string>

#include "vigia/alerting/silence_store.h"
#include "vigia/core/clock.h"
#include "vigia/core/result.h"
#include "vigia/daemon/config.h"

namespace httplib {
class Server;
}

namespace vigia::daemon {

inline constexpr std::size_t kMaxApiBodyBytes = 64 * 1024;
inline constexpr std::size_t kMinApiTokenBytes = 16;

// Registers the routes on `server` (before it listens). `token` empty: the API
// answers 403.
void add_silence_api(httplib::Server& server, alerting::SilenceStorePtr store, std::string token, ClockPtr clock);

// The bearer token from api.token_env (if set and non-empty), else
// api.token_file (trailing whitespace trimmed); "" when neither is configured.
// An unreadable file or a token shorter than kMinApiTokenBytes is an error
// (reason "config"); the message never contains the token.
Result<std::string> load_api_token(const ApiConfig& api);

}  // namespace vigia::daemon
