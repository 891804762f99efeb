// Silences: "do not deliver alerts matching these matchers between two times,
// because ...". Created in the config file (`silences:`, re-applied on every
// start) or at run time through the admin API, and kept in the StateDb table
// `silences` so they survive restarts.
//
//   - A silence applies while starts_at <= now < ends_at and all its matchers
//   match (matcher.h).
//   - expire(id) ends a silence now instead of deleting it, so it still shows
//   (as expired) in
//     list(); expired silences are deleted for good `prune_after` after they
//     ended.
//   - Config silences get a stable id (a hash of their content), so an
//   unchanged entry keeps its id
//     across restarts; apply_config() removes config silences that left the
//     file and never touches API-made ones. API silences get a random UUID
//     (version 4).
//
// Thread-safety: every method may be called from any thread (the admin server's
// threads add and expire, the alert stage asks is_silenced); reads share a
// lock, writes take it alone. Failure: a StateDb error on a write is returned
// and the in-memory set is left unchanged; a store without a database (nullptr)
// works in memory only.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "vigia/alerting/matcher.h"
#include "vigia/core/result.h"
#include "vigia/core/state_db.h"
#include "vigia/core/time.h"

namespace vigia::alerting {

enum class SilenceState { kPending, kActive, kExpired };
std::string_view silence_state_name(SilenceState state);  // "pending", "active", "expired"

enum class SilenceOrigin { kConfig, kApi };

struct Silence {
  std::string id;  // assigned by the store when empty
  std::vector<Matcher> matchers;
  Timestamp starts_at{};
  Timestamp ends_at{};
  std::string created_by;
  std::string comment;  // the reason
  SilenceOrigin origin = SilenceOrigin::kApi;
  Timestamp created_at{};  // set by the store

  SilenceState state(Timestamp now) const;
  bool applies(const Alert& alert, Timestamp now) const;
};

class SilenceStore {
 public:
  static constexpr std::chrono::hours kDefaultPruneAfter{24 * 7};

  // Creates the table if needed and loads what it holds. `db` may be null
  // (memory only).
  static Result<std::unique_ptr<SilenceStore>> open(StateDbPtr db,
                                                    std::chrono::milliseconds prune_after = kDefaultPruneAfter);

  // Validates (at least one matcher, a non-empty comment and created_by,
  // ends_at after starts_at and after `now`), assigns the id (and created_at =
  // now) and stores it. Reason "invalid" for a bad silence, "state" for a
  // database error. Returns the id.
  Result<std::string> add(Silence silence, Timestamp now);

  // Makes the config's silences the set of config silences: adds new ones,
  // keeps unchanged ones (same id), deletes those no longer listed. API
  // silences are untouched. Invalid entries are the loader's business (it
  // reports them with positions); here they fail the whole call.
  Status apply_config(std::vector<Silence> silences, Timestamp now);

  enum class ExpireResult { kExpired, kAlreadyExpired, kNotFound, kFromConfig };
  // Ends an API silence now. Config silences cannot be expired here (the file
  // would bring them back on restart); that is kFromConfig.
  Result<ExpireResult> expire(const std::string& id, Timestamp now);

  // The id of the first silence that applies to `alert` at `now`, if any.
  std::optional<std::string> is_silenced(const Alert& alert, Timestamp now) const;

  // Every silence the store holds (pending, active, expired not yet pruned),
  // oldest first.
  std::vector<Silence> list() const;
  std::optional<Silence> get(const std::string& id) const;
  // How many are active at `now`, for a gauge.
  std::size_t active_count(Timestamp now) const;

  // Deletes silences that ended more than prune_after before `now`; returns how
  // many.
  Result<std::size_t> prune(Timestamp now);

 private:
  SilenceStore(StateDbPtr db, std::chrono::milliseconds prune_after) : db_(std::move(db)), prune_after_(prune_after) {}
  Status load();
  Status persist(const Silence& s);
  Status erase_row(const std::string& id);

  StateDbPtr db_;
  std::chrono::milliseconds prune_after_;
  mutable std::shared_mutex mu_;
  std::vector<Silence> silences_;
};

using SilenceStorePtr = std::shared_ptr<SilenceStore>;

// Validation shared by add() and the config loader: "" when fine, else what is
// wrong.
std::string validate_silence(const Silence& s);
// The stable id of a config silence: a hash of its matchers, times, author and
// comment.
std::string config_silence_id(const Silence& s);

}  // namespace vigia::alerting
