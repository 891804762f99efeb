// Small per-feed state that a connector keeps across polls and restarts: HTTP validators (ETag,
// Last-Modified), an API's time cursor. Keys are per connector kind ("etag", "gdelt.cursor");
// values are short strings. The daemon backs it with SQLite (sqlite_state.h) so a restart resumes
// where it left off; tests and one-shot commands use MemoryFeedState. In Kafka mode the ingest
// stage copies a feed's entries into the feed's checkpoint (entries()) and back on its new owner,
// so they follow the feed from process to process (see IngestStage).
//
// Thread-safety: implementations are safe to call from any thread. Failure: a store that cannot
// write logs and carries on — losing a validator costs one full fetch, never an item.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace vigia::connectors {

class FeedState {
 public:
  virtual ~FeedState() = default;
  virtual std::optional<std::string> get(std::string_view feed, std::string_view key) const = 0;
  virtual void put(std::string_view feed, std::string_view key, std::string_view value) = 0;
  virtual void erase(std::string_view feed, std::string_view key) = 0;
  // Every key/value of `feed` (empty when it has none, or when the store cannot be read).
  virtual std::map<std::string, std::string> entries(std::string_view feed) const = 0;
};
using FeedStatePtr = std::shared_ptr<FeedState>;

class MemoryFeedState final : public FeedState {
 public:
  std::optional<std::string> get(std::string_view feed, std::string_view key) const override {
    std::lock_guard lock(mu_);
    auto it = values_.find({std::string(feed), std::string(key)});
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view feed, std::string_view key, std::string_view value) override {
    std::lock_guard lock(mu_);
    values_[{std::string(feed), std::string(key)}] = std::string(value);
  }
  void erase(std::string_view feed, std::string_view key) override {
    std::lock_guard lock(mu_);
    values_.erase({std::string(feed), std::string(key)});
  }
  std::map<std::string, std::string> entries(std::string_view feed) const override {
    std::lock_guard lock(mu_);
    std::map<std::string, std::string> out;
    for (auto it = values_.lower_bound({std::string(feed), std::string()});
         it != values_.end() && it->first.first == feed; ++it) {
      out.emplace(it->first.second, it->second);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> values_;
};

}  // namespace vigia::connectors
