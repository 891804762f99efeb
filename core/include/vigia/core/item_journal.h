// ItemJournal: the items the embedded pipeline has taken on but not finished with, kept in the
// StateDb, so that `kill -9` at any moment loses no alert. The in-process bus forgets everything
// when the process dies, while the connectors have already marked those items as seen; the
// journal is what brings them back.
//
//   ingest  add(item id, item record)  before the item is published (and marked seen)
//   score   done(item id)              when the item matched nothing (or could not be decoded)
//   alert   done(item id)              when the item's hit record is committed: every alert made
//                                      from it was delivered, dead-lettered or suppressed
//   start   replay()                   publishes what is still in the journal, oldest first,
//                                      before the connectors start
//
// Delivery is thus at least once: an alert that was delivered just before the kill is sent
// again after the restart, with the same alert id and sequence (stories remember their
// decisions), so receivers drop it by its webhook-id.
//
// Thread-safety: every method may be called from any thread. Failure: add() returns the
// StateDb's error (the caller decides whether to publish anyway); done() logs and counts
// failures — the worst outcome is an item replayed once more.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "vigia/core/result.h"
#include "vigia/core/state_db.h"

namespace vigia {

class ItemJournal {
 public:
  static Result<std::shared_ptr<ItemJournal>> open(StateDbPtr db);

  Status add(std::string_view key, std::string_view record);
  void done(std::string_view key) noexcept;
  // Calls `publish(key, record)` for every entry, oldest first; stops at the first failure.
  Status replay(const std::function<Status(const std::string& key, const std::string& record)>& publish);
  std::size_t pending() const;

 private:
  explicit ItemJournal(StateDbPtr db) : db_(std::move(db)) {}
  StateDbPtr db_;
};

using ItemJournalPtr = std::shared_ptr<ItemJournal>;

}  // namespace vigia
