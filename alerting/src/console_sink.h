// The console sink: the text block of alert_text.h on SinkServices::console (stdout in the
// daemon), flushed per alert, for an officer watching a terminal or `journalctl -f`.
#pragma once

#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// No keys. Writes to std::cout when SinkServices::console is null. Console sinks of one
// process serialise their writes so blocks never interleave. A failed write is "io", retried.
SinkKind console_sink_kind();

}  // namespace vigia::alerting
