#include <catch2/catch.hpp>

#include "connector_test_util.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>

#include "support/event_counter.h"
#include "support/log_capture.h"
#include "sample_feeds.h"
#include "support/loopback_server.h"
#include "support/test_paths.h"
#include "vigia/connectors/ingest_stage.h"
#include "vigia/core/codec.h"
#include "vigia/core/memory_bus.h"

using namespace vigia;
using namespace vigia::connectors;
using vigia::test::CollectingWriter;
using vigia::test::drain;
using vigia::test::kNow;
using namespace std::chrono_literals;
using vigia::test::LoopbackServer;

namespace {

using Counter = vigia::test::EventCounter;

// A connector whose polls the test scripts; `started` and `finished` count its polls.
class ScriptedConnector final : public Connector {
 public:
  using Script = std::function<Result<PollReport>(ItemWriter&, std::stop_token)>;
  ScriptedConnector(Script script, std::shared_ptr<Counter> started, std::shared_ptr<Counter> finished)
      : script_(std::move(script)), started_(std::move(started)), finished_(std::move(finished)) {}

  Result<PollReport> poll(ItemWriter& out, std::stop_token stop) override {
    started_->bump();
    struct Done {
      Counter& c;
      ~Done() { c.bump(); }
    } done{*finished_};
    return script_(out, stop);
  }

 private:
  Script script_;
  std::shared_ptr<Counter> started_;
  std::shared_ptr<Counter> finished_;
};

// Fails every poll, asking (like an HTTP 429) to be left alone for `wait`.
class RateLimitedConnector final : public Connector {
 public:
  RateLimitedConnector(std::chrono::milliseconds wait, std::shared_ptr<Counter> finished)
      : wait_(wait), finished_(std::move(finished)) {}
  Result<PollReport> poll(ItemWriter&, std::stop_token) override {
    finished_->bump();
    return make_error("http_status", "feed 'limited': HTTP 429");
  }
  std::optional<std::chrono::milliseconds> retry_after() const override { return wait_; }

 private:
  std::chrono::milliseconds wait_;
  std::shared_ptr<Counter> finished_;
};

// Wraps a real connector to count finished polls.
class CountingConnector final : public Connector {
 public:
  CountingConnector(ConnectorPtr inner, std::shared_ptr<Counter> finished)
      : inner_(std::move(inner)), finished_(std::move(finished)) {}
  Result<PollReport> poll(ItemWriter& out, std::stop_token stop) override {
    auto r = inner_->poll(out, stop);
    finished_->bump();
    return r;
  }
  std::optional<std::chrono::milliseconds> retry_after() const override { return inner_->retry_after(); }

 private:
  ConnectorPtr inner_;
  std::shared_ptr<Counter> finished_;
};

struct Feed {
  std::shared_ptr<Counter> started = std::make_shared<Counter>();
  std::shared_ptr<Counter> finished = std::make_shared<Counter>();
};

FeedSpec spec(const std::string& name, std::chrono::milliseconds interval) {
  FeedSpec s;
  s.name = name;
  s.type = "scripted";
  s.interval = interval;
  return s;
}

PollReport report_of(std::size_t items) {
  PollReport r;
  r.items = items;
  return r;
}

IngestOptions with_workers(std::size_t n) {
  IngestOptions o;
  o.workers = n;
  return o;
}

Item item(const std::string& title, const std::string& url) {
  Item i;
  i.title = title;
  i.url = url;
  return i;
}

// The value of one series in Prometheus text format, or -1 when absent.
double metric(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

}  // namespace

TEST_CASE("the ingest stage publishes each item once across polls and counts it per feed", "[connectors][ingest]") {
  LoopbackServer server;
  server.serve("/rss", test::feeds::kRssSpanish, "application/rss+xml");
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  const ConnectorKind* http = registry.find("http");
  FeedSpec feed = spec("loopback", 20ms);
  feed.type = "http";
  feed.settings = defaults_of(http->schema);
  feed.settings.set("url", server.url("/rss"));
  feed.settings.set("allow_private", true);
  auto clock = std::make_shared<ManualClock>(kNow);
  auto finished = std::make_shared<Counter>();

  MemoryBus bus;
  auto consumer = bus.subscribe(topics::kItems, "test");
  MetricsRegistry metrics;
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(feed, std::make_unique<CountingConnector>(http->create(feed, {make_curl_http_client(), clock}), finished));
  IngestStage stage(std::move(feeds), bus, metrics, clock);
  stage.start();
  REQUIRE(finished->wait_for(3));
  stage.stop();

  const auto records = drain(*consumer);
  REQUIRE(records.size() == 3);
  std::set<std::string> keys;
  for (const auto& r : records) {
    auto decoded = decode_item(r.value);
    REQUIRE(decoded.ok());
    CHECK(decoded->id == r.key);
    CHECK(decoded->source == "loopback");
    CHECK(decoded->fetched == kNow);
    keys.insert(r.key);
  }
  CHECK(keys.size() == 3);

  const std::string text = serialize_metrics(metrics);
  CHECK(metric(text, R"(vigia_connectors_items_sent_total{feed="loopback"})") == 3);
  const double received = metric(text, R"(vigia_connectors_items_received_total{feed="loopback"})");
  const double duplicates = metric(text, R"(vigia_connectors_items_discarded_total{feed="loopback",reason="duplicate"})");
  CHECK(received >= 9);
  CHECK(duplicates == received - 3);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="loopback",result="ok"})") >= 3);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="loopback",result="network_error"})") == 0);
}

TEST_CASE("a failing feed is counted and backs off without stopping a good one", "[connectors][ingest]") {
  Feed good;
  Feed bad;
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("bad", 5ms), std::make_unique<ScriptedConnector>(
                                           [](ItemWriter&, std::stop_token) -> Result<PollReport> {
                                             return make_error("http_status", "feed 'bad': HTTP 500 from x");
                                           },
                                           bad.started, bad.finished));
  feeds.emplace_back(spec("good", 5ms), std::make_unique<ScriptedConnector>(
                                            [](ItemWriter& out, std::stop_token) -> Result<PollReport> {
                                              // No Catch assertions here: this runs on a worker thread.
                                              if (auto st = out.write(item("Uno", "https://g.example/1")); !st) return st.error();
                                              return report_of(1);
                                            },
                                            good.started, good.finished));
  MemoryBus bus;
  auto consumer = bus.subscribe(topics::kItems, "test");
  MetricsRegistry metrics;
  test::LogCapture log;
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow), with_workers(2));
  stage.start();
  REQUIRE(bad.finished->wait_for(2));
  REQUIRE(good.finished->wait_for(5));
  stage.stop();

  CHECK(drain(*consumer).size() == 1);
  const std::string text = serialize_metrics(metrics);
  CHECK(metric(text, R"(vigia_connectors_errors_total{feed="bad",reason="http_status"})") >= 1);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="bad",result="http_error"})") >= 1);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="bad",result="ok"})") == 0);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="good",result="ok"})") >= 5);
  CHECK(metric(text, R"(vigia_connectors_items_sent_total{feed="good"})") == 1);
  CHECK_THAT(log.text(), Catch::Contains("feed 'bad': HTTP 500 from x [http_status]; next attempt in"));
}

TEST_CASE("a connector that throws is logged and counted, and the worker carries on", "[connectors][ingest]") {
  Feed thrower;
  Feed good;
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("thrower", 1ms), std::make_unique<ScriptedConnector>(
                                               [](ItemWriter&, std::stop_token) -> Result<PollReport> {
                                                 throw std::runtime_error("boom");
                                               },
                                               thrower.started, thrower.finished));
  feeds.emplace_back(spec("good", 1ms), std::make_unique<ScriptedConnector>(
                                            [](ItemWriter&, std::stop_token) -> Result<PollReport> { return PollReport{}; },
                                            good.started, good.finished));
  MemoryBus bus;
  MetricsRegistry metrics;
  test::LogCapture log;
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow), with_workers(1));
  stage.start();
  // One worker: if the exception had killed it, neither feed would be polled again.
  REQUIRE(thrower.finished->wait_for(3));
  REQUIRE(good.finished->wait_for(3));
  stage.stop();

  const std::string text = serialize_metrics(metrics);
  CHECK(metric(text, R"(vigia_connectors_errors_total{feed="thrower",reason="exception"})") >= 2);
  CHECK_THAT(log.text(), Catch::Contains("feed 'thrower': connector threw: boom [exception]"));
}

TEST_CASE("stop() returns promptly, interrupting a blocked poll and an idle wait", "[connectors][ingest]") {
  Feed blocked;
  Feed idle;
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("blocked", 1h), std::make_unique<ScriptedConnector>(
                                              [](ItemWriter&, std::stop_token stop) -> Result<PollReport> {
                                                std::mutex mu;
                                                std::condition_variable_any cv;
                                                std::unique_lock lock(mu);
                                                cv.wait(lock, stop, [] { return false; });  // until stop
                                                return make_error("cancelled", "stopped");
                                              },
                                              blocked.started, blocked.finished));
  feeds.emplace_back(spec("idle", 1h), std::make_unique<ScriptedConnector>(
                                           [](ItemWriter&, std::stop_token) -> Result<PollReport> { return PollReport{}; },
                                           idle.started, idle.finished));
  MemoryBus bus;
  MetricsRegistry metrics;
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow), with_workers(3));
  stage.start();
  REQUIRE(blocked.started->wait_for(1));
  REQUIRE(idle.finished->wait_for(1));
  const auto t0 = std::chrono::steady_clock::now();
  stage.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(blocked.finished->value() == 1);
  stage.stop();  // idempotent

  const std::string text = serialize_metrics(metrics);
  CHECK(metric(text, R"(vigia_connectors_errors_total{feed="blocked",reason="cancelled"})") < 1);  // cut short, not failed
  CHECK(text.find(R"(vigia_connectors_fetches_total{feed="blocked",result="ok"} 0)") != std::string::npos);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="idle",result="ok"})") == 1);
}

TEST_CASE("the ingest stage stamps what connectors left out and counts skipped records", "[connectors][ingest]") {
  Feed f;
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("bare", 1h), std::make_unique<ScriptedConnector>(
                                           [](ItemWriter& out, std::stop_token) -> Result<PollReport> {
                                             Item bare;
                                             bare.title = "Sin id ni fecha";
                                             if (auto st = out.write(bare); !st) return st.error();
                                             PollReport report;
                                             report.items = 1;
                                             report.skipped = 2;
                                             report.not_modified = false;
                                             return report;
                                           },
                                           f.started, f.finished));
  MemoryBus bus;
  auto consumer = bus.subscribe("custom.items", "test");
  MetricsRegistry metrics;
  IngestOptions options;
  options.topic = "custom.items";
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow), options);
  stage.start();
  REQUIRE(f.finished->wait_for(1));
  stage.stop();

  const auto records = drain(*consumer);
  REQUIRE(records.size() == 1);
  auto decoded = decode_item(records[0].value);
  REQUIRE(decoded.ok());
  CHECK(decoded->fetched == kNow);
  CHECK(decoded->source == "bare");
  CHECK(decoded->id.size() == 32);
  CHECK(records[0].key == decoded->id);
  const std::string text = serialize_metrics(metrics);
  CHECK(metric(text, R"(vigia_connectors_items_discarded_total{feed="bare",reason="invalid"})") == 2);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="bare",result="ok"})") == 1);
}

TEST_CASE("items the bus refuses are discarded, counted, and not remembered as seen", "[connectors][ingest]") {
  Feed f;
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("refused", 1ms), std::make_unique<ScriptedConnector>(
                                               [](ItemWriter& out, std::stop_token) -> Result<PollReport> {
                                                 auto st = out.write(item("Uno", "https://r.example/1"));
                                                 if (!st) return st.error();
                                                 return report_of(1);
                                               },
                                               f.started, f.finished));
  MemoryBus bus;
  bus.close_topic(topics::kItems);
  MetricsRegistry metrics;
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow));
  stage.start();
  REQUIRE(f.finished->wait_for(3));
  stage.stop();

  const std::string text = serialize_metrics(metrics);
  const double publish_failures = metric(text, R"(vigia_connectors_items_discarded_total{feed="refused",reason="publish"})");
  CHECK(publish_failures >= 2);  // offered again on the next poll: not taken for a duplicate
  CHECK(metric(text, R"(vigia_connectors_items_discarded_total{feed="refused",reason="duplicate"})") == 0);
  CHECK(metric(text, R"(vigia_connectors_errors_total{feed="refused",reason="closed"})") >= 2);
}

TEST_CASE("a feed that asked to be left alone is not polled again before its Retry-After", "[connectors][ingest]") {
  auto limited = std::make_shared<Counter>();
  auto control = std::make_shared<Counter>();
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("limited", 1ms), std::make_unique<RateLimitedConnector>(1h, limited));
  feeds.emplace_back(spec("control", 1ms), std::make_unique<RateLimitedConnector>(0ms, control));
  MemoryBus bus;
  MetricsRegistry metrics;
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow), with_workers(2));
  stage.start();
  // The control feed fails the same way without a Retry-After and is retried at its pace.
  REQUIRE(control->wait_for(4));
  REQUIRE(limited->wait_for(1));
  stage.stop();
  CHECK(limited->value() == 1);
}

TEST_CASE("not-modified polls are counted apart from ok ones", "[connectors][ingest]") {
  Feed f;
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("quiet", 1h), std::make_unique<ScriptedConnector>(
                                            [](ItemWriter&, std::stop_token) -> Result<PollReport> {
                                              PollReport report;
                                              report.not_modified = true;
                                              return report;
                                            },
                                            f.started, f.finished));
  MemoryBus bus;
  MetricsRegistry metrics;
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow));
  stage.start();
  REQUIRE(f.finished->wait_for(1));
  stage.stop();
  const std::string text = serialize_metrics(metrics);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="quiet",result="not_modified"})") == 1);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="quiet",result="ok"})") == 0);
}

TEST_CASE("a stage with no feeds starts and stops", "[connectors][ingest]") {
  MemoryBus bus;
  MetricsRegistry metrics;
  IngestStage stage({}, bus, metrics, nullptr);
  stage.start();
  stage.stop();
  SUCCEED();
}

namespace {

IngestOptions fast_retries(std::size_t workers) {
  IngestOptions o;
  o.workers = workers;
  o.backoff.initial = 1ms;
  o.backoff.max = 5ms;
  return o;
}

std::vector<Hit> drain_hits(Consumer& consumer) {
  std::vector<Hit> out;
  for (const auto& r : drain(consumer)) {
    auto h = decode_hit(r.value);
    REQUIRE(h.ok());
    out.push_back(*h);
  }
  return out;
}

}  // namespace

TEST_CASE("items published before a restart are not published again, and an edited item keeps its id", "[connectors][ingest]") {
  test::TempDir dir;
  auto run = [&](std::vector<Item> items) {
    auto db = StateDb::open(dir / "vigia.db");
    REQUIRE(db.ok());
    Feed f;
    std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
    feeds.emplace_back(spec("wire", 1h), std::make_unique<ScriptedConnector>(
                                             [items](ItemWriter& out, std::stop_token) -> Result<PollReport> {
                                               for (const auto& i : items) {
                                                 if (auto st = out.write(i); !st) return st.error();
                                               }
                                               return report_of(items.size());
                                             },
                                             f.started, f.finished));
    MemoryBus bus;
    auto consumer = bus.subscribe(topics::kItems, "test");
    MetricsRegistry metrics;
    IngestOptions options = with_workers(1);
    options.state_db = *db;
    IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow), options);
    stage.start();
    REQUIRE(f.finished->wait_for(1));
    stage.stop();
    std::vector<std::string> titles;
    for (const auto& r : drain(*consumer)) titles.push_back(decode_item(r.value)->title);
    return titles;
  };
  Item a = item("Primera versión", "https://w.example/a");
  a.id = "guid-a";
  Item b = item("Otra nota", "https://w.example/b");
  CHECK(run({a, b}) == std::vector<std::string>{"Primera versión", "Otra nota"});

  Item edited = a;
  edited.title = "Versión corregida";
  edited.url = "https://w.example/a-corregida";
  Item c = item("Nota nueva", "https://w.example/c");
  CHECK(run({edited, b, c}) == std::vector<std::string>{"Nota nueva"});
}

TEST_CASE("a feed failing N polls in a row is reported broken once, then recovered", "[connectors][ingest][health]") {
  Feed f;
  auto polls = std::make_shared<std::atomic<int>>(0);
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("flaky", 1ms), std::make_unique<ScriptedConnector>(
                                             [polls](ItemWriter&, std::stop_token) -> Result<PollReport> {
                                               if (++*polls <= 4) return make_error("timeout", "feed 'flaky': timed out");
                                               PollReport r;
                                               r.bytes = 1234;
                                               return r;
                                             },
                                             f.started, f.finished));
  MemoryBus bus;
  auto events = bus.subscribe(topics::kHits, "test");
  MetricsRegistry metrics;
  IngestOptions options = fast_retries(1);
  options.broken_after = 3;
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow), options);
  stage.start();
  REQUIRE(f.finished->wait_for(6));
  stage.stop();

  const auto hits = drain_hits(*events);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].matches.at(0).rule == "vigia-feed-broken");
  CHECK(hits[0].matches.at(0).category == "ops");
  CHECK(hits[0].matches.at(0).severity == "high");
  CHECK(hits[0].item.source == "flaky");
  CHECK_THAT(hits[0].item.title, Catch::Contains("'flaky' is broken: 3 failed polls in a row"));
  CHECK_THAT(hits[0].item.summary, Catch::Contains("[timeout]"));
  CHECK(hits[1].matches.at(0).rule == "vigia-feed-recovered");
  CHECK(hits[1].matches.at(0).severity == "info");

  const std::string text = serialize_metrics(metrics);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="flaky",result="timeout"})") == 4);
  CHECK(metric(text, R"(vigia_connectors_feed_broken{feed="flaky"})") == 0);
  CHECK(metric(text, R"(vigia_connectors_consecutive_failures{feed="flaky"})") == 0);
  CHECK(metric(text, R"(vigia_connectors_received_bytes_total{feed="flaky"})") >= 1234);
  CHECK(metric(text, R"(vigia_connectors_last_success_timestamp_seconds{feed="flaky"})") ==
        Approx(static_cast<double>(kNow.time_since_epoch().count()) / 1000));
  CHECK(metric(text, R"(vigia_connectors_fetch_duration_seconds_count{feed="flaky"})") >= 5);
}

TEST_CASE("a feed with no new item for longer than stale_after is reported stale, across a restart", "[connectors][ingest][health]") {
  auto clock = std::make_shared<ManualClock>(kNow);
  auto state = std::make_shared<MemoryFeedState>();
  auto run_once = [&](int expected_polls) {
    Feed f;
    std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
    FeedSpec s = spec("quiet", 1h);
    s.stale_after = 6h;
    feeds.emplace_back(s, std::make_unique<ScriptedConnector>(
                              [](ItemWriter&, std::stop_token) -> Result<PollReport> { return PollReport{}; }, f.started,
                              f.finished));
    MemoryBus bus;
    auto events = bus.subscribe(topics::kHits, "test");
    MetricsRegistry metrics;
    IngestOptions options = with_workers(1);
    options.feed_state = state;
    IngestStage stage(std::move(feeds), bus, metrics, clock, options);
    stage.start();
    REQUIRE(f.finished->wait_for(expected_polls));
    stage.stop();
    return std::make_pair(drain_hits(*events), serialize_metrics(metrics));
  };
  auto [first, first_metrics] = run_once(1);
  CHECK(first.empty());  // quiet for no time at all
  CHECK(metric(first_metrics, R"(vigia_connectors_feed_stale{feed="quiet"})") == 0);

  clock->advance(7h);  // the daemon was down; the feed's clock kept running
  auto [second, second_metrics] = run_once(1);
  REQUIRE(second.size() == 1);
  CHECK(second[0].matches.at(0).rule == "vigia-feed-stale");
  CHECK(second[0].matches.at(0).severity == "medium");
  CHECK_THAT(second[0].item.title, Catch::Contains("'quiet' is stale: no new item for 7 h"));
  CHECK(metric(second_metrics, R"(vigia_connectors_feed_stale{feed="quiet"})") == 1);
}

TEST_CASE("a malformed feed is a counted parse error and neither its next poll nor the other feeds suffer", "[connectors][ingest]") {
  LoopbackServer server;
  std::atomic<int> broken_polls{0};
  server.on("GET", "/flaky.xml", [&](const test::ReceivedRequest&) {
    if (++broken_polls == 1) return test::CannedResponse{200, "<<< this is not a feed &&& >>>", "application/rss+xml", {}};
    return test::CannedResponse{200, test::feeds::kRssSpanish, "application/rss+xml", {}};
  });
  server.serve("/good.xml", test::feeds::kRssSpanish, "application/rss+xml");
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  const auto* http = registry.find("http");
  auto make = [&](const std::string& name, const std::string& path, std::shared_ptr<Counter> finished) {
    FeedSpec s = spec(name, 1ms);
    s.type = "http";
    s.settings = defaults_of(http->schema);
    s.settings.set("url", server.url(path));
    s.settings.set("allow_private", true);
    ConnectorServices services{make_curl_http_client(), std::make_shared<ManualClock>(kNow), nullptr};
    return std::make_pair(s, ConnectorPtr(std::make_unique<CountingConnector>(http->create(s, services), finished)));
  };
  Feed flaky, good;
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.push_back(make("flaky", "/flaky.xml", flaky.finished));
  feeds.push_back(make("good", "/good.xml", good.finished));
  MemoryBus bus;
  auto consumer = bus.subscribe(topics::kItems, "test");
  MetricsRegistry metrics;
  IngestStage stage(std::move(feeds), bus, metrics, std::make_shared<ManualClock>(kNow), fast_retries(2));
  stage.start();
  REQUIRE(flaky.finished->wait_for(2));
  REQUIRE(good.finished->wait_for(2));
  stage.stop();

  const std::string text = serialize_metrics(metrics);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="flaky",result="parse_error"})") == 1);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="flaky",result="ok"})") >= 1);
  CHECK(metric(text, R"(vigia_connectors_fetches_total{feed="good",result="parse_error"})") == 0);
  // Both feeds carry the same stories: published once, whichever feed got there first.
  const auto items = drain(*consumer);
  CHECK(items.size() > 0);
  std::set<std::string> ids;
  for (const auto& r : items) ids.insert(r.key);
  CHECK(ids.size() == items.size());
}
