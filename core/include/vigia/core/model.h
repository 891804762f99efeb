// The data contracts that stages exchange over the bus (see DESIGN.md, "Data contracts").
// Plain values: copyable, no behaviour. The JSON form lives in codec.h and carries "v".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vigia/core/time.h"

namespace vigia {

inline constexpr int kContractVersion = 1;

// One news item, normalised by a connector: plain text (HTML stripped, entities decoded),
// UTF-8, dates in UTC.
struct Item {
  std::string id;         // stable: hash of the canonical URL, else of source + GUID
  std::string source;     // the feed's configured name
  std::string connector;  // "http", "file", ...
  std::string url;
  std::string title;
  std::string summary;
  std::string content;
  std::string lang;
  std::optional<Timestamp> published;
  bool published_is_fetch_time = false;  // the feed gave no usable date
  std::optional<Timestamp> fetched;
  std::vector<std::string> authors;
  std::vector<std::string> tags;
};

// Where one pattern matched: offsets are byte offsets into the ORIGINAL field text.
struct Term {
  std::string pattern;  // pattern id within its rule (or "list:entry")
  std::string field;    // "title", "summary" or "content"
  std::size_t start = 0;
  std::size_t end = 0;
  std::string snippet;  // the match in context, with the match itself in [[ ]]
};

// Canonical entity names found in an item, by list: {"cartels": ["CJNG"], "places_mx": [...]}.
using Entities = std::map<std::string, std::vector<std::string>>;

// One rule that fired on an item.
struct Match {
  std::string rule;
  std::string title;  // the rule's human title
  std::string category;
  std::string severity;
  double score = 0;
  std::vector<Term> terms;
  // How the score was made: each matched pattern and the points it added, in the rule's order.
  std::vector<std::pair<std::string, double>> breakdown;
  std::vector<std::string> tags;  // the rule's tags, for routing
};

struct Hit {
  Item item;
  std::vector<Match> matches;
  Entities entities;
};

// What a receiver gets: one rule on one story.
struct Alert {
  std::string id;  // idempotency key: hash(rule, story)
  std::string rule;
  std::string title;  // the rule's title
  std::string severity;
  double score = 0;
  std::string category;
  // 1 for a story's first alert; each update of the same alert (more sources, a higher score)
  // carries the same id and the next number, so a receiver keeps the latest.
  std::uint64_t sequence = 1;
  std::vector<std::string> tags;  // the rule's tags
  struct ItemRef {
    std::string id;
    std::string title;
    std::string url;
    std::string source;
    std::optional<Timestamp> published;
    std::optional<Timestamp> fetched;  // when it entered the pipeline; drives latency metrics
  } item;
  std::vector<Term> snippets;
  Entities entities;
  struct Story {
    std::string id;
    std::vector<std::string> sources;
  } story;
  Timestamp first_seen;
  Timestamp last_seen;
};

}  // namespace vigia
