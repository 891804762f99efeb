// Kafka mode under a stalled receiver: the alert stage keeps at most max_records_in_flight hit
// records unfinished, then pauses its consumer (Consumer::idle()) instead of polling for more. The
// backlog stays on vigia.hits, visible as consumer lag, instead of growing in memory; and the
// paused consumer keeps serving its group (heartbeats, max.poll.interval.ms), so it is not thrown
// out of the group during a stall longer than max.poll.interval.ms.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

using namespace vigia;
using namespace vigia::test;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// `count` items that tests/fixtures/pipeline_rules.yaml's rule ("vacunas falsas") alerts on.
std::vector<FeedItem> matching_items(const std::string& batch, int count) {
  static const std::vector<std::string> kCities{"Puebla",    "Monterrey", "Mérida",   "Manzanillo", "Tlaquepaque",
                                                "Chihuahua", "Oaxaca",    "Culiacán", "Toluca",     "Saltillo"};
  std::vector<FeedItem> out;
  for (int i = 0; i < count; ++i) {
    out.push_back({"Lote " + batch + ": venden vacunas falsas en " +
                       kCities[static_cast<std::size_t>(i) % kCities.size()] + " (caso " + std::to_string(i) + ")",
                   "https://noticias.example.mx/" + batch + "/vacunas-" + std::to_string(i)});
  }
  return out;
}

// The distinct alert ids and item URLs of the bodies the receiver accepted (answered 200).
struct Received {
  std::set<std::string> ids;
  std::set<std::string> urls;
};
Received received(const std::shared_ptr<std::set<std::string>>& accepted_bodies, std::mutex& mu) {
  Received out;
  simdjson::dom::parser parser;
  std::lock_guard lock(mu);
  for (const auto& body : *accepted_bodies) {
    simdjson::dom::element doc;
    std::string_view id;
    std::string_view url;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS || doc["id"].get_string().get(id) != simdjson::SUCCESS ||
        doc["item"]["url"].get_string().get(url) != simdjson::SUCCESS) {
      continue;
    }
    out.ids.insert(std::string(id));
    out.urls.insert(std::string(url));
  }
  return out;
}

// The pid of the process whose command line holds `needle` (here: its unique config path).
std::optional<int> pid_with_arg(const std::string& needle) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos && cmdline.find("run") != std::string::npos) return std::stoi(name);
  }
  return std::nullopt;
}

// VmRSS of `pid` in bytes; 0 when unreadable.
double rss_bytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      double kb = 0;
      fields >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE(
    "Kafka mode: a stalled receiver shows as consumer lag on vigia.hits, not as memory, and the alert process stays "
    "in its group",
    "[integration][kafka]") {
  TempDir dir;
  LoopbackServer feeds;
  LoopbackServer hooks;
  auto feed = std::make_shared<GrowingFeed>();
  feeds.on("GET", "/feed.xml", [feed](const ReceivedRequest&) {
    return CannedResponse{200, feed->xml(), "application/rss+xml", {}};
  });
  // The receiver: 503 while stalled (retryable, so the alerts, and their hit records, stay
  // unfinished); 200 otherwise, recording the bodies it accepted.
  auto stalled = std::make_shared<std::atomic<bool>>(false);
  auto accepted = std::make_shared<std::set<std::string>>();
  std::mutex accepted_mu;
  hooks.on("POST", "/hook", [stalled, accepted, &accepted_mu](const ReceivedRequest& r) {
    if (stalled->load()) return CannedResponse{503, "busy", "text/plain", {}};
    std::lock_guard lock(accepted_mu);
    accepted->insert(r.body);
    return CannedResponse{200, "ok", "text/plain", {}};
  });
  const auto got = [&] { return received(accepted, accepted_mu); };

  MockKafkaProcess mock(dir / "mock", {"--brokers", "1", "--topic", "vigia.items:2", "--topic", "vigia.hits:2",
                                       "--topic", "vigia.dlq:1", "--topic", "vigia.feeds:2"});
  const std::string bootstrap = mock.bootstrap();

  const auto folder = dir / "all";
  std::filesystem::create_directories(folder);
  const auto config = folder / "vigia.yaml";
  const auto rules = source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml";
  // clang-format off
  write_file(config,
             "http: {listen: \"127.0.0.1:0\"}\n"
             "state_dir: " + (folder / "state").string() + "\n"
             "rules: {paths: [" + rules.string() + "]}\n"
             "shutdown: {grace: 20s}\n"
             "alerting: {stories: {enabled: false}}\n"  // one alert per matching item
             "bus:\n"
             "  kind: kafka\n"
             "  kafka:\n"
             "    bootstrap.servers: \"" + bootstrap + "\"\n"
             "    fetch.wait.max.ms: 5\n"
             "    session.timeout.ms: 6000\n"
             "    heartbeat.interval.ms: 500\n"
             "    max.poll.interval.ms: 7000\n"
             "    statistics.interval.ms: 500\n"
             "    reconnect.backoff.max.ms: 500\n"
             "    topic.metadata.refresh.interval.ms: 1000\n"
             "  topics:\n"
             "    items: {name: vigia.items, partitions: 2}\n"
             "    hits: {name: vigia.hits, partitions: 2, linger_ms: 0}\n"
             "    dlq: {name: vigia.dlq, partitions: 1}\n"
             "    feeds: {name: vigia.feeds, partitions: 2}\n"
             "feeds:\n"
             "  - {name: noticias, type: http, url: \"" + feeds.url("/feed.xml") + "\", allow_private: true, interval: 1s}\n"
             "sinks:\n"
             // Nothing dead-letters during the stall: many attempts, a long max_age; short backoff
             // and cool-down, so that delivery resumes quickly once the receiver answers.
             "  - {name: hook, type: webhook, url: \"" + hooks.url("/hook") + "\", allow_private: true,"
             " max_attempts: 1000000, max_age: 1h, backoff: 50ms, max_backoff: 500ms, circuit_cooldown: 500ms}\n");
  // clang-format on
  ChildProcess vigia({vigia_binary(), "run", "--config", config.string(), "--role", "all"}, folder);
  const auto log_tail = [&] {
    const std::string err = vigia.err();
    return "vigia stderr (tail):\n" + (err.size() > 4000 ? err.substr(err.size() - 4000) : err);
  };
  {
    INFO(log_tail());
    REQUIRE(vigia.wait_for_err("partition(s) of vigia.items assigned", 60s));
    REQUIRE(vigia.wait_for_err("partition(s) of vigia.hits assigned", 60s));
  }
  const int port = admin_port(vigia);
  const auto metrics = [&] { return scrape(port); };
  const auto hits_lag = [&](std::size_t* series = nullptr) {
    const auto samples = metric_samples(metrics(), "vigia_kafka_consumer_lag", {{"topic", "vigia.hits"}});
    if (series) *series = samples.size();
    double sum = 0;
    for (const auto& s : samples) sum += s.value;
    return sum;
  };
  const std::optional<int> pid = pid_with_arg(config.string());
  REQUIRE(pid.has_value());

  // Warm-up, receiver answering: the alert consumer commits on vigia.hits (librdkafka reports no
  // lag for a partition never committed), and lag there is 0.
  const auto warmup = matching_items("calentamiento", 3);
  for (const auto& i : warmup) feed->add(i);
  {
    const bool delivered = eventually(60s, [&] { return got().ids.size() == warmup.size(); });
    INFO(log_tail());
    REQUIRE(delivered);
  }
  {
    const bool caught_up = eventually(30s, [&] {
      std::size_t series = 0;
      return hits_lag(&series) == 0 && series > 0;
    });
    INFO(metrics());
    REQUIRE(caught_up);
  }

  // The alert consumer's client label, and its rebalance count before the stall.
  std::string alert_client;
  for (const auto& s : metric_samples(metrics(), "vigia_kafka_rebalances_total")) {
    const auto c = s.labels.find("client");
    if (c != s.labels.end() && c->second.find("alert") != std::string::npos) alert_client = c->second;
  }
  {
    INFO(metrics());
    REQUIRE_FALSE(alert_client.empty());
  }
  const auto alert_rebalances = [&] {
    return metric_sum(metrics(), "vigia_kafka_rebalances_total", {{"client", alert_client}});
  };
  const double rebalances_before = alert_rebalances();
  const std::string revoked = "of group vigia-alert: ";
  const auto alert_revokes = [&] {
    // "vigia-alert-0 of group vigia-alert: N partition(s) of vigia.hits revoked"
    std::size_t n = 0;
    std::istringstream lines(vigia.err());
    for (std::string line; std::getline(lines, line);) {
      if (line.find(revoked) != std::string::npos && line.find("revoked") != std::string::npos) ++n;
    }
    return n;
  };
  const std::size_t revokes_before = alert_revokes();
  const double rss_before = rss_bytes(*pid);
  const double hits_before = metric_sum(metrics(), "vigia_rules_hits_sent_total");
  const double consumed_before = metric_sum(metrics(), "vigia_alerting_hits_received_total");

  // The stall: the receiver answers 503, and 400 more matching items arrive.
  stalled->store(true);
  const auto batch = matching_items("atasco", 400);
  for (const auto& i : batch) feed->add(i);
  {
    const bool all_hits = eventually(60s, [&] {
      return metric_sum(metrics(), "vigia_rules_hits_sent_total") >= hits_before + static_cast<double>(batch.size());
    });
    INFO(log_tail());
    REQUIRE(all_hits);
  }
  {
    // Not fatal: a consumer that stopped polling also stops reporting, and the checks on its
    // group membership below are the ones that say why.
    const bool lagging = eventually(30s, [&] { return hits_lag() > 0; });
    INFO(metrics());
    CHECK(lagging);
  }
  // Held for longer than max.poll.interval.ms (7 s): the lag stays, the group membership too.
  const auto stall_start = SteadyClock::now();
  double max_lag = 0;
  double min_lag = -1;
  while (SteadyClock::now() - stall_start < 10s) {
    const double lag = hits_lag();
    max_lag = std::max(max_lag, lag);
    min_lag = min_lag < 0 ? lag : std::min(min_lag, lag);
    std::this_thread::sleep_for(500ms);  // the observation window's sampling, not a wait for an outcome
  }
  const double rss_during = rss_bytes(*pid);
  {
    INFO(log_tail());
    CHECK(alert_revokes() == revokes_before);
    CHECK(alert_rebalances() == rebalances_before);
    CHECK(got().ids.size() == warmup.size());  // nothing got through the stall
    // Backpressure: the alert stage took at most 256 records (max_records_in_flight) off the bus;
    // the rest waits there. Lag counts from the committed offset, which no stalled record passes.
    const double consumed = metric_sum(metrics(), "vigia_alerting_hits_received_total") - consumed_before;
    INFO("lag on vigia.hits during the stall: min " << min_lag << ", max " << max_lag << "; hits consumed "
                                                    << consumed);
    CHECK(min_lag > 0);
    CHECK(consumed > 0);
    CHECK(consumed <= 256);
    CHECK(metric_sum(metrics(), "vigia_alerting_alerts_failed_total") == 0);
  }
  INFO("VmRSS before the stall " << rss_before / 1e6 << " MB, at its end " << rss_during / 1e6 << " MB");
  CHECK(rss_before > 0);
  CHECK(rss_during > 0);
  CHECK(rss_during < 400e6);

  // The receiver answers again: every alert arrives, once per item, and the lag drains to 0.
  stalled->store(false);
  {
    const bool all = eventually(60s, [&] { return got().ids.size() == warmup.size() + batch.size(); });
    const auto g = got();
    INFO("distinct alerts " << g.ids.size() << " of " << warmup.size() + batch.size() << "\n" << log_tail());
    CHECK(all);  // not fatal: the membership checks below say more when the consumer was thrown out
  }
  const auto g = got();
  CHECK(g.urls.size() == warmup.size() + batch.size());
  for (const auto& i : batch) CHECK(g.urls.count(i.link) == 1);
  {
    const bool drained = eventually(60s, [&] {
      std::size_t series = 0;
      return hits_lag(&series) == 0 && series > 0;
    });
    INFO(metrics());
    CHECK(drained);
  }
  // Revokes and rebalances of a consumer thrown out during the stall surface once it polls again.
  {
    INFO(log_tail());
    CHECK(alert_revokes() == revokes_before);
    CHECK(alert_rebalances() == rebalances_before);
    CHECK(metric_sum(metrics(), "vigia_alerting_alerts_failed_total") == 0);
  }
}
