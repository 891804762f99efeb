#include "vigia/alerting/silence_store.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>

#include "vigia/core/hash.h"
#include "vigia/core/log.h"

namespace vigia::alerting {
namespace {

std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp from_millis(std::int64_t ms) { return Timestamp{std::chrono::milliseconds{ms}}; }

// One matcher per line, in Matcher::to_string() form (which escapes newlines in
// values).
std::string join_matchers(const std::vector<Matcher>& matchers) {
  std::string out;
  for (const auto& m : matchers) {
    if (!out.empty()) out += '\n';
    out += m.to_string();
  }
  return out;
}

std::string random_uuid() {
  // random_device reads the kernel's getrandom(); ids need to be unguessable
  // only in the sense that two daemons never collide, not secret.
  std::random_device rd;
  unsigned char b[16];
  for (std::size_t i = 0; i < sizeof b; i += 4) {
    const auto r = rd();
    for (std::size_t k = 0; k < 4; ++k) b[i + k] = static_cast<unsigned char>(r >> (8 * k));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

std::string_view origin_name(SilenceOrigin o) { return o == SilenceOrigin::kConfig ? "config" : "api"; }

}  // namespace

std::string_view silence_state_name(SilenceState state) {
  switch (state) {
    case SilenceState::kPending:
      return "pending";
    case SilenceState::kActive:
      return "active";
    case SilenceState::kExpired:
      return "expired";
  }
  return "expired";
}

SilenceState Silence::state(Timestamp now) const {
  if (now < starts_at) return SilenceState::kPending;
  if (now < ends_at) return SilenceState::kActive;
  return SilenceState::kExpired;
}

bool Silence::applies(const Alert& alert, Timestamp now) const {
  return state(now) == SilenceState::kActive && matches_all(matchers, alert);
}

std::string validate_silence(const Silence& s) {
  if (s.matchers.empty())
    return "a silence needs at least one matcher (an empty one would silence "
           "everything)";
  if (s.created_by.empty()) return "a silence needs createdBy (who made it)";
  if (s.comment.empty()) return "a silence needs a comment (why)";
  if (s.ends_at <= s.starts_at) return "a silence must end after it starts";
  return {};
}

std::string config_silence_id(const Silence& s) {
  std::string key = "config\n" + join_matchers(s.matchers) + "\n" + std::to_string(millis(s.starts_at)) + "\n" +
                    std::to_string(millis(s.ends_at)) + "\n" + s.created_by + "\n" + s.comment;
  return stable_id(key);
}

Result<std::unique_ptr<SilenceStore>> SilenceStore::open(StateDbPtr db, std::chrono::milliseconds prune_after) {
  std::unique_ptr<SilenceStore> store(new SilenceStore(std::move(db), prune_after));
  if (store->db_) {
    auto s = store->db_->exec(
        "CREATE TABLE IF NOT EXISTS silences ("
        " id TEXT PRIMARY KEY,"
        " matchers TEXT NOT NULL,"
        " starts_at INTEGER NOT NULL,"
        " ends_at INTEGER NOT NULL,"
        " created_by TEXT NOT NULL,"
        " comment TEXT NOT NULL,"
        " origin TEXT NOT NULL,"
        " created_at INTEGER NOT NULL)");
    if (!s.ok()) return s.error();
    if (auto l = store->load(); !l.ok()) return l.error();
  }
  return store;
}

Status SilenceStore::load() {
  std::vector<Silence> loaded;
  auto s = db_->query(
      "SELECT id, matchers, starts_at, ends_at, created_by, comment, origin, "
      "created_at FROM silences "
      "ORDER BY created_at, id",
      {}, [&](const StateDb::Row& row) {
        Silence sil;
        sil.id = std::get<std::string>(row[0]);
        const auto& text = std::get<std::string>(row[1]);
        std::size_t pos = 0;
        bool bad = false;
        while (pos <= text.size()) {
          const auto nl = std::min(text.find('\n', pos), text.size());
          auto m = Matcher::parse(std::string_view(text).substr(pos, nl - pos));
          if (!m.ok()) {
            // A row this build cannot read (e.g. written by a newer one): skip
            // it, say so, keep going.
            log::get("alerting")->warn("silence {}: ignoring stored matcher: {}", sil.id, m.error().message);
            bad = true;
            break;
          }
          sil.matchers.push_back(std::move(*m));
          pos = nl + 1;
        }
        if (bad) return;
        sil.starts_at = from_millis(std::get<std::int64_t>(row[2]));
        sil.ends_at = from_millis(std::get<std::int64_t>(row[3]));
        sil.created_by = std::get<std::string>(row[4]);
        sil.comment = std::get<std::string>(row[5]);
        sil.origin = std::get<std::string>(row[6]) == "config" ? SilenceOrigin::kConfig : SilenceOrigin::kApi;
        sil.created_at = from_millis(std::get<std::int64_t>(row[7]));
        loaded.push_back(std::move(sil));
      });
  if (!s.ok()) return s;
  std::unique_lock lock(mu_);
  silences_ = std::move(loaded);
  return ok_status();
}

Status SilenceStore::persist(const Silence& s) {
  if (!db_) return ok_status();
  return db_->query(
      "INSERT OR REPLACE INTO silences (id, matchers, starts_at, "
      "ends_at, created_by, comment, origin, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      {s.id, join_matchers(s.matchers), millis(s.starts_at), millis(s.ends_at), s.created_by, s.comment,
       std::string(origin_name(s.origin)), millis(s.created_at)});
}

Status SilenceStore::erase_row(const std::string& id) {
  if (!db_) return ok_status();
  return db_->query("DELETE FROM silences WHERE id = ?1", {id});
}

Result<std::string> SilenceStore::add(Silence silence, Timestamp now) {
  if (auto why = validate_silence(silence); !why.empty()) return make_error("invalid", why);
  if (silence.ends_at <= now)
    return make_error("invalid", "the silence would already have ended (endsAt is in the past)");
  silence.created_at = now;
  if (silence.id.empty()) {
    silence.id = silence.origin == SilenceOrigin::kConfig ? config_silence_id(silence) : random_uuid();
  }
  std::unique_lock lock(mu_);
  if (auto s = persist(silence); !s.ok()) return s.error();
  auto it = std::find_if(silences_.begin(), silences_.end(), [&](const Silence& x) { return x.id == silence.id; });
  if (it != silences_.end()) {
    *it = silence;
  } else {
    silences_.push_back(silence);
  }
  return silence.id;
}

Status SilenceStore::apply_config(std::vector<Silence> silences, Timestamp now) {
  std::set<std::string> wanted;
  for (auto& s : silences) {
    if (auto why = validate_silence(s); !why.empty()) return make_error("invalid", why);
    s.origin = SilenceOrigin::kConfig;
    s.id = config_silence_id(s);
    wanted.insert(s.id);
  }
  std::unique_lock lock(mu_);
  // Drop config silences that left the file.
  for (auto it = silences_.begin(); it != silences_.end();) {
    if (it->origin == SilenceOrigin::kConfig && wanted.count(it->id) == 0) {
      if (auto s = erase_row(it->id); !s.ok()) return s;
      it = silences_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& s : silences) {
    const bool known = std::any_of(silences_.begin(), silences_.end(), [&](const Silence& x) { return x.id == s.id; });
    if (known) continue;  // unchanged: keeps its id and created_at
    s.created_at = now;
    if (auto st = persist(s); !st.ok()) return st;
    silences_.push_back(std::move(s));
  }
  return ok_status();
}

Result<SilenceStore::ExpireResult> SilenceStore::expire(const std::string& id, Timestamp now) {
  std::unique_lock lock(mu_);
  auto it = std::find_if(silences_.begin(), silences_.end(), [&](const Silence& x) { return x.id == id; });
  if (it == silences_.end()) return ExpireResult::kNotFound;
  if (it->origin == SilenceOrigin::kConfig) return ExpireResult::kFromConfig;
  if (it->state(now) == SilenceState::kExpired) return ExpireResult::kAlreadyExpired;
  Silence updated = *it;
  updated.ends_at = now;
  if (updated.starts_at > now) updated.starts_at = now;  // a pending one ends before it began
  if (auto s = persist(updated); !s.ok()) return s.error();
  *it = std::move(updated);
  return ExpireResult::kExpired;
}

std::optional<std::string> SilenceStore::is_silenced(const Alert& alert, Timestamp now) const {
  std::shared_lock lock(mu_);
  for (const auto& s : silences_) {
    if (s.applies(alert, now)) return s.id;
  }
  return std::nullopt;
}

std::vector<Silence> SilenceStore::list() const {
  std::shared_lock lock(mu_);
  return silences_;
}

std::optional<Silence> SilenceStore::get(const std::string& id) const {
  std::shared_lock lock(mu_);
  for (const auto& s : silences_) {
    if (s.id == id) return s;
  }
  return std::nullopt;
}

std::size_t SilenceStore::active_count(Timestamp now) const {
  std::shared_lock lock(mu_);
  return static_cast<std::size_t>(std::count_if(
      silences_.begin(), silences_.end(), [&](const Silence& s) { return s.state(now) == SilenceState::kActive; }));
}

Result<std::size_t> SilenceStore::prune(Timestamp now) {
  std::unique_lock lock(mu_);
  std::size_t n = 0;
  for (auto it = silences_.begin(); it != silences_.end();) {
    // Config silences stay while the file lists them; apply_config() removes
    // them.
    if (it->origin == SilenceOrigin::kApi && it->ends_at + prune_after_ <= now) {
      if (auto s = erase_row(it->id); !s.ok()) return s.error();
      it = silences_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace vigia::alerting
