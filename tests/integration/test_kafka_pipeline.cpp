// Kafka mode as deployed: `vigia run --role ...` processes sharing a 3-broker cluster
// (`vigia dev mock-kafka`), a real feed server and webhook receiver on loopback, /metrics scrapes,
// and kcat reading the topics from the outside. Scorers die, brokers go down, a second ingest
// process joins and leaves: every alert still arrives, and no feed is polled twice.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <simdjson.h>

#include "support/admin_client.h"
#include "support/loopback_server.h"
#include "support/metrics_text.h"
#include "support/mock_kafka_process.h"
#include "support/growing_feed.h"
#include "support/process.h"
#include "support/test_paths.h"
#include "vigia/core/kafka_key_ownership.h"

using namespace vigia;
using namespace vigia::test;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// tests/fixtures/pipeline_rules.yaml's only rule: "vacunas falsas", unless it is a fact-check.
constexpr const char* kRule = "test-fake-vaccines";
const std::vector<std::string> kTopics{"vigia.items:4", "vigia.hits:4", "vigia.dlq:1", "vigia.feeds:4"};

// One wave of news: `matching` stories the rule alerts on and `other` that it does not. Links are
// unique across waves, so every item is a new item (its id is its canonical URL).
struct Wave {
  std::vector<FeedItem> matching;
  std::vector<FeedItem> other;
};

Wave make_wave(int wave, int matching, int other) {
  static const std::vector<std::string> kCities{"Puebla",    "Monterrey", "Mérida",   "Manzanillo", "Tlaquepaque",
                                                "Chihuahua", "Oaxaca",    "Culiacán", "Toluca",     "Saltillo"};
  Wave w;
  for (int i = 0; i < matching; ++i) {
    const std::string city = kCities[static_cast<std::size_t>(i) % kCities.size()];
    w.matching.push_back(
        {"Ola " + std::to_string(wave) + ": venden vacunas falsas en " + city + " (caso " + std::to_string(i) + ")",
         "https://noticias.example.mx/ola-" + std::to_string(wave) + "/vacunas-" + std::to_string(i)});
  }
  for (int i = 0; i < other; ++i) {
    w.other.push_back(
        {"Ola " + std::to_string(wave) + ": jornada de vacunación en el centro de salud " + std::to_string(i),
         "https://noticias.example.mx/ola-" + std::to_string(wave) + "/jornada-" + std::to_string(i)});
  }
  return w;
}

// The `bus:` section every process of a test shares, with the quick timings the mock cluster needs.
std::string kafka_bus(const std::string& bootstrap) {
  // clang-format off
  return "bus:\n"
         "  kind: kafka\n"
         "  kafka:\n"
         "    bootstrap.servers: \"" + bootstrap + "\"\n"
         "    session.timeout.ms: 6000\n"
         "    heartbeat.interval.ms: 500\n"
         "    fetch.wait.max.ms: 5\n"
         "    reconnect.backoff.max.ms: 500\n"
         "    topic.metadata.refresh.interval.ms: 1000\n"
         "  topics:\n"
         "    items: {name: vigia.items, partitions: 4}\n"
         "    hits: {name: vigia.hits, partitions: 4, linger_ms: 0}\n"
         "    dlq: {name: vigia.dlq, partitions: 1}\n"
         "    feeds: {name: vigia.feeds, partitions: 4}\n";
  // clang-format on
}

// A `vigia run --role ROLE` child with its own folder (state, output) under `dir`.
class Vigia {
 public:
  Vigia(const TempDir& dir, const std::string& name, const std::string& role, const std::string& bootstrap,
        const std::string& feeds_yaml, const std::string& sinks_yaml)
      : name_(name), folder_(dir / name) {
    std::filesystem::create_directories(folder_);
    const auto config = folder_ / "vigia.yaml";
    const auto rules = source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml";
    // clang-format off
    write_file(config, "http: {listen: \"127.0.0.1:0\"}\n"
                       "state_dir: " + (folder_ / "state").string() + "\n"
                       "rules: {paths: [" + rules.string() + "]}\n"
                       "shutdown: {grace: 20s}\n"
                       "alerting: {stories: {enabled: false}}\n"  // one alert per matching item
                       + kafka_bus(bootstrap) + feeds_yaml + sinks_yaml);
    // clang-format on
    child_.emplace(std::vector<std::string>{vigia_binary(), "run", "--config", config.string(), "--role", role},
                   folder_);
  }

  ChildProcess& process() { return *child_; }
  const std::string& name() const { return name_; }
  int port() {
    if (port_ == 0) port_ = admin_port(*child_);
    return port_;
  }
  std::string metrics() { return scrape(port()); }
  double sum(const std::string& metric, const std::map<std::string, std::string>& labels = {}) {
    return metric_sum(metrics(), metric, labels);
  }
  // The end of its log, for failure messages.
  std::string log_tail(std::size_t bytes = 3000) const {
    const std::string err = child_->err();
    return name_ + " stderr (tail):\n" + (err.size() > bytes ? err.substr(err.size() - bytes) : err);
  }

 private:
  std::string name_;
  std::filesystem::path folder_;
  std::optional<ChildProcess> child_;
  int port_ = 0;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// kcat with the cluster's bootstrap servers; fails the test unless it exits 0.
std::string kcat_run(const std::string& kcat, const std::string& bootstrap, std::vector<std::string> args,
                     const std::string& input = {}) {
  std::vector<std::string> argv{kcat, "-b", bootstrap};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_process(argv, input, 60s);
  INFO("kcat " << args.front() << " " << (args.size() > 1 ? args[1] : "") << ": " << result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

// Every record of `topic` from the start, one line each in kcat's `format` (-f).
std::vector<std::string> kcat_read(const std::string& kcat, const std::string& bootstrap, const std::string& topic,
                                   const std::string& format) {
  return lines_of(kcat_run(kcat, bootstrap, {"-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format}));
}

struct ClusterMetadata {
  std::size_t brokers = 0;
  std::map<std::string, std::map<int, int>> leaders;  // topic -> partition -> leader broker id
};

ClusterMetadata kcat_metadata(const std::string& kcat, const std::string& bootstrap) {
  const std::string json = kcat_run(kcat, bootstrap, {"-L", "-J"});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  ClusterMetadata md;
  simdjson::dom::array brokers;
  REQUIRE(doc["brokers"].get_array().get(brokers) == simdjson::SUCCESS);
  md.brokers = brokers.size();
  for (auto topic : doc["topics"].get_array()) {
    std::string_view name;
    REQUIRE(topic["topic"].get_string().get(name) == simdjson::SUCCESS);
    for (auto p : topic["partitions"].get_array()) {
      int64_t partition = -1;
      int64_t leader = -1;
      REQUIRE(p["partition"].get_int64().get(partition) == simdjson::SUCCESS);
      REQUIRE(p["leader"].get_int64().get(leader) == simdjson::SUCCESS);
      md.leaders[std::string(name)][static_cast<int>(partition)] = static_cast<int>(leader);
    }
  }
  return md;
}

// What a webhook receiver got: alert ids by item URL, and the item ids they name.
struct ReceivedAlerts {
  std::map<std::string, std::set<std::string>> ids_by_url;
  std::set<std::string> ids;
  std::set<std::string> item_ids;
  std::size_t requests = 0;
  std::vector<std::string> unreadable;  // bodies without an id, item.id and item.url
};

ReceivedAlerts received_alerts(const LoopbackServer& hooks, const std::string& path) {
  ReceivedAlerts out;
  simdjson::dom::parser parser;
  for (const auto& r : hooks.requests()) {
    if (r.path != path) continue;
    ++out.requests;
    simdjson::dom::element doc;
    std::string_view id;
    std::string_view url;
    std::string_view item_id;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS || doc["id"].get_string().get(id) != simdjson::SUCCESS ||
        doc["item"]["url"].get_string().get(url) != simdjson::SUCCESS ||
        doc["item"]["id"].get_string().get(item_id) != simdjson::SUCCESS) {
      out.unreadable.push_back(r.body);
      continue;
    }
    out.ids_by_url[std::string(url)].insert(std::string(id));
    out.ids.insert(std::string(id));
    out.item_ids.insert(std::string(item_id));
  }
  return out;
}

// An alert for every one of `items` has arrived at /hook (under any id).
bool all_arrived(const LoopbackServer& hooks, const std::vector<FeedItem>& items) {
  const auto got = received_alerts(hooks, "/hook");
  return std::all_of(items.begin(), items.end(), [&](const FeedItem& i) { return got.ids_by_url.count(i.link) > 0; });
}

std::string feed_yaml(const std::string& name, const std::string& url) {
  return "  - {name: " + name + ", type: http, url: \"" + url + "\", allow_private: true, interval: 1s}\n";
}

std::string webhook_sinks(const LoopbackServer& hooks) {
  return "sinks:\n  - {name: hook, type: webhook, url: \"" + hooks.url("/hook") +
         "\", allow_private: true, backoff: 50ms}\n";
}

}  // namespace

TEST_CASE(
    "Kafka mode: one ingest, two scorers and one alert process over a 3-broker cluster deliver every alert, also "
    "when a scorer is killed and a broker goes down",
    "[integration][kafka]") {
  TempDir dir;
  LoopbackServer feeds;
  LoopbackServer hooks;
  auto feed = std::make_shared<GrowingFeed>();
  feeds.on("GET", "/feed.xml", [feed](const ReceivedRequest&) {
    return CannedResponse{200, feed->xml(), "application/rss+xml", {}};
  });
  hooks.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });

  // Three waves; the second is large, so that the scorer killed during it holds some of its items.
  const std::vector<Wave> waves{make_wave(1, 6, 6), make_wave(2, 10, 4), make_wave(3, 6, 6)};
  std::vector<FeedItem> expected;  // the items that must alert
  std::size_t total_items = 0;
  for (const auto& w : waves) {
    expected.insert(expected.end(), w.matching.begin(), w.matching.end());
    total_items += w.matching.size() + w.other.size();
  }
  const auto publish_wave = [&](const Wave& w) {
    for (const auto& i : w.matching) feed->add(i);
    for (const auto& i : w.other) feed->add(i);
  };
  publish_wave(waves[0]);

  std::vector<std::string> mock_args{"--brokers", "3"};
  for (const auto& t : kTopics) mock_args.insert(mock_args.end(), {"--topic", t});
  MockKafkaProcess mock(dir / "mock", mock_args);
  const std::string bootstrap = mock.bootstrap();
  const auto kcat = find_kcat(
      "finding the brokers that lead the hits and the items (broker 1 goes down instead, which may lead neither) "
      "and reading vigia.items and vigia.hits with kcat");

  const std::string feeds_yaml = "feeds:\n" + feed_yaml("noticias", feeds.url("/feed.xml"));
  const std::string sinks_yaml = webhook_sinks(hooks);
  Vigia alert(dir, "alert", "alert", bootstrap, feeds_yaml, sinks_yaml);
  // Both scorers start together, so that they join the group in one rebalance.
  std::vector<std::unique_ptr<Vigia>> scorers;
  scorers.push_back(std::make_unique<Vigia>(dir, "score-a", "score", bootstrap, feeds_yaml, sinks_yaml));
  scorers.push_back(std::make_unique<Vigia>(dir, "score-b", "score", bootstrap, feeds_yaml, sinks_yaml));
  for (auto& s : scorers) {
    INFO(s->log_tail());
    REQUIRE(s->process().wait_for_err("partition(s) of vigia.items assigned", 60s));
  }
  Vigia ingest(dir, "ingest", "ingest", bootstrap, feeds_yaml, sinks_yaml);
  const auto all_logs = [&] {
    std::string logs = ingest.log_tail() + "\n" + alert.log_tail();
    for (auto& s : scorers) logs += "\n" + s->log_tail();
    return logs;
  };

  // Wave 1: the pipeline works end to end.
  {
    const bool arrived = eventually(60s, [&] { return all_arrived(hooks, waves[0].matching); });
    INFO(all_logs());
    REQUIRE(arrived);
  }
  CHECK(ingest.sum("vigia_connectors_feed_owned", {{"feed", "noticias"}}) == 1);

  // Wave 2, while the broker that leads the hits' partition is down: the scorers take items from
  // the other partitions, score them and queue their hits, which no broker can acknowledge. The
  // first scorer that queued a hit is killed: its items are not committed and its hits are gone
  // with it, so only a re-read by the surviving scorer can still deliver their alerts.
  int hits_leader = 1;
  if (kcat) {
    const auto partitions = kcat_read(*kcat, bootstrap, "vigia.hits", "%p\n");
    REQUIRE_FALSE(partitions.empty());
    const ClusterMetadata md = kcat_metadata(*kcat, bootstrap);
    hits_leader = md.leaders.at("vigia.hits").at(std::stoi(partitions.front()));
  }
  std::vector<double> hits_before;
  for (auto& s : scorers) hits_before.push_back(s->sum("vigia_rules_hits_sent_total"));
  REQUIRE(mock.command("down " + std::to_string(hits_leader)) == "ok");
  publish_wave(waves[1]);
  std::size_t victim = 0;
  const bool queued = eventually(20s, [&] {
    for (std::size_t i = 0; i < scorers.size(); ++i) {
      if (scorers[i]->sum("vigia_rules_hits_sent_total") > hits_before[i]) {
        victim = i;
        return true;
      }
    }
    return false;
  });
  if (!queued) {
    WARN("no scorer queued a hit while broker " << hits_leader << " was down; killing score-b anyway");
    victim = 1;
  }
  scorers[victim]->process().signal(SIGKILL);
  REQUIRE(scorers[victim]->process().wait(10s).has_value());
  const std::string victim_name = scorers[victim]->name();
  REQUIRE(mock.command("up " + std::to_string(hits_leader)) == "ok");
  Vigia& survivor = *scorers[1 - victim];

  // Wave 3, with the broker that leads most of vigia.items down for a while (the mock places
  // leaders at random: a fixed broker id might lead nothing).
  int outage_broker = 1;
  if (kcat) {
    const ClusterMetadata md = kcat_metadata(*kcat, bootstrap);
    std::map<int, int> led;  // broker -> partitions of vigia.items it leads
    for (const auto& [partition, leader] : md.leaders.at("vigia.items")) ++led[leader];
    REQUIRE_FALSE(led.empty());
    outage_broker = std::max_element(led.begin(), led.end(), [](const auto& x, const auto& y) {
                      return x.second < y.second;
                    })->first;
  }
  publish_wave(waves[2]);
  REQUIRE(mock.command("down " + std::to_string(outage_broker)) == "ok");
  std::this_thread::sleep_for(3s);  // the length of the outage, not a wait for an outcome
  REQUIRE(mock.command("up " + std::to_string(outage_broker)) == "ok");

  // Every matching item's alert arrives, each under one id; repeats (at-least-once) only under it.
  const bool all = eventually(90s, [&] { return all_arrived(hooks, expected); });
  const ReceivedAlerts got = received_alerts(hooks, "/hook");
  {
    INFO("killed: " << victim_name << "\n" << all_logs());
    std::vector<std::string> missing;
    for (const auto& i : expected) {
      if (got.ids_by_url.count(i.link) == 0) missing.push_back(i.link);
    }
    INFO("missing alerts: " << missing.size());
    for (const auto& m : missing) UNSCOPED_INFO(m);
    REQUIRE(all);
  }
  std::set<std::string> expected_urls;
  for (const auto& i : expected) expected_urls.insert(i.link);
  for (const auto& [url, ids] : got.ids_by_url) {
    INFO(url);
    CHECK(expected_urls.count(url) == 1);  // no alert for a non-matching item
    CHECK(ids.size() == 1);                // a repeat carries the same id
  }
  CHECK(got.ids.size() == expected.size());
  CHECK(got.requests >= expected.size());
  CHECK(got.unreadable.empty());

  // Everything settles: the surviving scorer owns every partition of vigia.items and has
  // committed all of it; the alert process has committed every hit (all on the partition of the
  // rule's key: librdkafka reports no lag for partitions that were never committed).
  const auto caught_up = [](Vigia& v, const std::string& topic, std::size_t partitions) {
    return eventually(45s, [&] {
      const auto lag = metric_samples(v.metrics(), "vigia_kafka_consumer_lag", {{"topic", topic}});
      std::set<std::string> seen;
      for (const auto& s : lag) {
        if (s.value != 0) return false;
        seen.insert(s.labels.at("partition"));
      }
      return seen.size() == partitions;
    });
  };
  CHECK(caught_up(survivor, "vigia.items", 4));
  CHECK(caught_up(alert, "vigia.hits", 1));
  CHECK(survivor.sum("vigia_rules_hits_sent_total") > 0);
  CHECK(alert.sum("vigia_alerting_alerts_sent_total", {{"sink", "hook"}}) >= static_cast<double>(expected.size()));
  CHECK(ingest.sum("vigia_connectors_items_sent_total", {{"feed", "noticias"}}) == static_cast<double>(total_items));

  if (!kcat) return;
  // Outside view: the items are keyed by item id, once each (idempotent producer); hits by rule.
  const auto item_keys = kcat_read(*kcat, bootstrap, "vigia.items", "%k\n");
  const std::set<std::string> distinct_items(item_keys.begin(), item_keys.end());
  CHECK(item_keys.size() == total_items);
  CHECK(distinct_items.size() == total_items);
  for (const auto& id : got.item_ids) {
    INFO("alerted item " << id);
    CHECK(distinct_items.count(id) == 1);
  }
  const auto hit_keys = kcat_read(*kcat, bootstrap, "vigia.hits", "%k\n");
  CHECK(hit_keys.size() >= expected.size());
  CHECK(std::all_of(hit_keys.begin(), hit_keys.end(), [](const std::string& k) { return k == kRule; }));
  CHECK(kcat_metadata(*kcat, bootstrap).brokers == 3);
}

TEST_CASE("Kafka mode: a poisoned record goes to vigia.dlq with headers and the pipeline goes on",
          "[integration][kafka]") {
  const auto kcat = find_kcat("this test: it produces the poisoned records with kcat");
  if (!kcat) {
    SUCCEED("skipped: no kcat");
    return;
  }
  TempDir dir;
  LoopbackServer feeds;
  LoopbackServer hooks;
  auto feed = std::make_shared<GrowingFeed>();
  feeds.on("GET", "/feed.xml", [feed](const ReceivedRequest&) {
    return CannedResponse{200, feed->xml(), "application/rss+xml", {}};
  });
  hooks.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });

  std::vector<std::string> mock_args{"--brokers", "3"};
  for (const auto& t : kTopics) mock_args.insert(mock_args.end(), {"--topic", t});
  MockKafkaProcess mock(dir / "mock", mock_args);
  const std::string bootstrap = mock.bootstrap();
  Vigia vigia(dir, "all", "all", bootstrap, "feeds:\n" + feed_yaml("noticias", feeds.url("/feed.xml")),
              webhook_sinks(hooks));
  {
    INFO(vigia.log_tail());
    REQUIRE(vigia.process().wait_for_err("partition(s) of vigia.items assigned", 60s));
    REQUIRE(vigia.process().wait_for_err("partition(s) of vigia.hits assigned", 60s));
  }

  // Not JSON at all on the items topic; JSON that is not a hit on the hits topic.
  const std::string bad_item = "<html>esto no es un item</html>";
  const std::string bad_hit = R"({"v":1,"note":"no item here"})";
  kcat_run(*kcat, bootstrap, {"-P", "-t", "vigia.items", "-k", "bad-key"}, bad_item + "\n");
  kcat_run(*kcat, bootstrap, {"-P", "-t", "vigia.hits", "-k", "bad-hit"}, bad_hit + "\n");
  {
    const bool dead_lettered = eventually(30s, [&] {
      return vigia.sum("vigia_kafka_dead_letters_total", {{"topic", "vigia.items"}}) == 1 &&
             vigia.sum("vigia_kafka_dead_letters_total", {{"topic", "vigia.hits"}}) == 1;
    });
    INFO(vigia.log_tail());
    REQUIRE(dead_lettered);
  }
  CHECK(vigia.sum("vigia_rules_items_discarded_total", {{"reason", "json"}}) == 1);

  // The pipeline goes on: a good item that arrives afterwards is alerted.
  const FeedItem good{"Venden vacunas falsas contra Covid en Puebla", "https://noticias.example.mx/despues-del-veneno"};
  feed->add(good);
  {
    const bool arrived = eventually(60s, [&] { return all_arrived(hooks, {good}); });
    INFO(vigia.log_tail());
    REQUIRE(arrived);
  }

  // Where each poisoned record was, as kcat saw it.
  std::map<std::string, std::string> origin;  // key -> "topic partition offset"
  for (const auto& topic : {"vigia.items", "vigia.hits"}) {
    for (const auto& line : kcat_read(*kcat, bootstrap, topic, "%k %t %p %o\n")) {
      const std::string key = line.substr(0, line.find(' '));
      if (key == "bad-key" || key == "bad-hit") origin[key] = line.substr(line.find(' ') + 1);
    }
  }
  REQUIRE(origin.size() == 2);

  // The dead letters: key and value as they were, headers saying why and from where.
  const auto letters = kcat_read(*kcat, bootstrap, "vigia.dlq", "%k\t%h\t%s\n");
  // At least once: a record set aside just before a rewind or a rebalance may be set aside twice.
  REQUIRE(letters.size() >= 2);
  std::map<std::string, std::map<std::string, std::string>> headers_by_key;
  std::map<std::string, std::string> value_by_key;
  for (const auto& line : letters) {
    INFO(line);
    const auto tab1 = line.find('\t');
    const auto tab2 = line.find('\t', tab1 + 1);
    REQUIRE(tab2 != std::string::npos);
    const std::string key = line.substr(0, tab1);
    value_by_key[key] = line.substr(tab2 + 1);
    // %h: name=value pairs separated by commas (vigia-error's message may hold commas too: only
    // the names that follow one are taken as names).
    const std::string headers = line.substr(tab1 + 1, tab2 - tab1 - 1);
    auto& h = headers_by_key[key];
    std::size_t at = 0;
    while (at < headers.size()) {
      const auto eq = headers.find('=', at);
      REQUIRE(eq != std::string::npos);
      std::size_t end = headers.find(",vigia-", eq);
      if (end == std::string::npos) end = headers.size();
      h[headers.substr(at, eq - at)] = headers.substr(eq + 1, end - eq - 1);
      at = end + 1;
    }
  }
  CHECK(value_by_key.size() == 2);  // only the two poisoned records, nothing good
  CHECK(value_by_key["bad-key"] == bad_item);
  CHECK(value_by_key["bad-hit"] == bad_hit);
  const auto& item_headers = headers_by_key["bad-key"];
  CHECK(item_headers.at("vigia-reason") == "json");
  CHECK(item_headers.at("vigia-topic") == "vigia.items");
  CHECK("vigia.items " + item_headers.at("vigia-partition") + " " + item_headers.at("vigia-offset") ==
        origin["bad-key"]);
  CHECK_FALSE(item_headers.at("vigia-error").empty());
  const auto& hit_headers = headers_by_key["bad-hit"];
  CHECK(hit_headers.at("vigia-reason") == "schema");
  CHECK(hit_headers.at("vigia-topic") == "vigia.hits");
  CHECK("vigia.hits " + hit_headers.at("vigia-partition") + " " + hit_headers.at("vigia-offset") == origin["bad-hit"]);
  CHECK_THAT(hit_headers.at("vigia-error"), Catch::Contains("item"));
}

TEST_CASE("Kafka mode: a second ingest process takes over part of the feeds: no feed is polled by two, none by neither",
          "[integration][kafka]") {
  // Six feeds whose names fall on every partition of vigia.feeds, so that a second member of the
  // ingest group always gets some.
  std::vector<std::string> names;
  std::set<std::int32_t> partitions;
  for (int i = 0; i < 6; ++i) {
    names.push_back("noticias-" + std::to_string(i));
    partitions.insert(KafkaKeyOwnership::partition_of(names.back(), 4));
  }
  REQUIRE(partitions.size() == 4);

  // Each process reads the feeds under its own path prefix (/a/..., /b/...), so the server's log
  // says which process polled which feed, and when.
  struct Poll {
    std::string process;
    std::string feed;
    SteadyClock::time_point at;
  };
  struct PollLog {
    std::mutex mu;
    std::vector<Poll> polls;
  };
  auto log = std::make_shared<PollLog>();
  TempDir dir;
  LoopbackServer feeds;
  for (std::size_t f = 0; f < names.size(); ++f) {
    // Two items each, the same whoever asks: links unique per feed.
    const std::string body = rss({{"Nota uno de " + names[f], "https://noticias.example.mx/" + names[f] + "/uno"},
                                  {"Nota dos de " + names[f], "https://noticias.example.mx/" + names[f] + "/dos"}});
    for (const std::string process : {"a", "b"}) {
      feeds.on("GET", "/" + process + "/" + names[f] + ".xml",
               [log, process, feed = names[f], body](const ReceivedRequest&) {
                 {
                   std::lock_guard lock(log->mu);
                   log->polls.push_back({process, feed, SteadyClock::now()});
                 }
                 return CannedResponse{200, body, "application/rss+xml", {}};
               });
    }
  }
  const auto polls = [log] {
    std::lock_guard lock(log->mu);
    return log->polls;
  };
  const auto feeds_of = [&](const std::string& process) {
    std::string yaml = "feeds:\n";
    for (const auto& n : names) yaml += feed_yaml(n, feeds.url("/" + process + "/" + n + ".xml"));
    return yaml;
  };
  const std::string sinks = "sinks:\n  - {name: console, type: console}\n";

  std::vector<std::string> mock_args{"--brokers", "3"};
  for (const auto& t : kTopics) mock_args.insert(mock_args.end(), {"--topic", t});
  MockKafkaProcess mock(dir / "mock", mock_args);
  const std::string bootstrap = mock.bootstrap();

  // The feeds each process owns, from its /metrics.
  const auto owned = [&](Vigia& v) {
    std::set<std::string> out;
    for (const auto& s : metric_samples(v.metrics(), "vigia_connectors_feed_owned")) {
      if (s.value == 1) out.insert(s.labels.at("feed"));
    }
    return out;
  };
  const std::set<std::string> all(names.begin(), names.end());

  // A alone owns all six and publishes their twelve items.
  Vigia a(dir, "ingest-a", "ingest", bootstrap, feeds_of("a"), sinks);
  {
    const bool took_all =
        eventually(60s, [&] { return owned(a) == all && a.sum("vigia_connectors_items_sent_total") == 12; });
    INFO(a.log_tail());
    REQUIRE(took_all);
  }
  CHECK(a.sum("vigia_kafka_owned_keys", {{"group", "vigia-ingest"}}) == 6);

  // B joins: the feeds split between them, each feed owned by exactly one.
  Vigia b(dir, "ingest-b", "ingest", bootstrap, feeds_of("b"), sinks);
  std::set<std::string> owned_a;
  std::set<std::string> owned_b;
  {
    const bool split = eventually(90s, [&] {
      owned_a = owned(a);
      owned_b = owned(b);
      std::set<std::string> both;
      std::set_intersection(owned_a.begin(), owned_a.end(), owned_b.begin(), owned_b.end(),
                            std::inserter(both, both.begin()));
      std::set<std::string> either = owned_a;
      either.insert(owned_b.begin(), owned_b.end());
      return both.empty() && either == all && !owned_b.empty();
    });
    INFO(a.log_tail() << "\n" << b.log_tail());
    REQUIRE(split);
  }
  CHECK(a.sum("vigia_kafka_owned_keys", {{"group", "vigia-ingest"}}) == static_cast<double>(owned_a.size()));
  CHECK(b.sum("vigia_kafka_owned_keys", {{"group", "vigia-ingest"}}) == static_cast<double>(owned_b.size()));

  // Over a few seconds from here, each feed is polled by its owner alone, at its interval (1 s,
  // ±10% jitter: 0.9 s at least between two polls, so at most 6 in 5 s; two pollers would be ~10).
  const auto window_start = SteadyClock::now();
  std::this_thread::sleep_for(5s);  // the observation window, not a wait for an outcome
  const auto window_end = SteadyClock::now();
  {
    const auto log_now = polls();
    for (const auto& name : names) {
      INFO("feed " << name << " owned by " << (owned_b.count(name) ? "B" : "A"));
      const std::string owner = owned_b.count(name) ? "b" : "a";
      std::vector<SteadyClock::time_point> by_owner;
      std::size_t by_other = 0;
      for (const auto& p : log_now) {
        if (p.feed != name || p.at < window_start || p.at > window_end) continue;
        if (p.process == owner) {
          by_owner.push_back(p.at);
        } else {
          ++by_other;
        }
      }
      CHECK(by_other == 0);
      CHECK(by_owner.size() >= 1);
      CHECK(by_owner.size() <= 6);
      for (std::size_t i = 1; i < by_owner.size(); ++i) {
        CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(by_owner[i] - by_owner[i - 1]).count() >= 850);
      }
      if (owner == "b") {
        // A handed it over: A's last poll of it came before B's first one.
        SteadyClock::time_point last_a{};
        SteadyClock::time_point first_b = SteadyClock::time_point::max();
        for (const auto& p : log_now) {
          if (p.feed != name) continue;
          if (p.process == "a") last_a = std::max(last_a, p.at);
          if (p.process == "b") first_b = std::min(first_b, p.at);
        }
        CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(first_b - last_a).count() > 0);
      }
    }
  }
  // The feeds that moved took their dedup state along: B polled them and published nothing.
  {
    const std::string mb = b.metrics();
    for (const auto& name : owned_b) {
      INFO("feed " << name);
      CHECK(metric_sum(mb, "vigia_connectors_items_sent_total", {{"feed", name}}) == 0);
      CHECK(metric_sum(mb, "vigia_connectors_items_discarded_total", {{"feed", name}, {"reason", "duplicate"}}) >= 2);
    }
    CHECK(metric_sum(mb, "vigia_connectors_items_sent_total") == 0);
  }

  // B stops: its feeds go back to A, which polls them again without publishing anything again.
  b.process().signal(SIGTERM);
  {
    const auto exit_code = b.process().wait(30s);
    INFO(b.log_tail());
    CHECK(exit_code == std::optional<int>(0));
  }
  const auto returned_at = SteadyClock::now();
  {
    const bool back = eventually(60s, [&] { return owned(a) == all; });
    INFO(a.log_tail());
    REQUIRE(back);
  }
  CHECK(a.sum("vigia_kafka_owned_keys", {{"group", "vigia-ingest"}}) == 6);
  const bool repolled = eventually(30s, [&] {
    const auto log_now = polls();
    return std::all_of(owned_b.begin(), owned_b.end(), [&](const std::string& name) {
      return std::any_of(log_now.begin(), log_now.end(),
                         [&](const Poll& p) { return p.feed == name && p.process == "a" && p.at > returned_at; });
    });
  });
  CHECK(repolled);
  CHECK(a.sum("vigia_connectors_items_sent_total") == 12);

  if (const auto kcat = find_kcat("counting the records on vigia.items with kcat")) {
    const auto keys = kcat_read(*kcat, bootstrap, "vigia.items", "%k\n");
    CHECK(keys.size() == 12);
    CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == 12);
  }
}
