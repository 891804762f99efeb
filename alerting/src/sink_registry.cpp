#include "console_sink.h"
#include "file_sink.h"
#include "vigia/alerting/sink.h"
#include "webhook_sink.h"

namespace vigia::alerting {

void register_builtin_sinks(SinkRegistry& registry) {
  registry.add(webhook_sink_kind());
  registry.add(console_sink_kind());
  registry.add(file_sink_kind());
}

}  // namespace vigia::alerting
