#include "discord_sink.h"

#include <memory>
#include <stdexcept>

#include "chat_receiver.h"
#include "vigia/core/json_writer.h"
#include "vigia/core/time.h"

namespace vigia::alerting {
namespace {

constexpr std::size_t kContentMax = 2000;
constexpr std::size_t kTitleMax = 256;
constexpr std::size_t kDescriptionMax = 4096;
constexpr std::size_t kFooterMax = 2048;
constexpr std::size_t kUsernameMax = 80;

bool is_http_url(std::string_view url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

SinkPtr create_discord(const SinkSpec& spec, const SinkServices& services) {
  ReceiverTarget target = read_receiver_target(spec);
  std::shared_ptr<MessageTemplate> tmpl = template_from_settings(spec, markdown_markup());
  std::string username = spec.settings.has("username") ? spec.settings.string("username") : "";
  if (text_length(username) > kUsernameMax) {
    throw std::invalid_argument("sink '" + spec.name + "': username is longer than 80 characters");
  }
  return std::make_unique<JsonPostSink>(
      spec.name, "discord", std::move(target),
      [tmpl, username](const Alert& a) { return render_discord(a, tmpl.get(), username); }, services);
}

}  // namespace

std::string render_discord(const Alert& alert, MessageTemplate* tmpl, const std::string& username) {
  const AlertFacts f = alert_facts(alert);
  const Markup& m = markdown_markup();
  std::vector<std::string> lines;
  if (tmpl) {
    lines = split_lines(tmpl->render(alert));
  } else {
    lines = default_body_lines(f, m);
    lines.erase(lines.begin());  // the linked title is the embed's own title
  }
  // Escaping at most doubles a character; halving the plain budget keeps the escaped text in.
  const std::string content = "**" + m.escape(truncate_text(f.headline(), (kContentMax - 4) / 2)) + "**";
  const std::string title = m.escape(truncate_text(strip_marks(f.item_title), kTitleMax / 2));

  JsonWriter w;
  w.begin_object();
  if (!username.empty()) w.field("username", username);
  w.field("content", content);
  w.key("allowed_mentions").begin_object().key("parse").begin_array().end_array().end_object();
  w.key("embeds").begin_array().begin_object();
  w.field("title", title);
  if (is_http_url(f.url)) w.field("url", f.url);
  const std::string description = fit_lines(lines, kDescriptionMax);
  if (!description.empty()) w.field("description", description);
  w.field("color", severity_color(f.severity));
  w.key("footer").begin_object();
  w.field("text", truncate_text("Vigía · rule " + f.rule + " · alert " + alert.id, kFooterMax));
  w.end_object();
  w.field("timestamp", format_rfc3339(alert.last_seen));
  w.end_object().end_array();
  w.end_object();
  return w.take();
}

SinkKind discord_sink_kind() {
  ConfigSchema schema = receiver_target_keys();
  for (auto& k : template_keys()) schema.push_back(std::move(k));
  schema.push_back({"username", ConfigType::kString, false, "", "overrides the webhook's default name (at most 80)"});
  return SinkKind{"discord", "posts each alert to a Discord webhook as a message with one embed", std::move(schema),
                  &create_discord};
}

}  // namespace vigia::alerting
