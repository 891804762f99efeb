#include "alertmanager_sink.h"

#include <cctype>
#include <memory>
#include <stdexcept>

#include "alert_text.h"
#include "chat_receiver.h"
#include "message_format.h"
#include "vigia/core/json_writer.h"
#include "vigia/core/time.h"

namespace vigia::alerting {
namespace {

constexpr std::string_view kEndpoint = "/api/v2/alerts";
// Label values are identifiers, not prose: a long one is a misconfigured list, not information.
constexpr std::size_t kLabelValueMax = 128;
constexpr std::size_t kAnnotationMax = 4000;

// A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved).
std::string label_name(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(out.begin(), '_');
  while (out.size() > 1 && out[0] == '_' && out[1] == '_') out.erase(out.begin());
  return out;
}

std::string endpoint_of(std::string url) {
  const auto query = url.find_first_of("?#");
  std::string path_part = url.substr(0, query);
  const std::string rest = query == std::string::npos ? "" : url.substr(query);
  if (path_part.size() >= kEndpoint.size() &&
      path_part.compare(path_part.size() - kEndpoint.size(), kEndpoint.size(), kEndpoint) == 0) {
    return url;
  }
  while (!path_part.empty() && path_part.back() == '/') path_part.pop_back();
  return path_part + std::string(kEndpoint) + rest;
}

class AlertmanagerSink final : public Sink {
 public:
  AlertmanagerSink(std::string name, ReceiverTarget target, std::vector<std::string> entity_labels,
                   std::chrono::milliseconds resolve_after, const SinkServices& services)
      : entity_labels_(std::move(entity_labels)),
        resolve_after_(resolve_after),
        clock_(services.clock ? services.clock : system_clock()),
        post_(std::move(name), "alertmanager", std::move(target),
              [this](const Alert& a) { return render_alertmanager(a, entity_labels_, resolve_after_, clock_->now()); },
              services) {}

  DeliveryResult deliver(const Alert& alert) override { return post_.deliver(alert); }

 private:
  std::vector<std::string> entity_labels_;
  std::chrono::milliseconds resolve_after_;
  ClockPtr clock_;
  JsonPostSink post_;
};

SinkPtr create_alertmanager(const SinkSpec& spec, const SinkServices& services) {
  ReceiverTarget target = read_receiver_target(spec);
  target.url = endpoint_of(target.url);
  const auto resolve_after = spec.settings.duration("resolve_after");
  if (resolve_after <= std::chrono::milliseconds{0}) {
    throw std::invalid_argument("sink '" + spec.name + "': resolve_after must be positive");
  }
  std::vector<std::string> lists;
  if (spec.settings.has("entity_labels")) lists = spec.settings.strings("entity_labels");
  static const std::vector<std::string> kFixed{"alertname", "rule", "severity", "category", "vigia_alert"};
  for (const auto& l : lists) {
    for (const auto& fixed : kFixed) {
      if (label_name(l) == fixed) {
        throw std::invalid_argument("sink '" + spec.name + "': entity_labels: '" + l + "' clashes with label " + fixed);
      }
    }
  }
  return std::make_unique<AlertmanagerSink>(spec.name, std::move(target), std::move(lists), resolve_after, services);
}

}  // namespace

std::string render_alertmanager(const Alert& alert, const std::vector<std::string>& entity_labels,
                                std::chrono::milliseconds resolve_after, Timestamp now) {
  const AlertFacts f = alert_facts(alert);
  const std::string item_title = strip_marks(f.item_title);
  JsonWriter w;
  w.begin_array().begin_object();
  w.key("labels").begin_object();
  w.field("alertname", truncate_text(f.rule, kLabelValueMax));
  w.field("rule", truncate_text(f.rule, kLabelValueMax));
  w.field("severity", one_line(alert.severity.empty() ? "unknown" : alert.severity));
  w.field("category", truncate_text(f.category, kLabelValueMax));
  w.field("vigia_alert", alert.id);
  for (const auto& list : entity_labels) {
    const auto it = alert.entities.find(list);
    if (it == alert.entities.end() || it->second.empty()) continue;
    w.field(label_name(list), truncate_text(one_line(it->second.front()), kLabelValueMax));
  }
  w.end_object();

  std::string description = item_title + "\n" + f.category + " · " + f.severity + " · score " + f.score + " · " +
                            f.sources_phrase() + ": " + f.sources_line();
  if (f.is_update) description = f.update_phrase() + "\n" + description;
  for (const auto& s : f.snippets) description += "\n> " + s.field + ": " + strip_marks(s.marked);
  if (!f.entities.empty()) description += "\nEntities: " + f.entities_line();
  w.key("annotations").begin_object();
  w.field("summary", truncate_text(f.headline() + " — " + item_title, 500));
  w.field("description", truncate_text(description, kAnnotationMax));
  w.field("title", f.rule_title);
  w.field("item_title", truncate_text(item_title, 500));
  if (!f.url.empty()) w.field("url", f.url);
  w.field("source", f.source);
  w.field("source_count", std::to_string(f.source_count));
  w.field("sources", truncate_text(f.sources_line(20), 1000));
  w.field("score", f.score);
  w.field("sequence", std::to_string(f.sequence));
  if (!f.entities.empty()) w.field("entities", truncate_text(f.entities_line(), 1000));
  if (!f.published.empty()) w.field("published", f.published);
  w.end_object();

  w.field("startsAt", format_rfc3339(alert.first_seen));
  w.field("endsAt", format_rfc3339(now + resolve_after));
  if (f.url.rfind("http://", 0) == 0 || f.url.rfind("https://", 0) == 0) w.field("generatorURL", f.url);
  w.end_object().end_array();
  return w.take();
}

SinkKind alertmanager_sink_kind() {
  ConfigSchema schema = receiver_target_keys();
  schema.push_back({"entity_labels", ConfigType::kStrings, false, "",
                    "entity lists whose first entity becomes a label (keep few: labels drive grouping)"});
  schema.push_back({"resolve_after", ConfigType::kDuration, false, "1h",
                    "endsAt is set this far after each send, so alerts resolve unless updated"});
  return SinkKind{"alertmanager", "POSTs each alert to Alertmanager's API v2 (/api/v2/alerts)", std::move(schema),
                  &create_alertmanager};
}

}  // namespace vigia::alerting
