#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <set>
#include <tuple>

#include <simdjson.h>

#include "alerting_test_util.h"
#include "support/loopback_server.h"
#include "support/test_paths.h"
#include "vigia/alerting/alert_stage.h"
#include "vigia/core/clock.h"
#include "vigia/core/codec.h"
#include "vigia/core/hash.h"
#include "vigia/core/memory_bus.h"
#include "vigia/core/metrics.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace vigia::alerting::test;
using vigia::test::CannedResponse;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;
using vigia::test::TempDir;

namespace {

using Sinks = std::vector<std::pair<SinkSpec, SinkPtr>>;

// What every stage test needs: a bus, a registry and a fixed clock.
struct Harness {
  MemoryBus bus;
  MetricsRegistry metrics;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(at("2024-05-03T12:05:00Z"));
  TempDir dir;

  AlertStageOptions options() const {
    AlertStageOptions o;
    o.dead_letter_path = dir / "dlq/dead-letters.jsonl";
    o.shutdown_grace = std::chrono::milliseconds{2000};
    return o;
  }

  void publish(const Hit& hit) { REQUIRE(bus.publish(topics::kHits, hit.item.id, encode_hit(hit)).ok()); }

  // The daemon's shutdown order: close the input, then drain the stage.
  void close_and_drain(AlertStage& stage) {
    bus.close_topic(topics::kHits);
    stage.drain_and_stop();
  }

  std::string metrics_text() const { return serialize_metrics(metrics); }
  std::vector<std::string> dead_letters() const { return read_lines((dir / "dlq/dead-letters.jsonl").string()); }
};

// A spec for a ScriptedSink (no kind, no settings): just the routing and retry knobs.
SinkSpec scripted_spec(const std::string& name, const std::string& min_severity = "info",
                       std::vector<std::string> categories = {}, RetryPolicy retry = fast_retry(3)) {
  SinkSpec spec;
  spec.name = name;
  spec.type = "scripted";
  spec.min_severity = min_severity;
  spec.categories = std::move(categories);
  spec.retry = retry;
  return spec;
}

// One hit with a single "high" match, so each published hit makes exactly one alert.
Hit single_match_hit(const std::string& item_id) {
  Hit hit = sample_hit(item_id);
  hit.matches.resize(1);
  return hit;
}

// A receiver that answers each request with the next status of `statuses` (the last one repeats).
LoopbackServer::Handler statuses(std::vector<int> codes,
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto next = std::make_shared<std::atomic<std::size_t>>(0);
  return [codes, headers, next](const ReceivedRequest&) {
    const std::size_t i = std::min(next->fetch_add(1), codes.size() - 1);
    return CannedResponse{codes[i], "", "text/plain", headers};
  };
}

struct DeadLetterView {
  std::string sink, reason, message, alert_id;
  std::int64_t attempts = -1;
};

DeadLetterView parse_dead_letter(const std::string& line) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
  DeadLetterView v;
  std::string_view s;
  if (doc["sink"].get_string().get(s) == simdjson::SUCCESS) v.sink = s;
  if (doc["reason"].get_string().get(s) == simdjson::SUCCESS) v.reason = s;
  if (doc["message"].get_string().get(s) == simdjson::SUCCESS) v.message = s;
  if (doc.at_pointer("/alert/id").get_string().get(s) == simdjson::SUCCESS) v.alert_id = s;
  REQUIRE(doc["attempts"].get_int64().get(v.attempts) == simdjson::SUCCESS);
  std::string_view when;
  REQUIRE(doc["dead_lettered_at"].get_string().get(when) == simdjson::SUCCESS);
  CHECK(when == "2024-05-03T12:05:00Z");
  return v;
}

}  // namespace

TEST_CASE("alert stage delivers every alert of published hits to a webhook and commits the records",
          "[alerting][stage]") {
  Harness h;
  LoopbackServer receiver;
  receiver.on("POST", "/hook", statuses({200}));
  Sinks sinks;
  SinkSpec spec = webhook_spec("ops-webhook", receiver.url("/hook"));
  sinks.emplace_back(spec, create_sink(spec));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();

  h.publish(sample_hit("item-1"));  // two rules fired: two alerts
  h.publish(sample_hit("item-2"));
  h.close_and_drain(stage);

  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 4);
  std::set<std::string> ids;
  for (const auto& r : requests) ids.insert(r.header("webhook-id"));
  CHECK(ids == std::set<std::string>{stable_id("cjng-activity\nitem-1"), stable_id("huachicol\nitem-1"),
                                     stable_id("cjng-activity\nitem-2"), stable_id("huachicol\nitem-2")});
  CHECK(h.bus.pending(topics::kHits) == 0);
  CHECK(h.dead_letters().empty());

  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_hits_received_total") == 2);
  CHECK(metric_value(text, "vigia_alerting_alerts_sent_total", {{"sink", "ops-webhook"}}) == 4);
  CHECK(metric_value(text, "vigia_alerting_delivery_retries_total", {{"sink", "ops-webhook"}}) == 0);
  CHECK(metric_value(text, "vigia_alerting_queue_depth", {{"sink", "ops-webhook"}}) == 0);
  CHECK(metric_value(text, "vigia_alerting_delivery_latency_seconds_count", {{"sink", "ops-webhook"}}) == 4);
}

TEST_CASE("a receiver answering 500 then 200 gets the alert again after exactly one retry", "[alerting][stage]") {
  Harness h;
  LoopbackServer receiver;
  receiver.on("POST", "/hook", statuses({500, 200}));
  Sinks sinks;
  SinkSpec spec = webhook_spec("hook", receiver.url("/hook"), fast_retry(5));
  sinks.emplace_back(spec, create_sink(spec));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  h.publish(single_match_hit("item-1"));
  h.close_and_drain(stage);

  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("webhook-id") == requests[1].header("webhook-id"));  // same idempotency key
  CHECK(requests[0].body == requests[1].body);
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_alerts_sent_total", {{"sink", "hook"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_delivery_retries_total", {{"sink", "hook"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_alerts_failed_total", {{"sink", "hook"}, {"reason", "http_5xx"}}) == -1);
  CHECK(h.dead_letters().empty());
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("a 429 with Retry-After holds the retry back at least that long", "[alerting][stage]") {
  Harness h;
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  auto answer = statuses({429, 200}, {{"Retry-After", "1"}});
  LoopbackServer receiver;  // declared last: its handler uses the three above
  receiver.on("POST", "/hook", [&](const ReceivedRequest& r) {
    {
      std::lock_guard lock(mu);
      arrivals.push_back(std::chrono::steady_clock::now());
    }
    return answer(r);
  });
  Sinks sinks;
  // Without Retry-After the retry would come within 5 ms.
  SinkSpec spec = webhook_spec("hook", receiver.url("/hook"),
                               fast_retry(3, std::chrono::milliseconds{5}, std::chrono::milliseconds{5000}));
  sinks.emplace_back(spec, create_sink(spec));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  h.publish(single_match_hit("item-1"));
  REQUIRE(receiver.wait_for("/hook", 2, std::chrono::milliseconds{5000}) == 2);
  h.close_and_drain(stage);

  std::lock_guard lock(mu);
  REQUIRE(arrivals.size() == 2);
  CHECK(arrivals[1] - arrivals[0] >= std::chrono::milliseconds{950});
  CHECK(metric_value(h.metrics_text(), "vigia_alerting_alerts_sent_total", {{"sink", "hook"}}) == 1);
}

TEST_CASE("a 400 from the receiver dead-letters the alert at once with the reason", "[alerting][stage]") {
  Harness h;
  LoopbackServer receiver;
  receiver.on("POST", "/hook", statuses({400}));
  Sinks sinks;
  SinkSpec spec = webhook_spec("hook", receiver.url("/hook"), fast_retry(5));
  sinks.emplace_back(spec, create_sink(spec));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  h.publish(single_match_hit("item-1"));
  h.close_and_drain(stage);

  CHECK(receiver.requests().size() == 1);  // a rejection is never retried
  const auto lines = h.dead_letters();
  REQUIRE(lines.size() == 1);
  const DeadLetterView dl = parse_dead_letter(lines[0]);
  CHECK(dl.sink == "hook");
  CHECK(dl.reason == "http_4xx");
  CHECK(dl.attempts == 1);
  CHECK(dl.message.find("HTTP 400") != std::string::npos);
  CHECK(dl.alert_id == stable_id("cjng-activity\nitem-1"));
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_alerts_failed_total", {{"sink", "hook"}, {"reason", "http_4xx"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_alerts_sent_total", {{"sink", "hook"}}) == 0);
  CHECK(h.bus.pending(topics::kHits) == 0);  // a dead-lettered alert still releases its record
}

TEST_CASE("an unreachable receiver is dead-lettered after max_attempts with reason connect", "[alerting][stage]") {
  Harness h;
  std::string url;
  {
    LoopbackServer gone;
    url = gone.url("/hook");
  }  // stopped: the port now refuses connections
  Sinks sinks;
  SinkSpec spec = webhook_spec("hook", url, fast_retry(3));
  sinks.emplace_back(spec, create_sink(spec));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  h.publish(single_match_hit("item-1"));
  h.close_and_drain(stage);

  const auto lines = h.dead_letters();
  REQUIRE(lines.size() == 1);
  const DeadLetterView dl = parse_dead_letter(lines[0]);
  CHECK(dl.reason == "connect");
  CHECK(dl.attempts == 3);
  CHECK(dl.message.find("/hook") == std::string::npos);  // the URL path is a secret
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_delivery_retries_total", {{"sink", "hook"}}) == 2);
  CHECK(metric_value(text, "vigia_alerting_alerts_failed_total", {{"sink", "hook"}, {"reason", "connect"}}) == 1);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("alerts are routed to sinks by min_severity and categories", "[alerting][stage]") {
  Harness h;
  auto everything = std::make_unique<ScriptedSink>(always(Delivery::kDelivered));
  auto urgent = std::make_unique<ScriptedSink>(always(Delivery::kDelivered));
  auto fuel_desk = std::make_unique<ScriptedSink>(always(Delivery::kDelivered));
  auto all_state = everything->state();
  auto urgent_state = urgent->state();
  auto fuel_state = fuel_desk->state();

  const SinkSpec all_spec = scripted_spec("all");
  const SinkSpec urgent_spec = scripted_spec("urgent", "high");
  const SinkSpec fuel_spec = scripted_spec("fuel-desk", "info", {"fuel-theft", "extortion"});
  Sinks sinks;
  sinks.emplace_back(all_spec, std::move(everything));
  sinks.emplace_back(urgent_spec, std::move(urgent));
  sinks.emplace_back(fuel_spec, std::move(fuel_desk));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  h.publish(sample_hit("item-1"));  // cjng-activity: high/cartels, huachicol: low/fuel-theft
  h.close_and_drain(stage);

  auto rules = [](const std::shared_ptr<ScriptedSink::State>& s) {
    std::lock_guard lock(s->mu);
    std::multiset<std::string> out;
    for (const auto& a : s->alerts) out.insert(a.rule);
    return out;
  };
  CHECK(rules(all_state) == std::multiset<std::string>{"cjng-activity", "huachicol"});
  CHECK(rules(urgent_state) == std::multiset<std::string>{"cjng-activity"});
  CHECK(rules(fuel_state) == std::multiset<std::string>{"huachicol"});
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_alerts_discarded_total", {{"sink", "urgent"}, {"reason", "route"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_alerts_discarded_total", {{"sink", "fuel-desk"}, {"reason", "route"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_alerts_discarded_total", {{"sink", "all"}, {"reason", "route"}}) == -1);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("a muted receiver is counted per sink, and an alert every receiver of which was muted once",
          "[alerting][stage]") {
  Harness h;
  auto all = std::make_unique<ScriptedSink>(always(Delivery::kDelivered));
  auto all_state = all->state();
  Sinks sinks;
  sinks.emplace_back(scripted_spec("all"), std::move(all));
  sinks.emplace_back(scripted_spec("urgent"), std::make_unique<ScriptedSink>(always(Delivery::kDelivered)));

  RoutingConfig routing;
  TimeInterval always_on;  // no weekdays or times: it always holds
  always_on.name = "always";
  always_on.specs.push_back(TimeSpec{});
  routing.time_intervals = {always_on};
  routing.root.receivers = std::vector<std::string>{"all"};
  RouteSpec urgent;
  urgent.matchers.push_back(*Matcher::parse("rule=cjng-activity"));
  urgent.receivers = std::vector<std::string>{"urgent"};
  urgent.mute_time_intervals = std::vector<std::string>{"always"};
  routing.root.routes = {urgent};
  auto router = Router::make(routing);
  REQUIRE(router.ok());
  AlertStageOptions options = h.options();
  options.router = std::make_shared<const Router>(std::move(*router));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, options);
  stage.start();
  h.publish(sample_hit("item-1"));  // cjng-activity goes to the muted "urgent", huachicol to "all"
  h.close_and_drain(stage);

  {
    std::lock_guard lock(all_state->mu);
    REQUIRE(all_state->alerts.size() == 1);
    CHECK(all_state->alerts[0].rule == "huachicol");
  }
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_alerts_discarded_total", {{"sink", "urgent"}, {"reason", "mute"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_alerts_discarded_total", {{"sink", "urgent"}, {"reason", "route"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_alerts_discarded_total", {{"sink", "all"}, {"reason", "route"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_suppressed_total", {{"reason", "mute"}}) == 1);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("an undecodable hit record is counted, committed and skipped while later hits still alert",
          "[alerting][stage]") {
  Harness h;
  auto sink = std::make_unique<ScriptedSink>(always(Delivery::kDelivered));
  auto state = sink->state();
  Sinks sinks;
  sinks.emplace_back(scripted_spec("screen"), std::move(sink));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  REQUIRE(h.bus.publish(topics::kHits, "bad", "this is not JSON {").ok());
  REQUIRE(h.bus.publish(topics::kHits, "v99", R"({"v":99,"item":{"id":"x"}})").ok());
  h.publish(single_match_hit("item-1"));
  h.close_and_drain(stage);

  {
    std::lock_guard lock(state->mu);
    REQUIRE(state->alerts.size() == 1);
    CHECK(state->alerts[0].item.id == "item-1");
  }
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_errors_total", {{"reason", "json"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_errors_total", {{"reason", "version"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_hits_received_total") == 3);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("drain_and_stop dead-letters alerts still retrying when the grace period ends", "[alerting][stage]") {
  Harness h;
  LoopbackServer receiver;
  receiver.on("POST", "/hook", statuses({503}));
  Sinks sinks;
  SinkSpec spec = webhook_spec("hook", receiver.url("/hook"),
                               fast_retry(1000, std::chrono::milliseconds{20}, std::chrono::milliseconds{60'000}));
  sinks.emplace_back(spec, create_sink(spec));
  AlertStageOptions options = h.options();
  options.shutdown_grace = std::chrono::milliseconds{300};
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, options);
  stage.start();
  h.publish(single_match_hit("item-1"));
  h.publish(single_match_hit("item-2"));
  REQUIRE(receiver.wait_for("/hook", 2, std::chrono::milliseconds{5000}) >= 2);

  const auto started = std::chrono::steady_clock::now();
  h.close_and_drain(stage);
  const auto took = std::chrono::steady_clock::now() - started;
  // The grace is 300 ms; a retry may have been scheduled up to a minute out.
  CHECK(took >= std::chrono::milliseconds{300});
  CHECK(took < std::chrono::milliseconds{2500});

  const auto lines = h.dead_letters();
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) {
    const DeadLetterView dl = parse_dead_letter(line);
    CHECK(dl.reason == "shutdown");
    CHECK(dl.attempts >= 1);
    CHECK(dl.message.find("http_5xx") != std::string::npos);
  }
  CHECK(metric_value(h.metrics_text(), "vigia_alerting_alerts_failed_total",
                     {{"sink", "hook"}, {"reason", "shutdown"}}) == 2);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("a sink that throws is retried and counted and its worker keeps delivering", "[alerting][stage]") {
  Harness h;
  auto sink = std::make_unique<ScriptedSink>([](const Alert&, int call) -> DeliveryResult {
    if (call == 1) throw std::runtime_error("renderer bug");
    return {};
  });
  auto state = sink->state();
  Sinks sinks;
  sinks.emplace_back(scripted_spec("flaky", "info", {}, fast_retry(3)), std::move(sink));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  h.publish(single_match_hit("item-1"));
  h.publish(single_match_hit("item-2"));
  h.close_and_drain(stage);

  CHECK(state->wait_calls(3) == 3);
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_errors_total", {{"reason", "exception"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_alerts_sent_total", {{"sink", "flaky"}}) == 2);
  CHECK(h.dead_letters().empty());
}

TEST_CASE("a blocked sink stops the stage from polling beyond max_records_in_flight", "[alerting][stage]") {
  Harness h;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto sink = std::make_unique<ScriptedSink>([released](const Alert&, int) {
    released.wait();
    return DeliveryResult{};
  });
  auto state = sink->state();
  Sinks sinks;
  sinks.emplace_back(scripted_spec("slow"), std::move(sink));
  AlertStageOptions options = h.options();
  options.max_records_in_flight = 2;
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, options);
  for (int i = 0; i < 5; ++i) h.publish(single_match_hit("item-" + std::to_string(i)));
  stage.start();

  REQUIRE(state->wait_calls(1) == 1);
  CHECK(eventually([&] { return h.bus.depth(topics::kHits) == 3; }));
  // Give a stage that ignored the limit time to poll more; a correct one stays at 3.
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  CHECK(h.bus.depth(topics::kHits) == 3);

  release.set_value();
  h.close_and_drain(stage);
  CHECK(state->wait_calls(5) == 5);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("a stage destroyed without draining leaves unfinished records on the bus", "[alerting][stage]") {
  Harness h;
  auto sink = std::make_unique<ScriptedSink>(always(Delivery::kRetry, "http_5xx"));
  auto state = sink->state();
  {
    Sinks sinks;
    sinks.emplace_back(
        scripted_spec("down", "info", {},
                      fast_retry(1000, std::chrono::milliseconds{10'000}, std::chrono::milliseconds{10'000})),
        std::move(sink));
    AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
    stage.start();
    h.publish(single_match_hit("item-1"));
    REQUIRE(state->wait_calls(1) == 1);
  }  // destroyed while the alert waits ~10 s for its retry: must not wait for it
  CHECK(h.bus.pending(topics::kHits) == 1);  // redelivered to the next run, not lost
  CHECK(h.dead_letters().empty());
}

TEST_CASE("alert stage refuses duplicate sink names and unknown severities", "[alerting][stage]") {
  Harness h;
  auto make = [] { return std::make_unique<ScriptedSink>(always(Delivery::kDelivered)); };
  {
    Sinks sinks;
    sinks.emplace_back(scripted_spec("a"), make());
    sinks.emplace_back(scripted_spec("a"), make());
    CHECK_THROWS_WITH(AlertStage(std::move(sinks), h.bus, h.metrics, h.clock, h.options()),
                      Catch::Contains("two sinks named 'a'"));
  }
  {
    Sinks sinks;
    sinks.emplace_back(scripted_spec("a", "urgent"), make());
    CHECK_THROWS_WITH(AlertStage(std::move(sinks), h.bus, h.metrics, h.clock, h.options()),
                      Catch::Contains("min_severity 'urgent'"));
  }
}

TEST_CASE("failures in a row open a sink's circuit: no attempt during the cool-down, then one trial closes it",
          "[alerting][stage][circuit]") {
  Harness h;
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> calls;
  auto sink = std::make_unique<ScriptedSink>([&](const Alert&, int call) {
    {
      std::lock_guard lock(mu);
      calls.push_back(std::chrono::steady_clock::now());
    }
    // Three failures, then the receiver is back.
    return call <= 3 ? DeliveryResult{Delivery::kRetry, "http_5xx", "503", std::nullopt}
                     : DeliveryResult{Delivery::kDelivered, "", "", std::nullopt};
  });
  auto state = sink->state();
  RetryPolicy retry = fast_retry(10);
  retry.circuit_failures = 3;
  retry.circuit_cooldown = 400ms;
  Sinks sinks;
  sinks.emplace_back(scripted_spec("flaky", "info", {}, retry), std::move(sink));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  h.publish(single_match_hit("item-1"));
  REQUIRE(state->wait_calls(3) >= 3);
  // While open, the gauge says so and nothing is attempted.
  CHECK(eventually([&] {
    return metric_value(h.metrics_text(), "vigia_alerting_circuit_state", {{"sink", "flaky"}, {"state", "open"}}) == 1;
  }));
  CHECK(metric_value(h.metrics_text(), "vigia_alerting_circuit_state", {{"sink", "flaky"}, {"state", "closed"}}) == 0);
  REQUIRE(state->wait_calls(4) == 4);
  h.close_and_drain(stage);
  {
    std::lock_guard lock(mu);
    REQUIRE(calls.size() == 4);
    // Retries before the third failure are 5-20 ms apart; the trial waits out the cool-down.
    CHECK(calls[3] - calls[2] >= 400ms);
  }
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_circuit_opens_total", {{"sink", "flaky"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_circuit_state", {{"sink", "flaky"}, {"state", "closed"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_circuit_state", {{"sink", "flaky"}, {"state", "open"}}) == 0);
  CHECK(metric_value(text, "vigia_alerting_circuit_state", {{"sink", "flaky"}, {"state", "half_open"}}) == 0);
  CHECK(metric_value(text, "vigia_alerting_alerts_sent_total", {{"sink", "flaky"}}) == 1);
  CHECK(h.dead_letters().empty());
}

TEST_CASE("an alert older than max_age is dead-lettered instead of tried again", "[alerting][stage]") {
  Harness h;
  auto clock = h.clock;
  // The receiver fails, and by the time of the retry two hours have passed.
  auto sink = std::make_unique<ScriptedSink>([clock](const Alert&, int) {
    clock->advance(std::chrono::hours(2));
    return DeliveryResult{Delivery::kRetry, "timeout", "no answer", std::nullopt};
  });
  auto state = sink->state();
  RetryPolicy retry = fast_retry(10);
  retry.max_age = std::chrono::hours(1);
  Sinks sinks;
  sinks.emplace_back(scripted_spec("slow", "info", {}, retry), std::move(sink));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  h.publish(single_match_hit("item-1"));
  h.close_and_drain(stage);
  CHECK(state->calls == 1);
  const auto letters = h.dead_letters();
  REQUIRE(letters.size() == 1);
  CHECK_THAT(letters[0], Catch::Contains(R"("reason":"max_age")"));
  CHECK_THAT(letters[0], Catch::Contains("last timeout: no answer"));
  CHECK(metric_value(h.metrics_text(), "vigia_alerting_alerts_failed_total",
                     {{"sink", "slow"}, {"reason", "max_age"}}) == 1);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

namespace {

// One event as five outlets reported it (each its own wording), as hits of one rule.
Hit outlet_hit(int n) {
  static const std::vector<std::tuple<std::string, std::string, std::string>> kOutlets = {
      {"El Universal", "Hombres armados reparten despensas con el logo del CJNG en Tecalitlán",
       "Vecinos de Tecalitlán, Jalisco, recibieron despensas con el logotipo del CJNG entregadas por hombres armados."},
      {"Milenio", "Reparten despensas del CJNG en Tecalitlán, Jalisco",
       "Hombres armados entregaron despensas con el logo del Cártel Jalisco Nueva Generación a vecinos de Tecalitlán."},
      {"Proceso", "CJNG entrega despensas a vecinos de Tecalitlán",
       "Sujetos armados repartieron despensas marcadas con las siglas del CJNG entre vecinos de Tecalitlán, Jalisco."},
      {"La Jornada", "En Tecalitlán, hombres armados del CJNG reparten despensas",
       "Las despensas llevaban el logo del CJNG; vecinos de Tecalitlán, Jalisco, dijeron que hombres armados las "
       "dejaron."},
      {"Reforma", "Despensas con logo del CJNG llegan a Tecalitlán",
       "Hombres armados repartieron despensas con el logo del CJNG a vecinos de Tecalitlán, en Jalisco."}};
  const auto& [source, title, summary] = kOutlets.at(static_cast<std::size_t>(n));
  Hit hit = single_match_hit("outlet-item-" + std::to_string(n));
  hit.item.source = source;
  hit.item.title = title;
  hit.item.summary = summary;
  hit.matches[0].rule = "cartel-aid-boxes";
  return hit;
}

std::shared_ptr<StoryGrouper> grouper(const Harness& h, StoryOptions o) {
  auto g = StoryGrouper::open(std::move(o), h.clock, nullptr);
  REQUIRE(g.ok());
  return std::shared_ptr<StoryGrouper>(std::move(*g));
}

std::vector<std::string> received_sources(const std::string& body, std::uint64_t& sequence, std::string& id) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(body).get(doc) == simdjson::SUCCESS);
  REQUIRE(doc["sequence"].get_uint64().get(sequence) == simdjson::SUCCESS);
  std::string_view sv;
  REQUIRE(doc["id"].get_string().get(sv) == simdjson::SUCCESS);
  id = sv;
  std::vector<std::string> out;
  simdjson::dom::array sources;
  REQUIRE(doc.at_pointer("/story/sources").get_array().get(sources) == simdjson::SUCCESS);
  for (auto s : sources) out.emplace_back(std::string_view(s.get_string()));
  return out;
}

}  // namespace

TEST_CASE("the same story from five outlets is one alert whose updates end with five sources",
          "[alerting][stage][story]") {
  Harness h;
  LoopbackServer receiver;
  receiver.on("POST", "/hook", statuses({200}));
  Sinks sinks;
  SinkSpec spec = webhook_spec("hook", receiver.url("/hook"));
  sinks.emplace_back(spec, create_sink(spec));
  AlertStageOptions o = h.options();
  StoryOptions so;
  so.realert = std::chrono::milliseconds{0};
  so.update_min_new_sources = 2;  // an update per two more outlets
  o.stories = grouper(h, so);
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, o);
  stage.start();
  for (int n = 0; n < 5; ++n) h.publish(outlet_hit(n));
  h.close_and_drain(stage);

  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 3);  // the story (1 source), then updates at 3 and 5 sources
  std::string first_id;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    std::uint64_t sequence = 0;
    std::string id;
    const auto sources = received_sources(requests[i].body, sequence, id);
    CHECK(sequence == i + 1);
    if (i == 0) first_id = id;
    CHECK(id == first_id);
    if (i == 2) {
      CHECK(sources == std::vector<std::string>{"El Universal", "Milenio", "Proceso", "La Jornada", "Reforma"});
    }
  }
  // The updates are new deliveries of the same alert: receivers keep the latest by sequence.
  CHECK(requests[0].header("webhook-id") != requests[2].header("webhook-id"));
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_stories_total", {{"action", "new"}}) == 1);
  CHECK(metric_value(text, "vigia_alerting_stories_total", {{"action", "update"}}) == 2);
  CHECK(metric_value(text, "vigia_alerting_suppressed_total", {{"reason", "duplicate"}}) == 2);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("a rule that storms is folded into one digest that says how many alerts it holds",
          "[alerting][stage][story]") {
  Harness h;
  LoopbackServer receiver;
  receiver.on("POST", "/hook", statuses({200}));
  Sinks sinks;
  SinkSpec spec = webhook_spec("hook", receiver.url("/hook"));
  sinks.emplace_back(spec, create_sink(spec));
  AlertStageOptions o = h.options();
  StoryOptions so;
  so.storm.max_alerts = 3;
  o.stories = grouper(h, so);
  o.digest_interval = std::chrono::hours(1);  // only the end of the input sends it
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, o);
  stage.start();
  // Ten different stories of one rule: no two share a word.
  const std::vector<std::string> titles = {"Balacera en Celaya deja tres heridos",
                                           "Bloquean carretera federal hacia Apatzingán",
                                           "Incendian vehículos frente a palacio municipal",
                                           "Localizan narcolaboratorio en sierra sinaloense",
                                           "Emboscada contra policías estatales michoacanos",
                                           "Queman tienda departamental tras extorsión",
                                           "Desplazados huyen rumbo Guatemala",
                                           "Hallan fosa clandestina cerca Irapuato",
                                           "Atacan bar céntrico durante madrugada",
                                           "Secuestran transportistas zacatecanos"};
  for (int n = 0; n < 10; ++n) {
    Hit hit = single_match_hit("storm-" + std::to_string(n));
    hit.item.title = titles[static_cast<std::size_t>(n)];
    hit.item.summary = "";
    h.publish(hit);
  }
  h.close_and_drain(stage);
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 4);  // three alerts, then one digest of the other seven
  CHECK_THAT(requests[3].body, Catch::Contains("Storm digest: 7 alert(s)"));
  CHECK_THAT(requests[3].body, Catch::Contains("storm-digest"));
  const std::string text = h.metrics_text();
  CHECK(metric_value(text, "vigia_alerting_stories_total", {{"action", "digest"}}) == 7);
  CHECK(metric_value(text, "vigia_alerting_digests_sent_total") == 1);
  CHECK(h.bus.pending(topics::kHits) == 0);
}

TEST_CASE("a silence suppresses matching alerts until it expires", "[alerting][stage][silence]") {
  Harness h;
  auto sink = std::make_unique<ScriptedSink>(always(Delivery::kDelivered));
  auto state = sink->state();
  Sinks sinks;
  sinks.emplace_back(scripted_spec("floor"), std::move(sink));
  auto store = SilenceStore::open(nullptr);
  REQUIRE(store.ok());
  std::shared_ptr<SilenceStore> silences(std::move(*store));
  Silence s;
  s.matchers = {*Matcher::parse("rule=cjng-activity")};
  s.starts_at = h.clock->now();
  s.ends_at = h.clock->now() + std::chrono::hours(1);
  s.created_by = "ana";
  s.comment = "known operation in Salamanca, already briefed";
  REQUIRE(silences->add(s, h.clock->now()).ok());
  AlertStageOptions o = h.options();
  o.silences = silences;
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, o);
  stage.start();
  h.publish(single_match_hit("during"));
  REQUIRE(eventually([&] { return h.bus.pending(topics::kHits) == 0; }));
  h.clock->advance(std::chrono::hours(2));
  h.publish(single_match_hit("after"));
  h.close_and_drain(stage);
  REQUIRE(state->calls == 1);
  CHECK(state->alerts[0].item.id == "after");
  CHECK(metric_value(h.metrics_text(), "vigia_alerting_suppressed_total", {{"reason", "silence"}}) == 1);
}

TEST_CASE("a digest sink gets one message per interval for the alerts routed to it, others get each alert",
          "[alerting][stage]") {
  Harness h;
  auto floor_sink = std::make_unique<ScriptedSink>(always(Delivery::kDelivered));
  auto floor = floor_sink->state();
  auto daily_sink = std::make_unique<ScriptedSink>(always(Delivery::kDelivered));
  auto daily = daily_sink->state();
  Sinks sinks;
  sinks.emplace_back(scripted_spec("floor", "high"), std::move(floor_sink));
  SinkSpec digest_spec = scripted_spec("daily");
  digest_spec.digest_every = std::chrono::hours(24);  // only the end of the input sends it here
  sinks.emplace_back(digest_spec, std::move(daily_sink));
  AlertStage stage(std::move(sinks), h.bus, h.metrics, h.clock, h.options());
  stage.start();
  for (int n = 0; n < 4; ++n) h.publish(sample_hit("item-" + std::to_string(n)));  // a high and a low alert each
  h.close_and_drain(stage);
  CHECK(floor->calls == 4);    // the four high alerts, one by one
  REQUIRE(daily->calls == 1);  // all eight in one digest
  const Alert& digest = daily->alerts[0];
  CHECK(digest.rule == "vigia-digest");
  CHECK_THAT(digest.item.title, Catch::Contains("Digest: 8 alert(s)"));
  CHECK(digest.snippets.size() == 8);
  CHECK(digest.severity == "high");
  CHECK(h.bus.pending(topics::kHits) == 0);
}
