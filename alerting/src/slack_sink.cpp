#include "slack_sink.h"

#include <memory>

#include "chat_receiver.h"
#include "vigia/core/json_writer.h"

namespace vigia::alerting {
namespace {

// Block Kit limits: header text 150, section text 3000, context element text 3000.
constexpr std::size_t kHeaderMax = 150;
constexpr std::size_t kSectionMax = 3000;
constexpr std::size_t kContextMax = 3000;
// The notification text: Slack accepts far more, but a notification shows a line or two.
constexpr std::size_t kFallbackMax = 500;

SinkPtr create_slack(const SinkSpec& spec, const SinkServices& services) {
  ReceiverTarget target = read_receiver_target(spec);
  std::shared_ptr<MessageTemplate> tmpl = template_from_settings(spec, slack_markup());
  return std::make_unique<JsonPostSink>(
      spec.name, "slack", std::move(target), [tmpl](const Alert& a) { return render_slack(a, tmpl.get()); }, services);
}

}  // namespace

std::string render_slack(const Alert& alert, MessageTemplate* tmpl) {
  const AlertFacts f = alert_facts(alert);
  const Markup& m = slack_markup();
  const std::string body = fit_lines(tmpl ? split_lines(tmpl->render(alert)) : default_body_lines(f, m), kSectionMax);
  std::string context = m.escape("Vigía · " + f.category + " · " + f.severity + " · score " + f.score + " · " +
                                 f.sources_phrase() + " · alert " + alert.id);
  JsonWriter w;
  w.begin_object();
  w.field("text", m.escape(truncate_text(f.headline() + " — " + strip_marks(f.item_title), kFallbackMax)));
  w.key("blocks").begin_array();
  w.begin_object().field("type", "header");
  w.key("text").begin_object().field("type", "plain_text").field("text", truncate_text(f.headline(), kHeaderMax));
  w.field("emoji", false).end_object();
  w.end_object();
  w.begin_object().field("type", "section");
  w.key("text").begin_object().field("type", "mrkdwn").field("text", body.empty() ? std::string(" ") : body).end_object();
  w.end_object();
  w.begin_object().field("type", "context");
  w.key("elements").begin_array();
  w.begin_object().field("type", "mrkdwn").field("text", truncate_text(context, kContextMax)).end_object();
  w.end_array();
  w.end_object();
  w.end_array();
  w.end_object();
  return w.take();
}

SinkKind slack_sink_kind() {
  ConfigSchema schema = receiver_target_keys();
  for (auto& k : template_keys()) schema.push_back(std::move(k));
  return SinkKind{"slack", "posts each alert to a Slack incoming webhook as a Block Kit message", std::move(schema),
                  &create_slack};
}

}  // namespace vigia::alerting
