// KafkaStatsExporter: librdkafka's statistics JSON (what stats_cb receives every
// statistics.interval.ms) as Prometheus series, so Kafka mode's lag, broker latency and errors show
// on /metrics next to the stages' own metrics.
//
// Series (labels are bounded: the client name given here, topic, partition, broker id):
//   vigia_kafka_consumer_lag{client,topic,partition}                      gauge, consumers
//   vigia_kafka_assigned_partitions{client}                               gauge, consumer groups
//   vigia_kafka_rebalances_total{client}                                  counter, consumer groups
//   vigia_kafka_rx_messages_total{client}                                 counter, consumers
//   vigia_kafka_producer_queue_messages{client}                           gauge, producers
//   vigia_kafka_producer_queue_bytes{client}                              gauge, producers
//   vigia_kafka_tx_messages_total{client}                                 counter, producers
//   vigia_kafka_request_latency_avg_seconds{client,broker}   gauge
//   vigia_kafka_request_latency_p99_seconds{client,broker}   gauge
//   vigia_kafka_broker_errors_total{client,broker,kind="tx"|"rx"|"timeout"} counter
//
// - Consumer lag is librdkafka's `consumer_lag`: the partition's end offset minus the group's
//   *committed* offset, i.e. what a restart or a rebalance would have to read again. (The other
//   field, `consumer_lag_stored`, is measured from the offset stored for the next commit, which
//   with the default enable.auto.offset.store is whatever was handed to the application, processed
//   or not.) It is exported for assigned partitions only; while librdkafka does not know it (-1:
//   nothing committed yet, no high watermark yet) the series is absent rather than a made-up 0.
// - A gauge series exists only while the latest document gives it a value: a revoked partition's
//   lag, or the latency of a broker that answered no request during the last interval, disappears
//   instead of going stale. For consumers, request latency includes fetch.wait.max.ms (the
//   broker holds a Fetch that long when there is nothing new).
// - `broker` is the broker id. Connections librdkafka makes to a coordinator (its "logical"
//   GroupCoordinator/TxnCoordinator entries) count their errors under that broker's id but not
//   their latency: they carry JoinGroup/SyncGroup, which the broker holds for a whole rebalance.
//   Bootstrap connections whose broker id is not known yet (nodeid -1) are not exported.
// - librdkafka's counters are cumulative per client; the Prometheus counters grow by the
//   difference between successive documents. A value lower than the previous one means the client
//   was recreated and counted from 0 again, so the whole new value is added.
//
// Thread-safety: update() on one exporter must not run concurrently with itself (librdkafka calls
// stats_cb from the thread polling that client). Exporters for different clients may share one
// registry and update concurrently; that registry must keep prometheus-cpp's default
// InsertBehavior::Merge (families are registered once and shared) and must outlive them. Each
// exporter needs its own `client` name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "vigia/core/metrics.h"
#include "vigia/core/result.h"

namespace vigia {

class KafkaStatsExporter {
 public:
  // `client` names the librdkafka client in the `client` label ("items-producer",
  // "score-consumer-0"...); it must be short and come from configuration, never from data.
  KafkaStatsExporter(MetricsRegistry& registry, std::string client);
  // Removes this client's gauge series (a closed consumer must not keep reporting lag); its
  // counters stay, and keep counting if an exporter for the same client name is created again.
  ~KafkaStatsExporter();
  KafkaStatsExporter(const KafkaStatsExporter&) = delete;
  KafkaStatsExporter& operator=(const KafkaStatsExporter&) = delete;

  // Parses one statistics document and updates the series. A document that is not a JSON object
  // is an Error (reason "json") and leaves every series as it was. Fields that are missing or of
  // an unexpected type are skipped, so other librdkafka versions still export what they have.
  Status update(std::string_view json);

  struct Document;  // one parsed statistics document (internal)

 private:
  using Labels = std::map<std::string, std::string>;
  using Values = std::map<Labels, double>;

  void apply(const Document& doc);
  void set_gauges(prometheus::Family<prometheus::Gauge>& family, Values values);
  // Adds to `family`'s `labels` series the growth of the cumulative `value` known as `key`.
  void count(prometheus::Family<prometheus::Counter>& family, const Labels& labels, const std::string& key,
             std::uint64_t value);

  std::string client_;
  prometheus::Family<prometheus::Gauge>* lag_;
  prometheus::Family<prometheus::Gauge>* assigned_;
  prometheus::Family<prometheus::Gauge>* queue_messages_;
  prometheus::Family<prometheus::Gauge>* queue_bytes_;
  prometheus::Family<prometheus::Gauge>* latency_avg_;
  prometheus::Family<prometheus::Gauge>* latency_p99_;
  prometheus::Family<prometheus::Counter>* rebalances_;
  prometheus::Family<prometheus::Counter>* tx_messages_;
  prometheus::Family<prometheus::Counter>* rx_messages_;
  prometheus::Family<prometheus::Counter>* broker_errors_;
  // The gauge series this exporter set from the latest document, per family.
  std::map<prometheus::Family<prometheus::Gauge>*, Values> live_;
  // The latest value of each cumulative librdkafka counter, by a key naming where it was read.
  std::map<std::string, std::uint64_t> last_;
};

}  // namespace vigia
