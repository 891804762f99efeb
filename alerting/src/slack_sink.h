// Slack incoming webhooks (https://api.slack.com/messaging/webhooks): a Block Kit message — a
// header block (the severity and rule title, plain text, at most 150 characters), a mrkdwn
// section with the body (at most 3000), a context line — plus the top-level `text` Slack uses
// for notifications and clients without blocks.
#pragma once

#include "message_template.h"
#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// Keys: url | url_env | url_file, timeout, allow_private, template | template_file.
SinkKind slack_sink_kind();

// The JSON payload for `alert`; `tmpl` (may be null) replaces the section's text.
std::string render_slack(const Alert& alert, MessageTemplate* tmpl);

}  // namespace vigia::alerting
