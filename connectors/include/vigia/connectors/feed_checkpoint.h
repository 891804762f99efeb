// The checkpoint of one feed in Kafka mode: what the feed's next owner needs so that it neither
// re-publishes what this process published nor loses its place (see IngestStage). A small JSON
// document, versioned so that an incompatible change is refused instead of misread:
//
//   {"v": 1, "feed": "reuters",
//    "ids": [{"id": "5f0c…", "seen": 1716206400000}, …],      newest first; "seen" in ms since epoch
//    "state": {"http.etag": "\"abc\"", "ingest.last_new_item": "1716206400000", …}}
//
// `ids` are the ids the feed published recently (bounded by the writer), `state` every FeedState
// entry of the feed (HTTP validators, API cursors, the last-new-item time).
//
// Thread-safety: free functions without shared state. Failure: decoding returns an Error (reason
// "checkpoint") for anything that is not exactly this shape; it never throws.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/connectors/seen_store.h"
#include "vigia/core/result.h"

namespace vigia::connectors {

inline constexpr int kFeedCheckpointVersion = 1;

struct FeedCheckpoint {
  std::string feed;
  std::vector<SeenEntry> ids;
  std::map<std::string, std::string> state;
};

std::string encode_feed_checkpoint(const FeedCheckpoint& checkpoint);
Result<FeedCheckpoint> decode_feed_checkpoint(std::string_view json);

}  // namespace vigia::connectors
