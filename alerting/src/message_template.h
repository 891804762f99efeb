// User templates for the text of chat messages (Mustache, via kainjow's header-only library from
// Debian's libkainjow-mustache-dev). A sink's `template` (inline) or `template_file` replaces the
// default body; see docs/alerting.md "Templates" for the variables.
//
// {{name}} inserts a value escaped for the platform (Slack mrkdwn or markdown), so feed text can
// never inject markup; {{{name}}} inserts it raw. `highlighted` (in snippets) and `title_highlighted`
// are already escaped with the matches in bold: use them with triple braces.
//
// A template that does not parse, or fails to render a sample alert, is a configuration error.
// render() is called from one thread at a time (the sink's).
#pragma once

#include <memory>
#include <string>

#include "message_format.h"
#include "vigia/alerting/sink.h"

namespace vigia::alerting {

class MessageTemplate {
 public:
  virtual ~MessageTemplate() = default;
  virtual std::string render(const Alert& alert) = 0;
};
using MessageTemplatePtr = std::unique_ptr<MessageTemplate>;

// The keys: template, template_file.
ConfigSchema template_keys();

// The template configured in `spec` (nullptr when neither key is set). Throws
// std::invalid_argument naming the sink for both keys set, an unreadable file, or a template
// error (with the library's message).
MessageTemplatePtr template_from_settings(const SinkSpec& spec, const Markup& markup);

// Compiles `source` for `markup`; throws std::invalid_argument prefixed with `what`.
MessageTemplatePtr compile_template(const std::string& source, const Markup& markup, const std::string& what);

}  // namespace vigia::alerting
