#include <catch2/catch.hpp>

#include "vigia/alerting/matcher.h"
#include "vigia/alerting/routing.h"

using namespace vigia;
using namespace vigia::alerting;
using Strings = std::vector<std::string>;

namespace {

Alert make_alert() {
  Alert a;
  a.rule = "cartel-violence";
  a.title = "Cartel violence";
  a.category = "security";
  a.severity = "high";
  a.tags = {"violence", "mx"};
  a.item.source = "el-universal";
  a.entities = {{"places", {"Michoacán", "Jalisco"}}, {"cartels", {"CJNG"}}};
  return a;
}

Matcher m(std::string_view text) {
  auto r = Matcher::parse(text);
  INFO(text);
  REQUIRE(r.ok());
  return *r;
}

RouteSpec route(std::vector<std::string_view> matchers, std::optional<Strings> receivers, bool cont = false) {
  RouteSpec r;
  for (auto t : matchers) r.matchers.push_back(m(t));
  r.receivers = std::move(receivers);
  r.continue_matching = cont;
  return r;
}

Router router(RoutingConfig c) {
  auto r = Router::make(std::move(c));
  REQUIRE(r.ok());
  return *r;
}

// 2024-06-05 is a Wednesday.
Timestamp at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

}  // namespace

TEST_CASE(
    "matchers compare scalar labels with equality, inequality and "
    "anchored regexes",
    "[alerting][routing]") {
  const Alert a = make_alert();
  CHECK(m("category=security").matches(a));
  CHECK_FALSE(m("category=politics").matches(a));
  CHECK(m("category!=politics").matches(a));
  CHECK(m("rule=~cartel-.*").matches(a));
  CHECK_FALSE(m("rule=~cartel").matches(a));  // anchored: must match the whole value
  CHECK(m("source!~\"^blog-.*\"").matches(a));
  CHECK(m("missing_scalar=\"\"").matches(a));
}

TEST_CASE("matchers on tags and entity lists hold when any value matches", "[alerting][routing]") {
  const Alert a = make_alert();
  CHECK(m("places=Michoacán").matches(a));
  CHECK(m("places=Jalisco").matches(a));
  CHECK_FALSE(m("places=Sonora").matches(a));
  CHECK(m("places!=Sonora").matches(a));
  CHECK_FALSE(m("places!=Jalisco").matches(a));
  CHECK(m("cartels=CJNG").matches(a));
  CHECK(m("places=~\"Mich.*\"").matches(a));
  CHECK(m("tags=mx").matches(a));
  CHECK_FALSE(m("tags=test").matches(a));
  CHECK(m("states=\"\"").matches(a));  // an absent list is ""
  CHECK_FALSE(m("states=Sonora").matches(a));
}

TEST_CASE("severity ordering matchers use the severity rank", "[alerting][routing]") {
  Alert a = make_alert();
  CHECK(m("severity>=high").matches(a));
  CHECK(m("severity>=medium").matches(a));
  CHECK_FALSE(m("severity>=critical").matches(a));
  CHECK(m("severity>medium").matches(a));
  CHECK(m("severity<critical").matches(a));
  CHECK(m("severity<=high").matches(a));
  a.severity = "bogus";
  CHECK_FALSE(m("severity>=info").matches(a));
}

TEST_CASE("bad matchers are rejected with a reason", "[alerting][routing]") {
  CHECK_FALSE(Matcher::parse("category").ok());
  CHECK_FALSE(Matcher::parse("=x").ok());
  CHECK_FALSE(Matcher::parse("places>=high").ok());
  CHECK_FALSE(Matcher::parse("severity>=urgent").ok());
  auto bad_regex = Matcher::parse("rule=~\"(unclosed\"");
  REQUIRE_FALSE(bad_regex.ok());
  CHECK(bad_regex.error().reason == "matcher");
  CHECK_FALSE(Matcher::parse("rule=\"unterminated").ok());
}

TEST_CASE("a matcher's text form reads back to the same matcher", "[alerting][routing]") {
  for (const char* text : {"places=~\"Mich.*\"", "comment=\"a \\\"quoted\\\" word\"", "tags!=x", "severity>=high"}) {
    const Matcher a = m(text);
    const Matcher b = m(a.to_string());
    CHECK(b.name() == a.name());
    CHECK(b.op() == a.op());
    CHECK(b.value() == a.value());
  }
  CHECK(m("comment=\"a \\\"quoted\\\" word\"").value() == "a \"quoted\" word");
}

TEST_CASE("the first matching child takes the alert and the root is the fallback", "[alerting][routing]") {
  RoutingConfig c;
  c.root.receivers = Strings{"default"};
  c.root.routes.push_back(route({"category=politics"}, Strings{"politics"}));
  c.root.routes.push_back(route({"severity>=high"}, Strings{"oncall"}));
  c.root.routes.push_back(route({"places=Michoacán"}, Strings{"michoacan"}));
  const Router r = router(c);
  const Timestamp now = at("2024-06-05T12:00:00Z");

  auto res = r.route(make_alert(), now);
  CHECK(res.receivers == Strings{"oncall"});
  CHECK(res.matched_routes == Strings{"1"});
  CHECK(res.muted.empty());

  Alert low = make_alert();
  low.severity = "low";
  low.entities.clear();
  CHECK(r.route(low, now).receivers == Strings{"default"});
  CHECK(r.route(low, now).matched_routes == Strings{""});
}

TEST_CASE(
    "continue lets later siblings take the alert too and receivers are "
    "deduplicated",
    "[alerting][routing]") {
  RoutingConfig c;
  c.root.receivers = Strings{"default"};
  c.root.routes.push_back(route({"severity>=high"}, Strings{"oncall", "archive"}, true));
  c.root.routes.push_back(route({"cartels=CJNG"}, Strings{"cartel-desk", "archive"}));
  c.root.routes.push_back(route({"tags=mx"}, Strings{"never"}));
  const auto res = router(c).route(make_alert(), at("2024-06-05T12:00:00Z"));
  CHECK(res.receivers == Strings{"oncall", "archive", "cartel-desk"});
  CHECK(res.matched_routes == Strings{"0", "1"});
}

TEST_CASE("nested routes inherit receivers and an empty list drops the alert", "[alerting][routing]") {
  RoutingConfig c;
  c.root.receivers = Strings{"default"};
  RouteSpec mx = route({"tags=mx"}, Strings{"mx-desk"});
  mx.routes.push_back(route({"places=Michoacán"}, std::nullopt));  // inherits mx-desk
  mx.routes.push_back(route({"places=Sonora"}, Strings{"sonora"}));
  c.root.routes.push_back(mx);
  RouteSpec drop = route({"category=spam"}, Strings{});
  c.root.routes.insert(c.root.routes.begin(), drop);
  const Router r = router(c);
  const Timestamp now = at("2024-06-05T12:00:00Z");

  auto res = r.route(make_alert(), now);
  CHECK(res.receivers == Strings{"mx-desk"});
  CHECK(res.matched_routes == Strings{"1.0"});

  Alert elsewhere = make_alert();
  elsewhere.entities["places"] = {"Oaxaca"};
  CHECK(r.route(elsewhere, now).receivers == Strings{"mx-desk"});  // no child matched: the node's own
  CHECK(r.route(elsewhere, now).matched_routes == Strings{"1"});

  Alert spam = make_alert();
  spam.category = "spam";
  const auto dropped = r.route(spam, now);
  CHECK(dropped.receivers.empty());
  CHECK(dropped.muted.empty());
}

TEST_CASE(
    "mute time intervals mute receivers at the injected time in the "
    "interval's offset",
    "[alerting][routing]") {
  RoutingConfig c;
  TimeInterval nights;
  nights.name = "nights-cdmx";
  nights.utc_offset = std::chrono::minutes(-6 * 60);
  TimeSpec spec;
  spec.times = {{22 * 60, 1440}, {0, 7 * 60}};
  spec.weekdays.set(1).set(2).set(3).set(4).set(5);  // monday..friday
  nights.specs.push_back(spec);
  TimeInterval weekends;
  weekends.name = "weekends";
  TimeSpec we;
  we.weekdays.set(0).set(6);
  weekends.specs.push_back(we);
  c.time_intervals = {nights, weekends};

  c.root.receivers = Strings{"default"};
  RouteSpec oncall = route({"severity>=high"}, Strings{"oncall"}, true);
  oncall.mute_time_intervals = Strings{"nights-cdmx"};
  RouteSpec mx = route({"tags=mx"}, Strings{"mx-desk"});
  mx.mute_time_intervals = Strings{"weekends", "nights-cdmx"};
  mx.routes.push_back(route({"cartels=CJNG"}, Strings{"cartel-desk"}));  // inherits both mutes
  RouteSpec unmuted = route({"places=Jalisco"}, Strings{"jalisco"});
  unmuted.mute_time_intervals = Strings{};  // clears the inherited list
  mx.routes.insert(mx.routes.begin(), unmuted);
  c.root.routes = {oncall, mx};
  const Router r = router(c);

  Alert a = make_alert();
  // Wednesday 12:00 in Mexico City (18:00Z): nothing muted.
  auto day = r.route(a, at("2024-06-05T18:00:00Z"));
  CHECK(day.receivers == Strings{"oncall", "jalisco"});
  CHECK(day.muted.empty());

  // Wednesday 23:30 in Mexico City is Thursday 05:30Z: the night interval
  // holds.
  auto night = r.route(a, at("2024-06-06T05:30:00Z"));
  CHECK(night.receivers == Strings{"jalisco"});
  REQUIRE(night.muted.size() == 1);
  CHECK(night.muted[0].receiver == "oncall");
  CHECK(night.muted[0].interval == "nights-cdmx");

  // Saturday noon: weekends mutes the inherited list of the cartel desk.
  a.entities["places"] = {"Michoacán"};
  auto weekend = r.route(a, at("2024-06-08T18:00:00Z"));
  CHECK(weekend.receivers == Strings{"oncall"});
  REQUIRE(weekend.muted.size() == 1);
  CHECK(weekend.muted[0].receiver == "cartel-desk");
  CHECK(weekend.muted[0].interval == "weekends");

  // 07:00 local on a weekday is outside [00:00, 07:00).
  CHECK(r.route(a, at("2024-06-05T13:00:00Z")).muted.empty());
}

TEST_CASE(
    "a receiver reached unmuted by another route is delivered once and "
    "not reported muted",
    "[alerting][routing]") {
  RoutingConfig c;
  TimeInterval always;
  always.name = "always";
  always.specs.push_back(TimeSpec{});
  c.time_intervals = {always};
  c.root.receivers = Strings{"default"};
  RouteSpec muted = route({"severity>=high"}, Strings{"shared"}, true);
  muted.mute_time_intervals = Strings{"always"};
  c.root.routes = {muted, route({"tags=mx"}, Strings{"shared"})};
  auto res = router(c).route(make_alert(), at("2024-06-05T12:00:00Z"));
  CHECK(res.receivers == Strings{"shared"});
  CHECK(res.muted.empty());
}

TEST_CASE("the router rejects unknown interval names and matchers on the root", "[alerting][routing]") {
  RoutingConfig c;
  c.root.receivers = Strings{"default"};
  RouteSpec r = route({"tags=mx"}, Strings{"x"});
  r.mute_time_intervals = Strings{"nope"};
  c.root.routes.push_back(r);
  auto made = Router::make(c);
  REQUIRE_FALSE(made.ok());
  CHECK_THAT(made.error().message, Catch::Contains("nope"));

  RoutingConfig rooted;
  rooted.root.matchers.push_back(m("tags=mx"));
  CHECK_FALSE(Router::make(rooted).ok());
}

TEST_CASE("time helpers parse clocks, weekdays and fixed UTC offsets", "[alerting][routing]") {
  CHECK(parse_clock_minutes("00:00") == 0);
  CHECK(parse_clock_minutes("24:00") == 1440);
  CHECK(parse_clock_minutes("07:30") == 450);
  CHECK_FALSE(parse_clock_minutes("24:01"));
  CHECK_FALSE(parse_clock_minutes("7:30"));
  CHECK(parse_weekday("Monday") == 1);
  CHECK(parse_weekday("sunday") == 0);
  CHECK_FALSE(parse_weekday("mon"));
  CHECK(parse_utc_offset("-06:00") == std::chrono::minutes(-360));
  CHECK(parse_utc_offset("+05:30") == std::chrono::minutes(330));
  CHECK(parse_utc_offset("UTC") == std::chrono::minutes(0));
  CHECK_FALSE(parse_utc_offset("America/Mexico_City"));
}
