// Alertmanager API v2 (`POST /api/v2/alerts`, a JSON array of postable alerts), so a team can
// route Vigía alerts with the Alertmanager it already runs.
//
// Labels are what Alertmanager groups, deduplicates and silences on, so they stay bounded and
// stable: alertname (the rule id), rule, severity, category, vigia_alert (the alert id: one
// Alertmanager alert per story, updated in place by each update), and one label per list named in
// `entity_labels` (the first entity of that list; label names sanitised to [a-zA-Z0-9_]). Feed
// text (titles, snippets, sources) only ever goes into annotations.
//
// Vigía alerts are events: each send sets endsAt = now + `resolve_after`, so the alert resolves
// by itself unless an update re-sends it. The URL may be Alertmanager's base URL
// (http://am:9093) or the full endpoint; "/api/v2/alerts" is appended when missing.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// Keys: url | url_env | url_file, timeout, allow_private, entity_labels, resolve_after.
SinkKind alertmanager_sink_kind();

std::string render_alertmanager(const Alert& alert, const std::vector<std::string>& entity_labels,
                                 std::chrono::milliseconds resolve_after, Timestamp now);

}  // namespace vigia::alerting
