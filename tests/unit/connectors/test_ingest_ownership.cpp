// Kafka mode of the ingest stage: feeds polled only while owned, and a feed's dedup state and
// FeedState handed from one process to the next through its checkpoint.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "connector_test_util.h"
#include "http_fetch.h"
#include "support/event_counter.h"
#include "support/log_capture.h"
#include "support/test_paths.h"
#include "vigia/connectors/feed_checkpoint.h"
#include "vigia/connectors/ingest_stage.h"
#include "vigia/connectors/seen_store.h"
#include "vigia/connectors/sqlite_feed_state.h"
#include "vigia/core/codec.h"
#include "vigia/core/key_ownership.h"
#include "vigia/core/memory_bus.h"

using namespace vigia;
using namespace vigia::connectors;
using vigia::test::drain;
using vigia::test::kNow;
using namespace std::chrono_literals;

namespace {

using Counter = vigia::test::EventCounter;

// The checkpoints of the group, as the `vigia.feeds` topic would keep them: shared by the
// FakeOwnership of every "process".
class CheckpointStore {
 public:
  void put(const std::string& key, std::string_view value) {
    {
      std::lock_guard lock(mu_);
      values_[key] = std::string(value);
      ++writes_[key];
    }
    cv_.notify_all();
  }
  std::optional<std::string> get(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  int writes(const std::string& key) {
    std::lock_guard lock(mu_);
    return writes_[key];
  }
  bool wait_writes(const std::string& key, int n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return writes_[key] >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> values_;
  std::map<std::string, int> writes_;
};

// A KeyOwnership the test drives: acquire()/release() call the listener on the test thread (the
// one thread the contract allows), stop() releases whatever is still owned.
class FakeOwnership final : public KeyOwnership {
 public:
  explicit FakeOwnership(std::shared_ptr<CheckpointStore> store) : store_(std::move(store)) {}

  Status start(Listener& listener) override {
    listener_ = &listener;
    ++starts;
    return ok_status();
  }
  void stop() override {
    while (true) {
      std::string key;
      {
        std::lock_guard lock(mu_);
        if (owned_.empty()) break;
        key = *owned_.begin();
      }
      release(key);
    }
    ++stops;
  }
  Status checkpoint(const std::string& key, std::string_view value) override {
    {
      std::lock_guard lock(mu_);
      if (owned_.count(key) == 0) ++checkpoints_not_owned;  // the contract: only the owner writes
    }
    if (fail_checkpoints) return make_error("kafka", "broker unavailable");
    store_->put(key, value);
    return ok_status();
  }

  void acquire(const std::string& key) {
    {
      std::lock_guard lock(mu_);
      owned_.insert(key);
    }
    listener_->acquired(key, store_->get(key));
  }
  void release(const std::string& key) {
    listener_->released(key);
    std::lock_guard lock(mu_);
    owned_.erase(key);
  }

  std::atomic<int> starts{0};
  std::atomic<int> stops{0};
  std::atomic<int> checkpoints_not_owned{0};
  std::atomic<bool> fail_checkpoints{false};

 private:
  std::shared_ptr<CheckpointStore> store_;
  Listener* listener_ = nullptr;
  std::mutex mu_;
  std::set<std::string> owned_;
};

// A MemoryBus whose flush() the test can make time out.
class FlushControlBus final : public Bus {
 public:
  Status publish(std::string_view topic, std::string_view key, std::string_view value) override {
    return inner_.publish(topic, key, value);
  }
  ConsumerPtr subscribe(std::string_view topic, std::string_view group) override {
    return inner_.subscribe(topic, group);
  }
  bool flush(std::chrono::milliseconds timeout) override {
    ++flushes;
    return flush_ok.load() && inner_.flush(timeout);
  }
  std::atomic<bool> flush_ok{true};
  std::atomic<int> flushes{0};

 private:
  MemoryBus inner_;
};

// What a fake feed currently carries; shared by the test and the connectors of every process.
class FakeSource {
 public:
  void add(const std::string& title, const std::string& url) {
    Item i;
    i.title = title;
    i.url = url;
    std::lock_guard lock(mu_);
    items_.push_back(std::move(i));
  }
  std::vector<Item> items() {
    std::lock_guard lock(mu_);
    return items_;
  }

 private:
  std::mutex mu_;
  std::vector<Item> items_;
};

// What one process's connector for a feed observed.
struct Probe {
  Counter polls;                   // finished polls
  Counter started;                 // started polls
  std::atomic<bool> owned{false};  // set by the test just before it acquires the feed
  std::atomic<int> polls_while_not_owned{0};
  std::atomic<int> reloads{0};
  std::mutex mu;
  std::vector<std::string> cursors_seen;  // "fake.cursor" in the FeedState at the start of each poll
};

// Writes every item of its source on each poll (dedup drops the repeats), and keeps a cursor in
// the FeedState as an API connector would: the number of items it has seen.
class SourceConnector final : public Connector {
 public:
  SourceConnector(std::string feed, std::shared_ptr<FakeSource> source, FeedStatePtr state,
                  std::shared_ptr<Probe> probe)
      : feed_(std::move(feed)), source_(std::move(source)), state_(std::move(state)), probe_(std::move(probe)) {}

  Result<PollReport> poll(ItemWriter& out, std::stop_token) override {
    probe_->started.bump();
    if (!probe_->owned.load()) ++probe_->polls_while_not_owned;
    {
      std::lock_guard lock(probe_->mu);
      probe_->cursors_seen.push_back(state_->get(feed_, "fake.cursor").value_or(""));
    }
    const auto items = source_->items();
    PollReport report;
    for (const auto& i : items) {
      if (auto st = out.write(i); !st) {
        probe_->polls.bump();
        return st.error();
      }
      ++report.items;
    }
    state_->put(feed_, "fake.cursor", std::to_string(items.size()));
    probe_->polls.bump();
    return report;
  }
  void reload_state() override { ++probe_->reloads; }

 private:
  std::string feed_;
  std::shared_ptr<FakeSource> source_;
  FeedStatePtr state_;
  std::shared_ptr<Probe> probe_;
};

// With `honour_stop`, polls until stopped (by stop() or by its feed's handover); otherwise until
// `release_me`, then moves its cursor in `state` and offers one more item.
class BlockingConnector final : public Connector {
 public:
  BlockingConnector(std::shared_ptr<Probe> probe, bool honour_stop, std::shared_ptr<std::atomic<bool>> release_me,
                    FeedStatePtr state = nullptr)
      : probe_(std::move(probe)),
        honour_stop_(honour_stop),
        release_me_(std::move(release_me)),
        state_(std::move(state)) {}
  Result<PollReport> poll(ItemWriter& out, std::stop_token stop) override {
    probe_->started.bump();
    struct Done {
      Probe& p;
      ~Done() { p.polls.bump(); }
    } done{*probe_};
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    if (honour_stop_) {
      cv.wait(lock, stop, [] { return false; });
      return make_error("cancelled", "stopped");
    }
    while (!release_me_->load()) cv.wait_for(lock, 1ms, [] { return false; });
    if (state_) state_->put("stuck", "fake.cursor", "moved after the handover");
    Item late;
    late.title = "Publicada tras la entrega";
    late.url = "https://late.example/1";
    (void)out.write(late);
    return PollReport{};
  }

 private:
  std::shared_ptr<Probe> probe_;
  bool honour_stop_;
  std::shared_ptr<std::atomic<bool>> release_me_;
  FeedStatePtr state_;
};

FeedSpec spec(const std::string& name, std::chrono::milliseconds interval) {
  FeedSpec s;
  s.name = name;
  s.type = "fake";
  s.interval = interval;
  return s;
}

std::vector<std::string> titles_of(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(decode_item(r.value)->title);
  return out;
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

std::set<std::string> ids_in(const std::string& checkpoint) {
  auto decoded = decode_feed_checkpoint(checkpoint);
  REQUIRE(decoded.ok());
  std::set<std::string> out;
  for (const auto& e : decoded->ids) out.insert(e.id);
  return out;
}

// One ingest process: its own bus, metrics, FeedState and dedup memory (no database), and a
// FakeOwnership over the group's shared checkpoints.
struct Process {
  struct FeedDef {
    std::string name;
    std::shared_ptr<FakeSource> source;
    std::chrono::milliseconds interval = 1ms;
  };

  Process(std::shared_ptr<CheckpointStore> store, const std::vector<FeedDef>& defs,
          std::chrono::milliseconds handover_timeout = 10s)
      : ownership(std::make_shared<FakeOwnership>(std::move(store))) {
    std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
    for (const auto& d : defs) {
      auto probe = std::make_shared<Probe>();
      probes[d.name] = probe;
      feeds.emplace_back(spec(d.name, d.interval), std::make_unique<SourceConnector>(d.name, d.source, state, probe));
    }
    make_stage(std::move(feeds), handover_timeout);
  }

  Process(std::shared_ptr<CheckpointStore> store, std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds,
          std::chrono::milliseconds handover_timeout, std::shared_ptr<MemoryFeedState> feed_state)
      : state(std::move(feed_state)), ownership(std::make_shared<FakeOwnership>(std::move(store))) {
    make_stage(std::move(feeds), handover_timeout);
  }

  void make_stage(std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds, std::chrono::milliseconds handover_timeout) {
    IngestOptions options;
    options.workers = 2;
    options.feed_state = state;
    options.ownership = ownership;
    options.events_topic.clear();
    options.handover_timeout = handover_timeout;
    stage = std::make_unique<IngestStage>(std::move(feeds), bus, metrics, clock, options);
  }

  void acquire(const std::string& feed) {
    if (auto it = probes.find(feed); it != probes.end()) it->second->owned = true;
    ownership->acquire(feed);
  }
  void release(const std::string& feed) {
    ownership->release(feed);
    if (auto it = probes.find(feed); it != probes.end()) it->second->owned = false;
  }
  Probe& probe(const std::string& feed) { return *probes.at(feed); }
  std::string metrics_text() { return serialize_metrics(metrics); }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNow);
  FlushControlBus bus;
  ConsumerPtr items = bus.subscribe(topics::kItems, "test");
  MetricsRegistry metrics;
  std::shared_ptr<MemoryFeedState> state = std::make_shared<MemoryFeedState>();
  std::shared_ptr<FakeOwnership> ownership;
  std::map<std::string, std::shared_ptr<Probe>> probes;
  std::unique_ptr<IngestStage> stage;
};

std::shared_ptr<FakeSource> source_with(std::initializer_list<std::pair<std::string, std::string>> items) {
  auto s = std::make_shared<FakeSource>();
  for (const auto& [title, url] : items) s->add(title, url);
  return s;
}

}  // namespace

TEST_CASE("with ownership, only acquired feeds are polled, and the owned gauge follows",
          "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto a = source_with({{"Uno", "https://a.example/1"}});
  auto b = source_with({{"Dos", "https://b.example/2"}});
  Process p(store, {{"a", a}, {"b", b}});
  p.stage->start();
  CHECK(p.ownership->starts == 1);
  const std::string before = p.metrics_text();
  CHECK(metric(before, R"(vigia_connectors_feed_owned{feed="a"})") == 0);
  CHECK(metric(before, R"(vigia_connectors_feed_owned{feed="b"})") == 0);

  p.acquire("a");
  CHECK(metric(p.metrics_text(), R"(vigia_connectors_feed_owned{feed="a"})") == 1);
  // a is polled again and again on its 1 ms interval; b, due as often, is never polled.
  REQUIRE(p.probe("a").polls.wait_for(5));
  CHECK(p.probe("b").started.value() == 0);
  CHECK(p.probe("a").polls_while_not_owned == 0);
  CHECK(p.probe("a").reloads == 1);  // cached connector state re-read once, before the first poll
  CHECK(titles_of(drain(*p.items)) == std::vector<std::string>{"Uno"});
  const std::string owning = p.metrics_text();
  CHECK(metric(owning, R"(vigia_connectors_feed_owned{feed="a"})") == 1);
  CHECK(metric(owning, R"(vigia_connectors_feed_owned{feed="b"})") == 0);

  p.stage->stop();  // releases a through the ownership, with a final checkpoint
  CHECK(p.ownership->stops == 1);
  CHECK(metric(p.metrics_text(), R"(vigia_connectors_feed_owned{feed="a"})") == 0);
  REQUIRE(store->get("a"));
  CHECK(ids_in(*store->get("a")).size() == 1);
  CHECK_FALSE(store->get("b"));
  CHECK(p.ownership->checkpoints_not_owned == 0);
}

TEST_CASE("a key that is not a configured feed is ignored", "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto a = source_with({{"Uno", "https://a.example/1"}});
  Process p(store, {{"a", a}});
  p.stage->start();
  p.ownership->acquire("elsewhere");  // configured in another process only
  p.ownership->release("elsewhere");
  p.acquire("a");
  REQUIRE(p.probe("a").polls.wait_for(2));
  p.stage->stop();
  CHECK_FALSE(store->get("elsewhere"));
  CHECK(metric(p.metrics_text(), R"(vigia_connectors_errors_total{feed="a",reason="checkpoint"})") < 1);
}

TEST_CASE("a released feed stops being polled and leaves a checkpoint with its ids and state",
          "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto a = source_with({{"Uno", "https://a.example/1"}, {"Dos", "https://a.example/2"}});
  auto clock_feed = source_with({});
  Process p(store, {{"a", a}, {"tick", clock_feed}});
  p.stage->start();
  p.acquire("a");
  p.acquire("tick");
  REQUIRE(p.probe("a").polls.wait_for(1));
  REQUIRE(store->wait_writes("a", 1));  // after the poll that published: items acknowledged, then stored

  p.release("a");
  CHECK(metric(p.metrics_text(), R"(vigia_connectors_feed_owned{feed="a"})") == 0);
  const int polls_at_release = p.probe("a").started.value();
  // The other feed keeps its 1 ms pace: plenty of intervals for a, had it still been scheduled.
  const int ticks = p.probe("tick").polls.value();
  REQUIRE(p.probe("tick").polls.wait_for(ticks + 5));
  CHECK(p.probe("a").started.value() == polls_at_release);

  const auto published = drain(*p.items);
  REQUIRE(published.size() == 2);
  REQUIRE(store->get("a"));
  auto checkpoint = decode_feed_checkpoint(*store->get("a"));
  REQUIRE(checkpoint.ok());
  CHECK(checkpoint->feed == "a");
  CHECK(ids_in(*store->get("a")) == std::set<std::string>{published[0].key, published[1].key});
  for (const auto& e : checkpoint->ids) CHECK(e.first_seen == kNow);
  CHECK(checkpoint->state.at("fake.cursor") == "2");
  CHECK(checkpoint->state.count("ingest.last_new_item") == 1);
  CHECK_THAT(*store->get("a"), Catch::StartsWith(R"({"v":1,)"));
  p.stage->stop();
  CHECK(p.ownership->checkpoints_not_owned == 0);
}

TEST_CASE("the next owner of a feed takes over its dedup state and FeedState from the checkpoint",
          "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto a = source_with({{"Uno", "https://a.example/1"}, {"Dos", "https://a.example/2"}});

  Process first(store, {{"a", a}});
  first.stage->start();
  first.acquire("a");
  REQUIRE(first.probe("a").polls.wait_for(2));
  first.release("a");
  CHECK(titles_of(drain(*first.items)) == std::vector<std::string>{"Uno", "Dos"});
  REQUIRE(store->get("a"));

  // Another process, with its own bus and dedup memory, sharing nothing but the checkpoints.
  Process second(store, {{"a", a}});
  second.stage->start();
  second.acquire("a");
  REQUIRE(second.probe("a").polls.wait_for(3));
  CHECK(drain(*second.items).empty());  // the same feed content: nothing published again
  {
    std::lock_guard lock(second.probe("a").mu);
    // The connector found the cursor the first process left, before its first request.
    CHECK(second.probe("a").cursors_seen.at(0) == "2");
  }

  const int writes = store->writes("a");
  a->add("Tres", "https://a.example/3");
  const int polls = second.probe("a").polls.value();
  REQUIRE(second.probe("a").polls.wait_for(polls + 2));  // at least one whole poll saw the new item
  CHECK(titles_of(drain(*second.items)) == std::vector<std::string>{"Tres"});
  REQUIRE(store->wait_writes("a", writes + 1));
  CHECK(ids_in(*store->get("a")).size() == 3);

  // And back: the first process gets the feed again and publishes nothing it missed twice.
  second.release("a");
  first.acquire("a");
  const int first_polls = first.probe("a").polls.value();
  REQUIRE(first.probe("a").polls.wait_for(first_polls + 2));
  CHECK(drain(*first.items).empty());
  CHECK(first.probe("a").reloads == 2);

  second.stage->stop();
  first.stage->stop();
  CHECK(first.ownership->checkpoints_not_owned == 0);
  CHECK(second.ownership->checkpoints_not_owned == 0);
  CHECK(metric(second.metrics_text(), R"(vigia_connectors_errors_total{feed="a",reason="checkpoint"})") < 1);
}

TEST_CASE("a checkpoint that cannot be read is counted and ignored, and the feed still runs",
          "[connectors][ingest][ownership]") {
  const std::string corrupt = GENERATE(std::string("{\"v\":1,\"feed\":\"a\",\"ids\":[{\"id\":"),  // cut short
                                       std::string(R"({"v":2,"feed":"a","ids":[],"state":{}})"),
                                       std::string(R"({"v":1,"feed":"b","ids":[],"state":{}})"),
                                       std::string(R"({"v":1,"feed":"a","ids":[{"id":7,"seen":1}],"state":{}})"),
                                       std::string("not json at all"));
  auto store = std::make_shared<CheckpointStore>();
  store->put("a", corrupt);
  auto a = source_with({{"Uno", "https://a.example/1"}});
  test::LogCapture log;
  Process p(store, {{"a", a}});
  p.stage->start();
  p.acquire("a");
  REQUIRE(p.probe("a").polls.wait_for(2));
  CHECK(titles_of(drain(*p.items)) == std::vector<std::string>{"Uno"});  // started fresh
  REQUIRE(store->wait_writes("a", 2));  // a checkpoint of its own replaces the unreadable one
  p.stage->stop();
  CHECK(decode_feed_checkpoint(*store->get("a")).ok());
  CHECK(metric(p.metrics_text(), R"(vigia_connectors_errors_total{feed="a",reason="checkpoint"})") == 1);
  CHECK_THAT(log.text(), Catch::Contains("feed 'a': its checkpoint is ignored"));
}

TEST_CASE("no checkpoint is written while the bus has not acknowledged the items", "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto a = source_with({{"Uno", "https://a.example/1"}});
  Process p(store, {{"a", a}});
  p.bus.flush_ok = false;
  p.stage->start();
  p.acquire("a");
  REQUIRE(p.probe("a").polls.wait_for(3));
  CHECK(titles_of(drain(*p.items)) == std::vector<std::string>{"Uno"});
  CHECK(store->writes("a") == 0);
  CHECK(metric(p.metrics_text(), R"(vigia_connectors_errors_total{feed="a",reason="checkpoint"})") >= 1);

  p.bus.flush_ok = true;  // acknowledged at last: the next poll checkpoints what is still pending
  REQUIRE(store->wait_writes("a", 1));
  CHECK(ids_in(*store->get("a")).size() == 1);
  p.stage->stop();
}

TEST_CASE("a failed final flush leaves the last good checkpoint for the next owner",
          "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto a = source_with({{"Uno", "https://a.example/1"}});
  Process p(store, {{"a", a}});
  p.stage->start();
  p.acquire("a");
  REQUIRE(store->wait_writes("a", 1));
  const std::string good = *store->get("a");
  a->add("Dos", "https://a.example/2");
  p.bus.flush_ok = false;  // "Dos" may never reach the brokers
  const int polls = p.probe("a").polls.value();
  REQUIRE(p.probe("a").polls.wait_for(polls + 2));
  p.release("a");
  CHECK(*store->get("a") == good);  // names "Uno" only: the next owner publishes "Dos" again
  CHECK(ids_in(good).size() == 1);
  p.stage->stop();
}

TEST_CASE("a release interrupts only that feed's poll, and the stage carries on", "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto blocked = std::make_shared<Probe>();
  auto tick = std::make_shared<Probe>();
  auto never = std::make_shared<std::atomic<bool>>(false);
  auto tick_state = std::make_shared<MemoryFeedState>();
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  feeds.emplace_back(spec("blocked", 1h), std::make_unique<BlockingConnector>(blocked, true, never));
  feeds.emplace_back(spec("tick", 1ms),
                     std::make_unique<SourceConnector>("tick", std::make_shared<FakeSource>(), tick_state, tick));
  Process p(store, std::move(feeds), 10s, std::make_shared<MemoryFeedState>());
  p.stage->start();
  p.ownership->acquire("blocked");
  p.ownership->acquire("tick");
  REQUIRE(blocked->started.wait_for(1));
  const auto t0 = std::chrono::steady_clock::now();
  p.ownership->release("blocked");
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // interrupted, not waited out
  CHECK(blocked->polls.value() == 1);
  REQUIRE(store->get("blocked"));
  const int ticks = tick->polls.value();
  REQUIRE(tick->polls.wait_for(ticks + 3));  // the stage itself was not stopped
  p.stage->stop();
  const std::string text = p.metrics_text();
  CHECK(metric(text, R"(vigia_connectors_errors_total{feed="blocked",reason="cancelled"})") < 1);
}

TEST_CASE("a poll that outlives its handover is logged and never overwrites the final checkpoint",
          "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto stuck = std::make_shared<Probe>();
  auto tick = std::make_shared<Probe>();
  auto let_go = std::make_shared<std::atomic<bool>>(false);
  std::vector<std::pair<FeedSpec, ConnectorPtr>> feeds;
  auto state = std::make_shared<MemoryFeedState>();
  feeds.emplace_back(spec("stuck", 1h), std::make_unique<BlockingConnector>(stuck, false, let_go, state));
  feeds.emplace_back(spec("tick", 1ms), std::make_unique<SourceConnector>("tick", std::make_shared<FakeSource>(),
                                                                          std::make_shared<MemoryFeedState>(), tick));
  test::LogCapture log;
  Process p(store, std::move(feeds), 50ms, state);
  p.stage->start();
  p.ownership->acquire("stuck");
  p.ownership->acquire("tick");
  REQUIRE(stuck->started.wait_for(1));
  p.ownership->release("stuck");  // returns after the 50 ms bound
  const int writes = store->writes("stuck");
  CHECK(writes == 1);
  *let_go = true;  // the poll ends now (its late item is refused: the feed was handed over)
  REQUIRE(stuck->polls.wait_for(1));
  const int ticks = tick->polls.value();
  REQUIRE(tick->polls.wait_for(ticks + 5));                                 // time for the stuck poll's aftermath
  CHECK(state->get("stuck", "fake.cursor") == "moved after the handover");  // a change a poll would checkpoint
  CHECK(store->writes("stuck") == writes);
  CHECK(p.ownership->checkpoints_not_owned == 0);
  p.stage->stop();
  CHECK_THAT(log.text(), Catch::Contains("feed 'stuck': its poll did not end within 50 ms of the handover"));
}

TEST_CASE("a failed checkpoint write is counted and retried after the next poll", "[connectors][ingest][ownership]") {
  auto store = std::make_shared<CheckpointStore>();
  auto a = source_with({{"Uno", "https://a.example/1"}});
  Process p(store, {{"a", a}});
  p.ownership->fail_checkpoints = true;
  p.stage->start();
  p.acquire("a");
  REQUIRE(p.probe("a").polls.wait_for(2));
  CHECK(metric(p.metrics_text(), R"(vigia_connectors_errors_total{feed="a",reason="checkpoint"})") >= 1);
  p.ownership->fail_checkpoints = false;
  REQUIRE(store->wait_writes("a", 1));
  CHECK(ids_in(*store->get("a")).size() == 1);
  p.stage->stop();
}

// --- the building blocks ---

TEST_CASE("a feed checkpoint round-trips and refuses anything else", "[connectors][ownership]") {
  FeedCheckpoint cp;
  cp.feed = "reuters";
  cp.ids = {{"b", kNow}, {"a", kNow - 1h}};
  cp.state = {{"http.etag", "\"x\\y\""}, {"gdelt.cursor", "20240520120000"}};
  const std::string json = encode_feed_checkpoint(cp);
  auto back = decode_feed_checkpoint(json);
  REQUIRE(back.ok());
  CHECK(back->feed == cp.feed);
  CHECK(back->ids == cp.ids);
  CHECK(back->state == cp.state);

  for (const std::string bad :
       {R"([])", R"({"feed":"a","ids":[],"state":{}})", R"({"v":"1","feed":"a","ids":[],"state":{}})",
        R"({"v":1,"feed":"a","ids":{},"state":{}})", R"({"v":1,"feed":"a","ids":[],"state":{"k":1}})",
        R"({"v":1,"feed":"a","ids":[{"id":"","seen":1}],"state":{}})", ""}) {
    INFO(bad);
    auto r = decode_feed_checkpoint(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().reason == "checkpoint");
  }
}

TEST_CASE("SeenStore lists a feed's recent ids and restores them, in memory and in the database",
          "[connectors][dedup][ownership]") {
  test::TempDir dir;
  auto db = StateDb::open(dir / "state.db");
  REQUIRE(db.ok());
  const bool with_db = GENERATE(false, true);
  INFO((with_db ? "with a database" : "in memory"));
  SeenStore store(100, with_db ? *db : nullptr, 24h, 3);
  REQUIRE(store.open(kNow).ok());
  for (int i = 0; i < 4; ++i) {
    const std::string id = "a" + std::to_string(i);
    REQUIRE(store.claim(id));
    store.confirm(id, "feed-a", kNow - std::chrono::hours(4 - i));
  }
  REQUIRE(store.claim("b0"));
  store.confirm("b0", "feed-b", kNow);

  const auto recent = store.recent_for_feed("feed-a", 2, kNow);
  CHECK(recent == std::vector<SeenEntry>{{"a3", kNow - 1h}, {"a2", kNow - 2h}});
  CHECK(store.recent_for_feed("feed-a", 10, kNow + 22h + 30min) == std::vector<SeenEntry>{{"a3", kNow - 1h}});
  CHECK(store.recent_for_feed("nobody", 10, kNow).empty());

  SeenStore other(100, nullptr, 24h, 3);
  REQUIRE(other.open(kNow).ok());
  CHECK(other.restore("feed-a", {{"a3", kNow - 1h}, {"old", kNow - 25h}}, kNow) == 1);
  CHECK_FALSE(other.claim("a3"));
  CHECK(other.claim("old"));  // past the TTL: not restored
  CHECK(other.recent_for_feed("feed-a", 10, kNow) == std::vector<SeenEntry>{{"a3", kNow - 1h}});
}

TEST_CASE("restored ids are durable when there is a database", "[connectors][dedup][ownership]") {
  test::TempDir dir;
  {
    auto db = StateDb::open(dir / "state.db");
    REQUIRE(db.ok());
    SeenStore store(100, *db, 24h);
    REQUIRE(store.open(kNow).ok());
    CHECK(store.restore("feed-a", {{"x", kNow - 1h}}, kNow) == 1);
  }
  auto db = StateDb::open(dir / "state.db");
  REQUIRE(db.ok());
  SeenStore store(100, *db, 24h);
  REQUIRE(store.open(kNow).ok());
  CHECK_FALSE(store.claim("x"));
  CHECK(store.recent_for_feed("feed-a", 10, kNow) == std::vector<SeenEntry>{{"x", kNow - 1h}});
}

TEST_CASE("FeedState lists the entries of one feed", "[connectors][ownership]") {
  test::TempDir dir;
  auto db = StateDb::open(dir / "state.db");
  REQUIRE(db.ok());
  auto sqlite = SqliteFeedState::open(*db);
  REQUIRE(sqlite.ok());
  const bool use_sqlite = GENERATE(false, true);
  FeedStatePtr state = use_sqlite ? FeedStatePtr(*sqlite) : std::make_shared<MemoryFeedState>();
  state->put("a", "http.etag", "e1");
  state->put("a", "ingest.last_new_item", "1");
  state->put("ab", "http.etag", "other feed");
  state->put("b", "x", "y");
  state->erase("a", "ingest.last_new_item");
  state->put("a", "z", "last");
  CHECK(state->entries("a") == std::map<std::string, std::string>{{"http.etag", "e1"}, {"z", "last"}});
  CHECK(state->entries("none").empty());
}

TEST_CASE("HTTP validators are read again from the FeedState after a reload", "[connectors][ownership]") {
  auto state = std::make_shared<MemoryFeedState>();
  detail::HttpValidators validators("a", state);
  validators.store("\"ours\"", "");
  state->put("a", "http.etag", "\"theirs\"");  // the checkpoint of the feed's previous owner
  HttpHeaders cached;
  validators.add_to(cached);
  CHECK(cached == HttpHeaders{{"If-None-Match", "\"ours\""}});
  validators.reload();
  HttpHeaders reloaded;
  validators.add_to(reloaded);
  CHECK(reloaded == HttpHeaders{{"If-None-Match", "\"theirs\""}});
}
