#include "vigia/alerting/alert_stage.h"
#include "vigia/core/hash.h"

namespace vigia::alerting {

std::vector<Alert> build_alerts(const Hit& hit, Timestamp now) {
  std::vector<Alert> alerts;
  alerts.reserve(hit.matches.size());
  for (const auto& match : hit.matches) {
    Alert a;
    // Neither rule ids (slugs) nor item ids (hex) contain a newline, so the pair cannot be ambiguous.
    a.id = stable_id(match.rule + "\n" + hit.item.id);
    a.rule = match.rule;
    a.title = match.title;
    a.severity = match.severity;
    a.score = match.score;
    a.category = match.category;
    a.tags = match.tags;
    a.item.id = hit.item.id;
    a.item.title = hit.item.title;
    a.item.url = hit.item.url;
    a.item.source = hit.item.source;
    a.item.published = hit.item.published;
    a.item.fetched = hit.item.fetched;
    a.snippets = match.terms;
    a.entities = hit.entities;
    a.story.id = hit.item.id;
    a.story.sources = {hit.item.source};
    a.first_seen = now;
    a.last_seen = now;
    alerts.push_back(std::move(a));
  }
  return alerts;
}

}  // namespace vigia::alerting
