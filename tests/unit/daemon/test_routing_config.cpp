#include <catch2/catch.hpp>

#include "vigia/alerting/sink.h"
#include "vigia/connectors/connector.h"
#include "vigia/daemon/config.h"

using namespace vigia;
using namespace vigia::daemon;
using Strings = std::vector<std::string>;

namespace {

struct Registries {
  connectors::ConnectorRegistry connectors;
  alerting::SinkRegistry sinks;
  Registries() {
    connectors::register_builtin_connectors(connectors);
    alerting::register_builtin_sinks(sinks);
  }
};

constexpr const char* kBase = R"(rules: {paths: [packs]}
sinks:
  - {name: console, type: console}
  - {name: oncall, type: console}
  - {name: archive, type: file, path: alerts.jsonl}
  - {name: old, type: console, enabled: false}
)";

ConfigLoad load(const std::string& rest) {
  static const Registries r;
  return load_config_text("/etc/vigia/vigia.yaml", std::string(kBase) + rest, r.connectors, r.sinks);
}

std::string first_error(const ConfigLoad& c) {
  for (const auto& d : c.diagnostics.all()) {
    if (d.severity == DiagSeverity::kError) return format_diagnostic(d);
  }
  return {};
}

}  // namespace

TEST_CASE(
    "routing, time intervals, silences and api sections load into typed "
    "settings",
    "[daemon][config][routing]") {
  auto c = load(R"(api: {token_env: MY_TOKEN, token_file: secrets/api-token}
time_intervals:
  - name: nights
    utc_offset: "-06:00"
    weekdays: ["monday:friday"]
    times: ["22:00-24:00", {start: "00:00", end: "07:00"}]
  - name: weekends
    intervals:
      - weekdays: [saturday, sunday]
      - days_of_month: ["24:25"]
routing:
  receivers: [console]
  routes:
    - matchers: ["severity>=high"]
      receivers: [oncall, archive]
      continue: true
      mute_time_intervals: [nights]
    - matchers: ["places=Michoacán", "cartels=~\"CJNG|CDS\""]
      routes:
        - matchers: [tags=test]
          receivers: []
silences:
  - matchers: [source=el-blog]
    ends_at: "2030-01-01T00:00:00Z"
    comment: feed republishes old stories
)");
  INFO(c.diagnostics.to_text());
  REQUIRE(c.config);
  const auto& cfg = *c.config;
  CHECK(cfg.api.token_env == "MY_TOKEN");
  CHECK(cfg.api.token_file == "/etc/vigia/secrets/api-token");
  REQUIRE(cfg.routing);
  const auto& rc = *cfg.routing;
  REQUIRE(rc.time_intervals.size() == 2);
  CHECK(rc.time_intervals[0].utc_offset == std::chrono::minutes(-360));
  REQUIRE(rc.time_intervals[0].specs.size() == 1);
  CHECK(rc.time_intervals[0].specs[0].times.size() == 2);
  CHECK(rc.time_intervals[0].specs[0].weekdays.count() == 5);
  CHECK(rc.time_intervals[1].specs.size() == 2);
  CHECK(*rc.root.receivers == Strings{"console"});
  REQUIRE(rc.root.routes.size() == 2);
  CHECK(rc.root.routes[0].continue_matching);
  CHECK(*rc.root.routes[0].receivers == Strings{"oncall", "archive"});
  CHECK(*rc.root.routes[0].mute_time_intervals == Strings{"nights"});
  CHECK_FALSE(rc.root.routes[1].receivers);
  CHECK(rc.root.routes[1].matchers.size() == 2);
  CHECK(rc.root.routes[1].routes[0].receivers->empty());
  CHECK(alerting::Router::make(rc).ok());

  REQUIRE(cfg.silences.size() == 1);
  CHECK(cfg.silences[0].created_by == "config");
  CHECK(cfg.silences[0].origin == alerting::SilenceOrigin::kConfig);
}

TEST_CASE("routing errors carry file, line and column", "[daemon][config][routing]") {
  SECTION("an unknown receiver suggests the closest sink") {
    auto c = load("routing:\n  receivers: [consle]\n");
    CHECK_FALSE(c.config);
    CHECK_THAT(first_error(c), Catch::StartsWith("/etc/vigia/vigia.yaml:8:15: error[route.unknown-receiver]: "
                                                 "receiver 'consle' is not "
                                                 "a sink defined under 'sinks' (did you mean 'console'?)"));
  }
  SECTION("a bad matcher") {
    auto c = load(
        "routing:\n  receivers: [console]\n  routes:\n    - "
        "matchers: [\"places>=high\"]\n");
    CHECK_FALSE(c.config);
    CHECK_THAT(first_error(c), Catch::StartsWith("/etc/vigia/vigia.yaml:10:18: error[route.bad-matcher]: "
                                                 "operator >= only applies to severity"));
  }
  SECTION("an unknown time interval") {
    auto c = load("routing:\n  receivers: [console]\n  mute_time_intervals: [nigths]\n");
    CHECK_THAT(first_error(c), Catch::Contains("error[route.unknown-interval]"));
  }
  SECTION("an unknown route key") {
    auto c = load(
        "routing:\n  receivers: [console]\n  routes:\n    - "
        "matchers: [a=b]\n      recievers: [console]\n");
    CHECK_THAT(first_error(c), Catch::Contains("(did you mean 'receivers'?)"));
  }
  SECTION("a time range across midnight") {
    auto c = load(
        "time_intervals:\n  - name: n\n    times: "
        "[\"22:00-06:00\"]\nrouting: {receivers: [console]}\n");
    CHECK_THAT(first_error(c), Catch::Contains("error[interval.bad-value]"));
  }
  SECTION("a silence without an end") {
    auto c = load("silences:\n  - matchers: [a=b]\n    comment: x\n");
    CHECK_THAT(first_error(c), Catch::Contains("error[silence.missing-key]"));
  }
}

TEST_CASE("a route to a disabled sink is a warning and the sink is dropped", "[daemon][config][routing]") {
  auto c = load("routing:\n  receivers: [console, old]\n");
  INFO(c.diagnostics.to_text());
  REQUIRE(c.config);
  CHECK(*c.config->routing->root.receivers == Strings{"console"});
  CHECK_THAT(c.diagnostics.to_text(), Catch::Contains("warning[route.disabled-receiver]"));
}
