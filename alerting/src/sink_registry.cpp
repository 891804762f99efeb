#include "alertmanager_sink.h"
#include "console_sink.h"
#include "discord_sink.h"
#include "file_sink.h"
#include "mattermost_sink.h"
#include "slack_sink.h"
#include "teams_sink.h"
#include "vigia/alerting/sink.h"
#include "webhook_sink.h"

namespace vigia::alerting {

void register_builtin_sinks(SinkRegistry& registry) {
  registry.add(webhook_sink_kind());
  registry.add(console_sink_kind());
  registry.add(file_sink_kind());
  registry.add(slack_sink_kind());
  registry.add(teams_sink_kind());
  registry.add(discord_sink_kind());
  registry.add(mattermost_sink_kind());
  registry.add(alertmanager_sink_kind());
}

}  // namespace vigia::alerting
