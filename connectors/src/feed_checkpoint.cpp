#include "vigia/connectors/feed_checkpoint.h"

#include "json_value.h"
#include "vigia/core/json_writer.h"

namespace vigia::connectors {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

Error bad(std::string what) { return make_error("checkpoint", "feed checkpoint: " + std::move(what)); }

}  // namespace

std::string encode_feed_checkpoint(const FeedCheckpoint& checkpoint) {
  JsonWriter w;
  w.begin_object();
  w.field("v", kFeedCheckpointVersion);
  w.field("feed", checkpoint.feed);
  w.key("ids").begin_array();
  for (const auto& e : checkpoint.ids) {
    w.begin_object();
    w.field("id", e.id);
    w.field("seen", static_cast<std::int64_t>(e.first_seen.time_since_epoch().count()));
    w.end_object();
  }
  w.end_array();
  w.key("state").begin_object();
  for (const auto& [key, value] : checkpoint.state) w.field(key, value);
  w.end_object();
  w.end_object();
  return w.take();
}

Result<FeedCheckpoint> decode_feed_checkpoint(std::string_view json) {
  element root;
  if (auto err = detail::json_parser().parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
    return bad(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return bad("not a JSON object");
  std::int64_t version = 0;
  if (obj["v"].get_int64().get(version) != simdjson::SUCCESS) return bad("\"v\" is missing or not an integer");
  if (version != kFeedCheckpointVersion) {
    return bad("version " + std::to_string(version) + " (this build reads " + std::to_string(kFeedCheckpointVersion) +
               ")");
  }
  FeedCheckpoint out;
  std::string_view feed;
  if (obj["feed"].get_string().get(feed) != simdjson::SUCCESS) return bad("\"feed\" is missing or not a string");
  out.feed.assign(feed);
  simdjson::dom::array ids;
  if (obj["ids"].get_array().get(ids) != simdjson::SUCCESS) return bad("\"ids\" is missing or not an array");
  for (element e : ids) {
    object entry;
    std::string_view id;
    std::int64_t seen = 0;
    if (e.get_object().get(entry) != simdjson::SUCCESS || entry["id"].get_string().get(id) != simdjson::SUCCESS ||
        entry["seen"].get_int64().get(seen) != simdjson::SUCCESS || id.empty()) {
      return bad("\"ids\" entries must be {\"id\": non-empty string, \"seen\": integer}");
    }
    out.ids.push_back(SeenEntry{std::string(id), Timestamp{std::chrono::milliseconds{seen}}});
  }
  object state;
  if (obj["state"].get_object().get(state) != simdjson::SUCCESS) return bad("\"state\" is missing or not an object");
  for (auto field : state) {
    std::string_view value;
    if (field.value.get_string().get(value) != simdjson::SUCCESS) return bad("\"state\" values must be strings");
    out.state.emplace(std::string(field.key), std::string(value));
  }
  return out;
}

}  // namespace vigia::connectors
