// Microsoft Teams through a Workflows ("Post to a channel when a webhook request is received")
// or legacy incoming-webhook URL: a message with one Adaptive Card 1.4 attachment,
//   {"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
//                                     "content":{"type":"AdaptiveCard","version":"1.4",...}}]}
// The card: the headline (coloured by severity), the linked article title, an update note, a
// FactSet (category, severity, score, sources, entities), the highlighted snippets, and an
// "Open article" action. Teams caps a message at about 28 KB; text blocks are bounded well below.
#pragma once

#include "message_template.h"
#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// Keys: url | url_env | url_file, timeout, allow_private, template | template_file.
SinkKind teams_sink_kind();

// The JSON payload; `tmpl` (may be null) replaces the card's text below the headline.
std::string render_teams(const Alert& alert, MessageTemplate* tmpl);

}  // namespace vigia::alerting
