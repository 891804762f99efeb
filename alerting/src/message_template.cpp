#include "message_template.h"

#include <kainjow/mustache.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vigia::alerting {
namespace {

namespace mu = kainjow::mustache;

mu::data template_data(const Alert& alert, const Markup& markup) {
  const AlertFacts f = alert_facts(alert);
  mu::data d;
  d.set("title", f.rule_title);
  d.set("headline", f.headline());
  d.set("rule", f.rule);
  d.set("category", f.category);
  d.set("severity", f.severity);
  d.set("score", f.score);
  d.set("item_title", strip_marks(f.item_title));
  d.set("title_highlighted", highlight_marked(f.item_title, markup));
  d.set("url", f.url);
  d.set("source", f.source);
  d.set("source_count", std::to_string(f.source_count));
  d.set("sources_phrase", f.sources_phrase());
  mu::data sources{mu::data::type::list};
  for (const auto& s : f.sources) sources.push_back(mu::data{s});
  d.set("sources", sources);
  mu::data entities{mu::data::type::list};
  for (const auto& [list, names] : f.entities) {
    mu::data e;
    e.set("list", list);
    e.set("names", names);
    entities.push_back(e);
  }
  d.set("entities", entities);
  d.set("entities_line", f.entities_line());
  mu::data snippets{mu::data::type::list};
  for (const auto& s : f.snippets) {
    mu::data e;
    e.set("field", s.field);
    e.set("text", strip_marks(s.marked));
    e.set("highlighted", highlight_marked(s.marked, markup));
    snippets.push_back(e);
  }
  d.set("snippets", snippets);
  d.set("published", f.published);
  d.set("first_seen", f.first_seen);
  d.set("last_seen", f.last_seen);
  d.set("sequence", std::to_string(f.sequence));
  d.set("is_update", f.is_update);
  return d;
}

// A sample alert for checking a template at configuration time.
Alert sample_for_check() {
  Alert a;
  a.id = "0000";
  a.rule = "sample-rule";
  a.title = "Sample rule";
  a.severity = "high";
  a.score = 1;
  a.category = "sample";
  a.sequence = 2;
  a.item.title = "Sample title";
  a.item.url = "https://example.com/";
  a.item.source = "Example";
  a.snippets = {{"p", "summary", 0, 6, "[[Sample]] text"}};
  a.entities = {{"places", {"Somewhere"}}};
  a.story.sources = {"Example", "Other"};
  return a;
}

class MustacheTemplate final : public MessageTemplate {
 public:
  MustacheTemplate(const std::string& source, const Markup& markup) : tmpl_(source), markup_(markup) {
    tmpl_.set_custom_escape([esc = markup.escape](const std::string& s) { return esc(s); });
  }
  bool valid() const { return tmpl_.is_valid(); }
  const std::string& error() const { return tmpl_.error_message(); }

  std::string render(const Alert& alert) override { return tmpl_.render(template_data(alert, markup_)); }

 private:
  mu::mustache tmpl_;
  const Markup& markup_;
};

}  // namespace

ConfigSchema template_keys() {
  return {
      {"template", ConfigType::kString, false, "",
       "Mustache template for the message text (replaces the default body); see docs/alerting.md"},
      {"template_file", ConfigType::kPath, false, "", "file holding the Mustache template; not with template"},
  };
}

MessageTemplatePtr compile_template(const std::string& source, const Markup& markup, const std::string& what) {
  auto t = std::make_unique<MustacheTemplate>(source, markup);
  if (!t->valid()) throw std::invalid_argument(what + ": template error: " + t->error());
  const std::string sample = t->render(sample_for_check());
  if (!t->valid()) throw std::invalid_argument(what + ": template error: " + t->error());
  if (sample.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw std::invalid_argument(what + ": template renders to an empty message");
  }
  return t;
}

MessageTemplatePtr template_from_settings(const SinkSpec& spec, const Markup& markup) {
  const std::string what = "sink '" + spec.name + "'";
  const auto& s = spec.settings;
  const bool has_inline = s.has("template") && !s.string("template").empty();
  const bool has_file = s.has("template_file") && !s.string("template_file").empty();
  if (has_inline && has_file) throw std::invalid_argument(what + ": set only one of template, template_file");
  if (has_inline) return compile_template(s.string("template"), markup, what);
  if (!has_file) return nullptr;
  const std::string& path = s.string("template_file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(what + ": template_file: cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  return compile_template(buf.str(), markup, what + " (template_file " + path + ")");
}

}  // namespace vigia::alerting
