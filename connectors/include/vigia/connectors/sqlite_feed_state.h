// FeedState kept in the daemon's StateDb (table feed_state), so validators and API cursors
// survive restarts. Thread-safety and failure as FeedState: a failed read is "no value", a failed
// write is logged (logger "connectors") and otherwise ignored.
#pragma once

#include <memory>

#include "vigia/connectors/feed_state.h"
#include "vigia/core/result.h"
#include "vigia/core/state_db.h"

namespace vigia::connectors {

class SqliteFeedState final : public FeedState {
 public:
  // Creates the table if needed.
  static Result<std::shared_ptr<SqliteFeedState>> open(StateDbPtr db);

  std::optional<std::string> get(std::string_view feed, std::string_view key) const override;
  void put(std::string_view feed, std::string_view key, std::string_view value) override;
  void erase(std::string_view feed, std::string_view key) override;
  std::map<std::string, std::string> entries(std::string_view feed) const override;

 private:
  explicit SqliteFeedState(StateDbPtr db) : db_(std::move(db)) {}
  StateDbPtr db_;
};

}  // namespace vigia::connectors
