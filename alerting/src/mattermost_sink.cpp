#include "mattermost_sink.h"

#include <memory>

#include "chat_receiver.h"
#include "vigia/core/json_writer.h"

namespace vigia::alerting {
namespace {

constexpr std::size_t kTextMax = 4000;

SinkPtr create_mattermost(const SinkSpec& spec, const SinkServices& services) {
  ReceiverTarget target = read_receiver_target(spec);
  std::shared_ptr<MessageTemplate> tmpl = template_from_settings(spec, markdown_markup());
  std::string username = spec.settings.has("username") ? spec.settings.string("username") : "";
  std::string channel = spec.settings.has("channel") ? spec.settings.string("channel") : "";
  return std::make_unique<JsonPostSink>(
      spec.name, "mattermost", std::move(target),
      [tmpl, username, channel](const Alert& a) { return render_mattermost(a, tmpl.get(), username, channel); },
      services);
}

}  // namespace

std::string render_mattermost(const Alert& alert, MessageTemplate* tmpl, const std::string& username,
                              const std::string& channel) {
  const AlertFacts f = alert_facts(alert);
  const Markup& m = markdown_markup();
  std::vector<std::string> lines;
  if (tmpl) {
    lines = split_lines(tmpl->render(alert));
  } else {
    lines.push_back("#### " + m.escape(truncate_text(f.headline(), 300)));
    for (auto& l : default_body_lines(f, m)) lines.push_back(std::move(l));
  }
  JsonWriter w;
  w.begin_object();
  w.field("text", fit_lines(lines, kTextMax));
  if (!username.empty()) w.field("username", username);
  if (!channel.empty()) w.field("channel", channel);
  w.end_object();
  return w.take();
}

SinkKind mattermost_sink_kind() {
  ConfigSchema schema = receiver_target_keys();
  for (auto& k : template_keys()) schema.push_back(std::move(k));
  schema.push_back({"username", ConfigType::kString, false, "", "overrides the webhook's default name"});
  schema.push_back({"channel", ConfigType::kString, false, "", "overrides the webhook's default channel"});
  return SinkKind{"mattermost", "posts each alert to a Mattermost incoming webhook as markdown text",
                  std::move(schema), &create_mattermost};
}

}  // namespace vigia::alerting
