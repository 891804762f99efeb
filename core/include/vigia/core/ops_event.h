// Ops events: the daemon reporting on itself (a feed broken, a rule reload rejected) through the
// same path as news alerts. An ops event is a Hit whose one Match has category "ops" and a rule
// id of the form "vigia-…", published to the hits topic; the alert stage groups, routes (e.g. a
// sink with `categories: [ops]` pages whoever runs the daemon), renders and delivers it like any
// other hit. The item carries the human text: `title` the headline, `summary` the detail.
//
// Thread-safety: a pure function. Failure: none.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "vigia/core/hash.h"
#include "vigia/core/model.h"
#include "vigia/core/time.h"

namespace vigia {

inline constexpr std::string_view kOpsCategory = "ops";

// `source` names what the event is about (a feed's name, "rules"); `rule` is the event kind
// ("vigia-rules-reload-failed") and `rule_title` its human name ("Rule reload failed").
inline Hit ops_event(std::string_view source, std::string_view rule, std::string_view rule_title,
                     std::string_view severity, std::string title, std::string detail, double score, Timestamp now) {
  Hit hit;
  // One id per occurrence: each incident is its own alert, and a re-sent one dedups downstream.
  hit.item.id = stable_id("vigia-ops\n" + std::string(source) + "\n" + std::string(rule) + "\n" +
                          std::to_string(now.time_since_epoch().count()));
  hit.item.source = std::string(source);
  hit.item.connector = "vigia";
  hit.item.title = std::move(title);
  hit.item.summary = std::move(detail);
  hit.item.published = now;
  hit.item.fetched = now;
  hit.matches.push_back(
      Match{std::string(rule), std::string(rule_title), std::string(kOpsCategory), std::string(severity), score, {}});
  return hit;
}

}  // namespace vigia
