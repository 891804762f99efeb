// A GET of the daemon's own /healthz, shared by `vigia health` (a container HEALTHCHECK or an
// operator's script) and the systemd watchdog in `vigia run`, so both judge liveness the same way
// an orchestrator's probe does.
//
// Thread-safety: the functions keep no state; any thread may call them. Failure: never throws;
// a failed probe is an Error whose message says why (refused, timed out, HTTP status).
#pragma once

#include <chrono>
#include <string>

#include "vigia/core/result.h"

namespace vigia::daemon {

// The /healthz URL of an admin server listening on `listen` ("host:port", as http.listen takes
// it; `port` replaces its port when > 0). A wildcard host (0.0.0.0, ::, empty) becomes the
// loopback address of the same family. Fails for "" (admin endpoints disabled) or a bad value.
Result<std::string> health_url(const std::string& listen, int port = 0);

// GET `url` without any proxy: OK only for HTTP 200 within `timeout`.
Status probe_health(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace vigia::daemon
