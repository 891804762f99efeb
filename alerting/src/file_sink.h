// The file sink: appends each alert to a local file, as one JSON line (the Alert contract,
// "jsonl") or as the console's text block ("text"). The file is opened per alert, so log
// rotation (rename + new file) needs no signal; parent directories are created on demand.
#pragma once

#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// Keys: path (required), format ("jsonl" | "text", default "jsonl"). create() throws
// std::invalid_argument for another format or an empty path. Open or write failures are
// "io" and retried (a full disk or a missing mount may recover).
SinkKind file_sink_kind();

}  // namespace vigia::alerting
