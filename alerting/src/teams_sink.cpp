#include "teams_sink.h"

#include <memory>

#include "chat_receiver.h"
#include "vigia/core/json_writer.h"

namespace vigia::alerting {
namespace {

// Per text block and for the whole templated text: far under Teams' ~28 KB message limit.
constexpr std::size_t kBlockMax = 2000;
constexpr std::size_t kTemplatedMax = 8000;

std::string_view severity_style(std::string_view severity) {
  if (severity == "CRITICAL" || severity == "HIGH") return "Attention";
  if (severity == "MEDIUM") return "Warning";
  return "Default";
}

void text_block(JsonWriter& w, const std::string& text, bool wrap = true) {
  w.begin_object().field("type", "TextBlock").field("text", text).field("wrap", wrap).end_object();
}

void fact(JsonWriter& w, std::string_view title, const std::string& value) {
  w.begin_object().field("title", title).field("value", value).end_object();
}

SinkPtr create_teams(const SinkSpec& spec, const SinkServices& services) {
  ReceiverTarget target = read_receiver_target(spec);
  std::shared_ptr<MessageTemplate> tmpl = template_from_settings(spec, markdown_markup());
  return std::make_unique<JsonPostSink>(
      spec.name, "teams", std::move(target), [tmpl](const Alert& a) { return render_teams(a, tmpl.get()); }, services);
}

}  // namespace

std::string render_teams(const Alert& alert, MessageTemplate* tmpl) {
  const AlertFacts f = alert_facts(alert);
  const Markup& m = markdown_markup();
  JsonWriter w;
  w.begin_object();
  w.field("type", "message");
  w.key("attachments").begin_array().begin_object();
  w.field("contentType", "application/vnd.microsoft.card.adaptive");
  w.key("contentUrl").null();
  w.key("content").begin_object();
  w.field("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
  w.field("type", "AdaptiveCard");
  w.field("version", "1.4");
  w.key("msteams").begin_object().field("width", "Full").end_object();
  w.key("body").begin_array();
  w.begin_object()
      .field("type", "TextBlock")
      .field("text", m.escape(truncate_text(f.headline(), 400)))
      .field("size", "Medium")
      .field("weight", "Bolder")
      .field("color", severity_style(f.severity))
      .field("wrap", true)
      .end_object();
  if (tmpl) {
    text_block(w, fit_lines(split_lines(tmpl->render(alert)), kTemplatedMax));
  } else {
    std::string title = std::string(m.bold_open) + highlight_marked(truncate_text(f.item_title, 300), m) +
                        std::string(m.bold_close);
    if (!f.url.empty()) title = m.link(f.url, title);
    text_block(w, title);
    if (f.is_update) text_block(w, m.escape(f.update_phrase() + " · now " + f.sources_phrase()));
    w.begin_object().field("type", "FactSet").key("facts").begin_array();
    fact(w, "Category", m.escape(f.category));
    fact(w, "Severity", m.escape(f.severity));
    fact(w, "Score", m.escape(f.score));
    fact(w, "Sources", m.escape(truncate_text(f.sources_phrase() + ": " + f.sources_line(), 600)));
    for (const auto& [list, names] : f.entities) fact(w, m.escape(list), m.escape(truncate_text(names, 400)));
    fact(w, "Rule", m.escape(f.rule));
    fact(w, "First seen", m.escape(f.first_seen));
    if (f.last_seen != f.first_seen) fact(w, "Last seen", m.escape(f.last_seen));
    w.end_array().end_object();
    for (std::size_t i = 0; i < f.snippets.size(); ++i) {
      std::string line = m.escape(f.snippets[i].field + ": ") + highlight_marked(f.snippets[i].marked, m);
      if (i + 1 == f.snippets.size() && f.more_snippets > 0) {
        line += m.escape(" (+" + std::to_string(f.more_snippets) + " more)");
      }
      text_block(w, fit_lines({line}, kBlockMax));
    }
  }
  w.end_array();
  if (f.url.rfind("http://", 0) == 0 || f.url.rfind("https://", 0) == 0) {
    w.key("actions").begin_array();
    w.begin_object().field("type", "Action.OpenUrl").field("title", "Open article").field("url", f.url).end_object();
    w.end_array();
  }
  w.end_object();  // content
  w.end_object().end_array();
  w.end_object();
  return w.take();
}

SinkKind teams_sink_kind() {
  ConfigSchema schema = receiver_target_keys();
  for (auto& k : template_keys()) schema.push_back(std::move(k));
  return SinkKind{"teams", "posts each alert to Microsoft Teams (Workflows webhook) as an Adaptive Card",
                  std::move(schema), &create_teams};
}

}  // namespace vigia::alerting
