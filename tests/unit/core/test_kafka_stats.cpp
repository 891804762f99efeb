#include <catch2/catch.hpp>

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h needs rdkafka.h first.
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "vigia/core/kafka_stats.h"
#include "vigia/core/metrics.h"

using namespace std::chrono_literals;
using vigia::KafkaStatsExporter;
using vigia::MetricsRegistry;
using vigia::serialize_metrics;

namespace {

// The value of one series in an exposition, `series` spelled as Prometheus prints it (labels in
// alphabetical order); nullopt when the series is absent.
std::optional<double> sample(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// --- A real librdkafka client, its statistics fed to an exporter --------------------------------

struct KafkaDestroy {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDestroy>;

struct MockClusterDestroy {
  void operator()(rd_kafka_mock_cluster_t* cluster) const { rd_kafka_mock_cluster_destroy(cluster); }
};

void quiet_log(const rd_kafka_t*, int, const char*, const char*) {}

int keep_statistics(rd_kafka_t*, char* json, std::size_t len, void* opaque) {
  static_cast<std::vector<std::string>*>(opaque)->emplace_back(json, len);
  return 0;  // librdkafka frees `json`
}

rd_kafka_conf_t* new_conf(const std::map<std::string, std::string>& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : properties) {
    INFO(name << "=" << value << ": " << error);
    REQUIRE(rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) == RD_KAFKA_CONF_OK);
  }
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  return conf;
}

// An in-process mock Kafka cluster (librdkafka's own), one broker with id 1.
class MockCluster {
 public:
  MockCluster() {
    char error[512];
    host_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, new_conf({}), error, sizeof error));
    REQUIRE(host_);
    cluster_.reset(rd_kafka_mock_cluster_new(host_.get(), 1));
    REQUIRE(cluster_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_.get()); }
  void create_topic(const char* name, int partitions) {
    REQUIRE(rd_kafka_mock_topic_create(cluster_.get(), name, partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  KafkaHandle host_;  // the mock cluster runs on this handle's threads
  std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDestroy> cluster_;
};

// A librdkafka client emitting statistics every 100 ms, and the exporter they are fed to.
class StatsClient {
 public:
  StatsClient(rd_kafka_type_t type, std::map<std::string, std::string> properties, MetricsRegistry& registry,
              std::string name)
      : registry_(registry), exporter_(registry, std::move(name)) {
    properties["statistics.interval.ms"] = "100";
    rd_kafka_conf_t* conf = new_conf(properties);
    rd_kafka_conf_set_stats_cb(conf, keep_statistics);
    rd_kafka_conf_set_opaque(conf, &documents_);
    char error[512];
    rk_.reset(rd_kafka_new(type, conf, error, sizeof error));
    INFO(error);
    REQUIRE(rk_);
  }

  rd_kafka_t* get() const { return rk_.get(); }

  // Serves the client's callbacks and feeds each statistics document to the exporter, until the
  // metrics satisfy `done` after a document emitted after this call started (so not a stale one
  // still queued), or 8 s pass.
  bool feed_until(const std::function<bool(const std::string&)>& done) {
    rd_kafka_poll(rk_.get(), 0);  // documents queued earlier
    feed();
    const auto deadline = std::chrono::steady_clock::now() + 8s;
    while (std::chrono::steady_clock::now() < deadline) {
      rd_kafka_poll(rk_.get(), 50);
      if (feed() > 0 && done(serialize_metrics(registry_))) return true;
    }
    return false;
  }

 private:
  std::size_t feed() {
    const std::size_t before = fed_;
    for (; fed_ < documents_.size(); ++fed_) {
      auto status = exporter_.update(documents_[fed_]);
      INFO(documents_[fed_]);
      REQUIRE(status.ok());
    }
    return fed_ - before;
  }

  MetricsRegistry& registry_;
  KafkaStatsExporter exporter_;
  std::vector<std::string> documents_;  // filled by stats_cb on the thread calling rd_kafka_poll
  std::size_t fed_ = 0;
  KafkaHandle rk_;  // declared last: destroyed first, so no callback outlives documents_
};

// Receives up to `n` messages, skipping error events; returns how many arrived within 8 s.
int consume(rd_kafka_t* consumer, int n) {
  int received = 0;
  const auto deadline = std::chrono::steady_clock::now() + 8s;
  while (received < n && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 50);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) ++received;
    rd_kafka_message_destroy(message);
  }
  return received;
}

}  // namespace

TEST_CASE("KafkaStatsExporter exports the statistics of a real producer and consumer", "[core][kafka][kafka_stats]") {
  MockCluster cluster;
  cluster.create_topic("events", 2);
  MetricsRegistry registry;  // shared by both exporters, as in the daemon
  constexpr int kProduced = 7;

  // Producer: a long linger keeps the messages queued until flush, so the queue gauge has a known value.
  StatsClient producer(RD_KAFKA_PRODUCER, {{"bootstrap.servers", cluster.bootstraps()}, {"linger.ms", "60000"}},
                       registry, "items-producer");
  for (int i = 0; i < kProduced; ++i) {
    REQUIRE(rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC("events"), RD_KAFKA_V_PARTITION(1),
                              RD_KAFKA_V_KEY("k", 1), RD_KAFKA_V_VALUE(const_cast<char*>("item"), 4),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  CHECK(producer.feed_until([&](const std::string& m) {
    return sample(m, R"(vigia_kafka_producer_queue_messages{client="items-producer"})") == kProduced;
  }));
  std::string metrics = serialize_metrics(registry);
  CHECK(sample(metrics, R"(vigia_kafka_producer_queue_bytes{client="items-producer"})") > 0);

  REQUIRE(rd_kafka_flush(producer.get(), 8000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK(producer.feed_until([&](const std::string& m) {
    return sample(m, R"(vigia_kafka_tx_messages_total{client="items-producer"})") == kProduced;
  }));
  metrics = serialize_metrics(registry);
  CHECK(sample(metrics, R"(vigia_kafka_tx_messages_total{client="items-producer"})") == kProduced);
  CHECK(sample(metrics, R"(vigia_kafka_producer_queue_messages{client="items-producer"})") == 0);
  CHECK(sample(metrics, R"(vigia_kafka_broker_errors_total{broker="1",client="items-producer",kind="tx"})"));

  // Consumer: reads 3 of the 7 messages and commits them, then reads 2 more without committing.
  StatsClient consumer(RD_KAFKA_CONSUMER,
                       {{"bootstrap.servers", cluster.bootstraps()},
                        {"group.id", "vigia-score"},
                        {"auto.offset.reset", "earliest"},
                        {"enable.auto.commit", "false"},
                        {"fetch.wait.max.ms", "5"}},
                       registry, "score-consumer-0");
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "events", RD_KAFKA_PARTITION_UA);
  REQUIRE(rd_kafka_subscribe(consumer.get(), topics) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
  REQUIRE(consume(consumer.get(), 3) == 3);
  REQUIRE(rd_kafka_commit(consumer.get(), nullptr, 0) == RD_KAFKA_RESP_ERR_NO_ERROR);
  REQUIRE(consume(consumer.get(), 2) == 2);

  const std::string lag = R"(vigia_kafka_consumer_lag{client="score-consumer-0",partition="1",topic="events"})";
  const std::string p99 = R"(vigia_kafka_request_latency_p99_seconds{broker="1",client="score-consumer-0"})";
  CHECK(consumer.feed_until([&](const std::string& m) { return sample(m, lag) && sample(m, p99); }));
  metrics = serialize_metrics(registry);
  INFO(metrics);
  // Lag counts from the committed offset (3), not from the 5 messages handed to the application.
  CHECK(sample(metrics, lag) == kProduced - 3);
  // Partition 0 has nothing committed: its lag is unknown, so absent rather than 0.
  CHECK_FALSE(sample(metrics, R"(vigia_kafka_consumer_lag{client="score-consumer-0",partition="0",topic="events"})"));
  CHECK(occurrences(metrics, R"(partition="-1")") == 0);
  CHECK(sample(metrics, p99) > 0);
  CHECK(sample(metrics, R"(vigia_kafka_request_latency_avg_seconds{broker="1",client="score-consumer-0"})") > 0);
  CHECK(sample(metrics, R"(vigia_kafka_broker_errors_total{broker="1",client="score-consumer-0",kind="timeout"})"));
  CHECK(sample(metrics, R"(vigia_kafka_assigned_partitions{client="score-consumer-0"})") == 2);
  CHECK(sample(metrics, R"(vigia_kafka_rebalances_total{client="score-consumer-0"})") >= 1);
  CHECK(sample(metrics, R"(vigia_kafka_rx_messages_total{client="score-consumer-0"})") >= 5);
  // Each client keeps to its own kind of series; the producer's are still there.
  CHECK_FALSE(sample(metrics, R"(vigia_kafka_producer_queue_messages{client="score-consumer-0"})"));
  CHECK(sample(metrics, R"(vigia_kafka_tx_messages_total{client="items-producer"})") == kProduced);
  CHECK(occurrences(metrics, "# TYPE vigia_kafka_broker_errors_total counter") == 1);
}

// --- Hand-written documents for the edge cases ---------------------------------------------------

namespace {

std::string producer_doc(int msg_cnt, int txmsgs, int txerrs) {
  return R"({"name":"rdkafka#producer-1","type":"producer","msg_cnt":)" + std::to_string(msg_cnt) + R"(,"msg_size":)" +
         std::to_string(msg_cnt * 100) + R"(,"txmsgs":)" + std::to_string(txmsgs) +
         R"(,"rxmsgs":0,"brokers":{"kafka-1:9092/1":{"name":"kafka-1:9092/1","nodeid":1,"source":"learned",)" +
         R"("txerrs":)" + std::to_string(txerrs) +
         R"(,"rxerrs":0,"req_timeouts":0,"rtt":{"avg":1500,"p99":2000,"cnt":4}}},"topics":{}})";
}

std::string partition(int id, const char* fetch_state, int lag) {
  return "\"" + std::to_string(id) + R"(":{"partition":)" + std::to_string(id) + R"(,"fetch_state":")" + fetch_state +
         R"(","consumer_lag":)" + std::to_string(lag) + R"(,"consumer_lag_stored":)" + std::to_string(lag) + "}";
}

std::string consumer_doc(const std::string& partitions) {
  return R"({"name":"rdkafka#consumer-1","type":"consumer","msg_cnt":0,"msg_size":0,"txmsgs":0,"rxmsgs":9,)"
         R"("brokers":{},"topics":{"events":{"topic":"events","partitions":{)" +
         partitions + R"(}}},"cgrp":{"rebalance_cnt":1,"assignment_size":2}})";
}

std::string lag_series(int partition) {
  return R"(vigia_kafka_consumer_lag{client="c",partition=")" + std::to_string(partition) + R"(",topic="events"})";
}

}  // namespace

TEST_CASE("KafkaStatsExporter rejects an unparsable document and leaves the series as they were",
          "[core][kafka][kafka_stats]") {
  MetricsRegistry registry;
  KafkaStatsExporter exporter(registry, "p");
  REQUIRE(exporter.update(producer_doc(3, 10, 1)).ok());
  const std::string before = serialize_metrics(registry);
  REQUIRE(sample(before, R"(vigia_kafka_producer_queue_messages{client="p"})") == 3);

  const std::vector<std::string> bad_documents{R"({"type":"producer","msg_cnt":)", "[1, 2]", ""};
  for (const auto& bad : bad_documents) {
    auto status = exporter.update(bad);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().reason == "json");
    CHECK(serialize_metrics(registry) == before);
  }
  // A good document afterwards counts from the last good one.
  REQUIRE(exporter.update(producer_doc(0, 12, 1)).ok());
  CHECK(sample(serialize_metrics(registry), R"(vigia_kafka_tx_messages_total{client="p"})") == 12);
}

TEST_CASE("KafkaStatsExporter counts the new value when a librdkafka counter goes down", "[core][kafka][kafka_stats]") {
  MetricsRegistry registry;
  KafkaStatsExporter exporter(registry, "p");
  const std::string tx = R"(vigia_kafka_tx_messages_total{client="p"})";
  const std::string txerrs = R"(vigia_kafka_broker_errors_total{broker="1",client="p",kind="tx"})";

  REQUIRE(exporter.update(producer_doc(0, 10, 5)).ok());
  CHECK(sample(serialize_metrics(registry), tx) == 10);
  CHECK(sample(serialize_metrics(registry), txerrs) == 5);
  REQUIRE(exporter.update(producer_doc(0, 15, 5)).ok());
  CHECK(sample(serialize_metrics(registry), tx) == 15);
  CHECK(sample(serialize_metrics(registry), txerrs) == 5);
  // The client was recreated: its counters restarted from 0, and all of the new value is new.
  REQUIRE(exporter.update(producer_doc(0, 4, 2)).ok());
  CHECK(sample(serialize_metrics(registry), tx) == 19);
  CHECK(sample(serialize_metrics(registry), txerrs) == 7);
}

TEST_CASE("KafkaStatsExporter exports lag only for assigned partitions whose lag is known",
          "[core][kafka][kafka_stats]") {
  MetricsRegistry registry;
  KafkaStatsExporter exporter(registry, "c");

  REQUIRE(exporter
              .update(consumer_doc(partition(0, "active", 12) + "," + partition(1, "active", 0) + "," +
                                   partition(2, "offset-query", -1) + "," + partition(-1, "none", 40)))
              .ok());
  std::string metrics = serialize_metrics(registry);
  INFO(metrics);
  CHECK(sample(metrics, lag_series(0)) == 12);
  CHECK(sample(metrics, lag_series(1)) == 0);
  CHECK_FALSE(sample(metrics, lag_series(2)));            // -1: not known yet
  CHECK(occurrences(metrics, R"(partition="-1")") == 0);  // librdkafka's internal UA partition
  CHECK(sample(metrics, R"(vigia_kafka_assigned_partitions{client="c"})") == 2);
  CHECK(sample(metrics, R"(vigia_kafka_rx_messages_total{client="c"})") == 9);
  CHECK_FALSE(sample(metrics, R"(vigia_kafka_tx_messages_total{client="c"})"));

  // Partition 0 revoked (fetch stopped, a stale lag still reported), partition 1's lag unknown
  // again: both series go rather than freeze.
  REQUIRE(exporter
              .update(consumer_doc(partition(0, "stopped", 12) + "," + partition(1, "active", -1) + "," +
                                   partition(2, "active", 3)))
              .ok());
  metrics = serialize_metrics(registry);
  CHECK_FALSE(sample(metrics, lag_series(0)));
  CHECK_FALSE(sample(metrics, lag_series(1)));
  CHECK(sample(metrics, lag_series(2)) == 3);
}

TEST_CASE("KafkaStatsExporter labels brokers by id and leaves out bootstrap and coordinator latency",
          "[core][kafka][kafka_stats]") {
  MetricsRegistry registry;
  KafkaStatsExporter exporter(registry, "c");
  const std::string doc = R"({"type":"consumer","brokers":{
    "kafka-1:9092/1":{"nodeid":1,"source":"learned","txerrs":1,"rxerrs":0,"req_timeouts":2,
                      "rtt":{"avg":2000,"p99":4000,"cnt":3}},
    "GroupCoordinator":{"nodeid":1,"source":"logical","txerrs":2,"rxerrs":1,"req_timeouts":0,
                        "rtt":{"avg":3000000,"p99":3000000,"cnt":5}},
    "kafka:9092/bootstrap":{"nodeid":-1,"source":"configured","txerrs":9,"rxerrs":9,"req_timeouts":9,
                            "rtt":{"avg":100,"p99":100,"cnt":1}},
    "kafka-2:9092/2":{"nodeid":2,"source":"learned","txerrs":0,"rxerrs":0,"req_timeouts":0,
                      "rtt":{"avg":0,"p99":0,"cnt":0}}},"topics":{}})";
  REQUIRE(exporter.update(doc).ok());
  const std::string metrics = serialize_metrics(registry);
  INFO(metrics);
  // The coordinator connection's errors are errors talking to broker 1.
  CHECK(sample(metrics, R"(vigia_kafka_broker_errors_total{broker="1",client="c",kind="tx"})") == 3);
  CHECK(sample(metrics, R"(vigia_kafka_broker_errors_total{broker="1",client="c",kind="rx"})") == 1);
  CHECK(sample(metrics, R"(vigia_kafka_broker_errors_total{broker="1",client="c",kind="timeout"})") == 2);
  CHECK(sample(metrics, R"(vigia_kafka_broker_errors_total{broker="2",client="c",kind="tx"})") == 0);
  // Latency in seconds, from the broker's own connection only.
  CHECK(sample(metrics, R"(vigia_kafka_request_latency_avg_seconds{broker="1",client="c"})") == Approx(0.002));
  CHECK(sample(metrics, R"(vigia_kafka_request_latency_p99_seconds{broker="1",client="c"})") == Approx(0.004));
  // No requests to broker 2 in the interval: no latency rather than a 0.
  CHECK_FALSE(sample(metrics, R"(vigia_kafka_request_latency_avg_seconds{broker="2",client="c"})"));
  CHECK(occurrences(metrics, R"(broker="-1")") == 0);
  CHECK(occurrences(metrics, "bootstrap") == 0);
}

TEST_CASE("KafkaStatsExporters share a registry and a destroyed one takes its gauges along",
          "[core][kafka][kafka_stats]") {
  MetricsRegistry registry;
  KafkaStatsExporter kept(registry, "items-producer");
  REQUIRE(kept.update(producer_doc(2, 5, 0)).ok());
  {
    KafkaStatsExporter closed(registry, "hits-producer");
    REQUIRE(closed.update(producer_doc(4, 8, 0)).ok());
    const std::string metrics = serialize_metrics(registry);
    CHECK(sample(metrics, R"(vigia_kafka_producer_queue_messages{client="items-producer"})") == 2);
    CHECK(sample(metrics, R"(vigia_kafka_producer_queue_messages{client="hits-producer"})") == 4);
    CHECK(occurrences(metrics, "# HELP vigia_kafka_producer_queue_messages ") == 1);
  }
  const std::string metrics = serialize_metrics(registry);
  CHECK(sample(metrics, R"(vigia_kafka_producer_queue_messages{client="items-producer"})") == 2);
  CHECK_FALSE(sample(metrics, R"(vigia_kafka_producer_queue_messages{client="hits-producer"})"));
  CHECK_FALSE(sample(metrics, R"(vigia_kafka_request_latency_avg_seconds{broker="1",client="hits-producer"})"));
  CHECK(sample(metrics, R"(vigia_kafka_tx_messages_total{client="hits-producer"})") == 8);  // counters stay
}
