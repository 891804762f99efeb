// Discord webhooks (Execute Webhook, https://discord.com/developers/docs/resources/webhook):
// `content` (the headline, at most 2000 characters) and one embed — title (at most 256) linking
// the article, description (at most 4096) with the body, a severity colour, a footer and the
// last-seen timestamp. `allowed_mentions: {parse: []}` so feed text can never ping anyone.
#pragma once

#include "message_template.h"
#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// Keys: url | url_env | url_file, timeout, allow_private, template | template_file, username.
SinkKind discord_sink_kind();

// The JSON payload; `tmpl` (may be null) replaces the embed description.
std::string render_discord(const Alert& alert, MessageTemplate* tmpl, const std::string& username);

}  // namespace vigia::alerting
