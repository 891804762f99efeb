// Mattermost incoming webhooks (https://developers.mattermost.com/integrate/webhooks/incoming/):
// `text` in Mattermost markdown — the headline in bold, then the body — at most 4000 characters
// (longer posts are split by the server, which would separate the link from the headline).
#pragma once

#include "message_template.h"
#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// Keys: url | url_env | url_file, timeout, allow_private, template | template_file, username,
// channel.
SinkKind mattermost_sink_kind();

std::string render_mattermost(const Alert& alert, MessageTemplate* tmpl, const std::string& username,
                              const std::string& channel);

}  // namespace vigia::alerting
