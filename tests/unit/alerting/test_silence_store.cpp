#include <catch2/catch.hpp>

#include "support/test_paths.h"
#include "vigia/alerting/silence_store.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace std::chrono_literals;

namespace {

Alert make_alert() {
  Alert a;
  a.rule = "cartel-violence";
  a.category = "security";
  a.severity = "high";
  a.item.source = "el-universal";
  a.entities = {{"places", {"Michoacán"}}, {"cartels", {"CJNG"}}};
  return a;
}

Silence silence(std::vector<std::string_view> matchers, Timestamp starts, Timestamp ends) {
  Silence s;
  for (auto t : matchers) {
    auto m = Matcher::parse(t);
    REQUIRE(m.ok());
    s.matchers.push_back(*m);
  }
  s.starts_at = starts;
  s.ends_at = ends;
  s.created_by = "duty-officer";
  s.comment = "known story, already escalated";
  return s;
}

const Timestamp kT0 = *parse_rfc3339("2024-06-05T12:00:00Z");

}  // namespace

TEST_CASE("a silence applies between its start and end and only to matching alerts", "[alerting][silence]") {
  auto store = SilenceStore::open(nullptr);
  REQUIRE(store.ok());
  auto id = (*store)->add(silence({"places=Michoacán", "severity>=medium"}, kT0 + 1h, kT0 + 3h), kT0);
  REQUIRE(id.ok());
  CHECK(id->size() == 36);  // a UUID

  const Alert a = make_alert();
  CHECK_FALSE((*store)->is_silenced(a, kT0));  // pending
  CHECK((*store)->is_silenced(a, kT0 + 1h) == *id);
  CHECK((*store)->active_count(kT0 + 2h) == 1);
  CHECK_FALSE((*store)->is_silenced(a, kT0 + 3h));  // expired: ends_at is exclusive

  Alert other = make_alert();
  other.entities["places"] = {"Sonora"};
  CHECK_FALSE((*store)->is_silenced(other, kT0 + 2h));

  auto got = (*store)->get(*id);
  REQUIRE(got);
  CHECK(got->state(kT0) == SilenceState::kPending);
  CHECK(got->state(kT0 + 2h) == SilenceState::kActive);
  CHECK(got->state(kT0 + 4h) == SilenceState::kExpired);
}

TEST_CASE("the store rejects silences without matchers, reason or a future end", "[alerting][silence]") {
  auto store = SilenceStore::open(nullptr);
  REQUIRE(store.ok());
  auto& s = **store;
  CHECK(s.add(silence({}, kT0, kT0 + 1h), kT0).error().reason == "invalid");
  auto no_comment = silence({"rule=x"}, kT0, kT0 + 1h);
  no_comment.comment.clear();
  CHECK_FALSE(s.add(no_comment, kT0).ok());
  CHECK_FALSE(s.add(silence({"rule=x"}, kT0, kT0), kT0).ok());
  CHECK_FALSE(s.add(silence({"rule=x"}, kT0 - 2h, kT0 - 1h), kT0).ok());
  CHECK(s.list().empty());
}

TEST_CASE("expire ends a silence now and it stays listed until pruned", "[alerting][silence]") {
  auto store = SilenceStore::open(nullptr, 24h);
  REQUIRE(store.ok());
  auto& s = **store;
  auto id = s.add(silence({"cartels=CJNG"}, kT0, kT0 + 5h), kT0);
  REQUIRE(id.ok());
  CHECK(s.is_silenced(make_alert(), kT0 + 1h));

  CHECK(*s.expire(*id, kT0 + 1h) == SilenceStore::ExpireResult::kExpired);
  CHECK_FALSE(s.is_silenced(make_alert(), kT0 + 1h));
  CHECK(*s.expire(*id, kT0 + 2h) == SilenceStore::ExpireResult::kAlreadyExpired);
  CHECK(*s.expire("no-such-id", kT0) == SilenceStore::ExpireResult::kNotFound);
  REQUIRE(s.list().size() == 1);
  CHECK(s.list()[0].state(kT0 + 2h) == SilenceState::kExpired);

  CHECK(*s.prune(kT0 + 24h) == 0);  // ended at +1h; the grace runs to +25h
  CHECK(*s.prune(kT0 + 25h) == 1);
  CHECK(s.list().empty());
}

TEST_CASE("silences survive reopening the state database", "[alerting][silence]") {
  vigia::test::TempDir dir;
  std::string id;
  {
    auto db = StateDb::open(dir / "vigia.db");
    REQUIRE(db.ok());
    auto store = SilenceStore::open(*db);
    REQUIRE(store.ok());
    auto added = (*store)->add(silence({"places=~\"Mich.*\"", "comment=\"a \\\"q\\\"\nline\""}, kT0, kT0 + 2h), kT0);
    REQUIRE(added.ok());
    id = *added;
  }
  auto db = StateDb::open(dir / "vigia.db");
  REQUIRE(db.ok());
  auto store = SilenceStore::open(*db);
  REQUIRE(store.ok());
  auto got = (*store)->get(id);
  REQUIRE(got);
  REQUIRE(got->matchers.size() == 2);
  CHECK(got->matchers[0].to_string() == "places=~\"Mich.*\"");
  CHECK(got->matchers[1].value() == "a \"q\"\nline");
  CHECK(got->created_by == "duty-officer");
  CHECK(got->ends_at == kT0 + 2h);
  CHECK(got->origin == SilenceOrigin::kApi);
  Alert a = make_alert();
  a.entities.erase("cartels");
  CHECK_FALSE((*store)->is_silenced(a, kT0 + 1h));  // the comment label does not match
}

TEST_CASE("config silences keep a stable id and leave when the file drops them", "[alerting][silence]") {
  vigia::test::TempDir dir;
  auto db = StateDb::open(dir / "vigia.db");
  REQUIRE(db.ok());
  auto store = SilenceStore::open(*db);
  REQUIRE(store.ok());
  auto& s = **store;
  auto api = s.add(silence({"rule=other"}, kT0, kT0 + 1h), kT0);
  REQUIRE(api.ok());

  auto from_file = silence({"source=el-universal"}, Timestamp{}, kT0 + 48h);
  REQUIRE(s.apply_config({from_file}, kT0).ok());
  auto silenced = s.is_silenced(make_alert(), kT0);
  REQUIRE(silenced);
  CHECK(*silenced == config_silence_id(from_file));
  CHECK(*s.expire(*silenced, kT0) == SilenceStore::ExpireResult::kFromConfig);

  {  // a restart re-applies the same file: same id, nothing duplicated
    auto reopened = SilenceStore::open(*db);
    REQUIRE(reopened.ok());
    REQUIRE((*reopened)->apply_config({from_file}, kT0 + 1h).ok());
    CHECK((*reopened)->list().size() == 2);
    CHECK((*reopened)->is_silenced(make_alert(), kT0 + 1h) == *silenced);
  }
  REQUIRE(s.apply_config({}, kT0).ok());
  CHECK_FALSE(s.is_silenced(make_alert(), kT0));
  REQUIRE(s.list().size() == 1);
  CHECK(s.list()[0].id == *api);
}
