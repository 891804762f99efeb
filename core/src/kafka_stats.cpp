#include "vigia/core/kafka_stats.h"

#include <optional>
#include <utility>
#include <vector>

#include <simdjson.h>

namespace vigia {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// Field readers: a missing field or one of another type is "not known" (nullopt), never an error,
// so that a librdkafka version with other fields still exports what it has.
std::optional<std::int64_t> int_field(object o, std::string_view key) {
  std::int64_t v = 0;
  if (o[key].get_int64().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> counter_field(object o, std::string_view key) {
  std::uint64_t v = 0;
  if (o[key].get_uint64().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::string_view string_field(object o, std::string_view key) {
  std::string_view v;
  if (o[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return v;
}

std::optional<object> object_field(object o, std::string_view key) {
  object v;
  if (o[key].get_object().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

// Fetch states of a partition this consumer is not (or no longer) assigned; the others
// (offset-query, offset-wait, active...) are assigned ones.
bool unassigned_fetch_state(std::string_view state) {
  return state == "none" || state == "stopping" || state == "stopped";
}

constexpr double kMicrosPerSecond = 1e6;

}  // namespace

struct KafkaStatsExporter::Document {
  struct Broker {
    std::string name;  // the key in "brokers": one per connection
    std::int64_t nodeid = -1;
    std::string source;  // configured, learned, internal, logical
    std::optional<std::uint64_t> txerrs, rxerrs, req_timeouts;
    std::int64_t rtt_samples = 0;
    std::optional<std::int64_t> rtt_avg_us, rtt_p99_us;
  };
  struct PartitionLag {
    std::string topic;
    std::int64_t partition = -1;
    std::int64_t lag = 0;
  };

  std::string type;  // "producer" or "consumer"
  std::optional<std::int64_t> msg_cnt, msg_size;
  std::optional<std::uint64_t> txmsgs, rxmsgs;
  std::vector<Broker> brokers;
  std::vector<PartitionLag> lags;  // assigned partitions whose lag librdkafka knows
  std::optional<std::uint64_t> rebalance_cnt;
  std::optional<std::int64_t> assignment_size;
};

namespace {

KafkaStatsExporter::Document::Broker read_broker(std::string_view name, object b) {
  KafkaStatsExporter::Document::Broker broker;
  broker.name = name;
  broker.nodeid = int_field(b, "nodeid").value_or(-1);
  broker.source = string_field(b, "source");
  broker.txerrs = counter_field(b, "txerrs");
  broker.rxerrs = counter_field(b, "rxerrs");
  broker.req_timeouts = counter_field(b, "req_timeouts");
  if (auto rtt = object_field(b, "rtt")) {
    broker.rtt_samples = int_field(*rtt, "cnt").value_or(0);
    broker.rtt_avg_us = int_field(*rtt, "avg");
    broker.rtt_p99_us = int_field(*rtt, "p99");
  }
  return broker;
}

void read_lags(std::string_view topic, object partitions,
               std::vector<KafkaStatsExporter::Document::PartitionLag>& out) {
  for (auto [key, value] : partitions) {
    object p;
    if (value.get_object().get(p) != simdjson::SUCCESS) continue;
    const auto partition = int_field(p, "partition");
    if (!partition || *partition < 0) continue;  // -1 is librdkafka's internal UnAssigned partition
    if (unassigned_fetch_state(string_field(p, "fetch_state"))) continue;
    // consumer_lag counts from the committed offset (see the header); -1 is "not known".
    const auto lag = int_field(p, "consumer_lag");
    if (!lag || *lag < 0) continue;
    out.push_back({std::string(topic), *partition, *lag});
  }
}

Result<KafkaStatsExporter::Document> parse_document(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
    return make_error("json", std::string("invalid librdkafka statistics: ") + simdjson::error_message(err));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return make_error("json", "librdkafka statistics must be a JSON object");
  }

  KafkaStatsExporter::Document doc;
  doc.type = string_field(obj, "type");
  doc.msg_cnt = int_field(obj, "msg_cnt");
  doc.msg_size = int_field(obj, "msg_size");
  doc.txmsgs = counter_field(obj, "txmsgs");
  doc.rxmsgs = counter_field(obj, "rxmsgs");
  if (auto brokers = object_field(obj, "brokers")) {
    for (auto [name, value] : *brokers) {
      object b;
      if (value.get_object().get(b) == simdjson::SUCCESS) doc.brokers.push_back(read_broker(name, b));
    }
  }
  if (auto topics = object_field(obj, "topics")) {
    for (auto [name, value] : *topics) {
      object t;
      if (value.get_object().get(t) != simdjson::SUCCESS) continue;
      if (auto partitions = object_field(t, "partitions")) read_lags(name, *partitions, doc.lags);
    }
  }
  if (auto cgrp = object_field(obj, "cgrp")) {
    doc.rebalance_cnt = counter_field(*cgrp, "rebalance_cnt");
    doc.assignment_size = int_field(*cgrp, "assignment_size");
  }
  return doc;
}

}  // namespace

KafkaStatsExporter::KafkaStatsExporter(MetricsRegistry& registry, std::string client)
    : client_(std::move(client)),
      lag_(&gauge_family(registry, "vigia_kafka_consumer_lag",
                         "Messages in an assigned partition after the consumer group's committed offset")),
      assigned_(&gauge_family(registry, "vigia_kafka_assigned_partitions",
                              "Partitions currently assigned to the consumer by its group")),
      queue_messages_(&gauge_family(registry, "vigia_kafka_producer_queue_messages",
                                    "Messages in the producer's queues, not yet acknowledged by a broker")),
      queue_bytes_(&gauge_family(registry, "vigia_kafka_producer_queue_bytes",
                                 "Bytes of the messages in the producer's queues")),
      latency_avg_(&gauge_family(registry, "vigia_kafka_request_latency_avg_seconds",
                                 "Mean round-trip time of requests to a broker over the last statistics interval")),
      latency_p99_(&gauge_family(registry, "vigia_kafka_request_latency_p99_seconds",
                                 "99th percentile round-trip time of requests to a broker over the last interval")),
      rebalances_(&counter_family(registry, "vigia_kafka_rebalances_total",
                                  "Consumer group rebalances (assignments and revocations)")),
      tx_messages_(&counter_family(registry, "vigia_kafka_tx_messages_total", "Messages produced to the brokers")),
      rx_messages_(&counter_family(registry, "vigia_kafka_rx_messages_total", "Messages fetched from the brokers")),
      broker_errors_(&counter_family(registry, "vigia_kafka_broker_errors_total",
                                     "Errors on broker connections: send (tx), receive (rx), request timeouts")) {}

KafkaStatsExporter::~KafkaStatsExporter() {
  for (auto& [family, values] : live_) {
    for (const auto& [labels, value] : values) family->Remove(&family->Add(labels));
  }
}

Status KafkaStatsExporter::update(std::string_view json) {
  auto doc = parse_document(json);
  if (!doc) return doc.error();
  apply(*doc);
  return ok_status();
}

void KafkaStatsExporter::apply(const Document& doc) {
  const Labels client{{"client", client_}};
  Values lag, assigned, queue_messages, queue_bytes, latency_avg, latency_p99;

  if (doc.type == "consumer") {
    for (const auto& p : doc.lags) {
      lag[{{"client", client_}, {"topic", p.topic}, {"partition", std::to_string(p.partition)}}] =
          static_cast<double>(p.lag);
    }
    if (doc.assignment_size) assigned[client] = static_cast<double>(*doc.assignment_size);
    if (doc.rebalance_cnt) count(*rebalances_, client, "cgrp.rebalance_cnt", *doc.rebalance_cnt);
    if (doc.rxmsgs) count(*rx_messages_, client, "rxmsgs", *doc.rxmsgs);
  } else if (doc.type == "producer") {
    if (doc.msg_cnt) queue_messages[client] = static_cast<double>(*doc.msg_cnt);
    if (doc.msg_size) queue_bytes[client] = static_cast<double>(*doc.msg_size);
    if (doc.txmsgs) count(*tx_messages_, client, "txmsgs", *doc.txmsgs);
  }

  for (const auto& b : doc.brokers) {
    // Not a broker yet (a bootstrap address before its id is known) or not a connection at all.
    if (b.nodeid < 0 || b.source == "internal") continue;
    const std::string broker = std::to_string(b.nodeid);
    const std::string key = "brokers." + b.name + ".";
    const auto errors = [&](const char* kind, const char* field, const std::optional<std::uint64_t>& value) {
      if (value) count(*broker_errors_, {{"client", client_}, {"broker", broker}, {"kind", kind}}, key + field, *value);
    };
    errors("tx", "txerrs", b.txerrs);
    errors("rx", "rxerrs", b.rxerrs);
    errors("timeout", "req_timeouts", b.req_timeouts);

    // A coordinator connection shares the broker's id but holds JoinGroup for whole rebalances.
    if (b.source == "logical" || b.rtt_samples <= 0) continue;
    // Two gauges, not one with a stat label: an average and a quantile must never be aggregated together.
    const Labels at{{"client", client_}, {"broker", broker}};
    if (b.rtt_avg_us) latency_avg[at] = static_cast<double>(*b.rtt_avg_us) / kMicrosPerSecond;
    if (b.rtt_p99_us) latency_p99[at] = static_cast<double>(*b.rtt_p99_us) / kMicrosPerSecond;
  }

  set_gauges(*lag_, std::move(lag));
  set_gauges(*assigned_, std::move(assigned));
  set_gauges(*queue_messages_, std::move(queue_messages));
  set_gauges(*queue_bytes_, std::move(queue_bytes));
  set_gauges(*latency_avg_, std::move(latency_avg));
  set_gauges(*latency_p99_, std::move(latency_p99));
}

void KafkaStatsExporter::set_gauges(prometheus::Family<prometheus::Gauge>& family, Values values) {
  auto& live = live_[&family];
  for (const auto& [labels, value] : values) family.Add(labels).Set(value);
  for (const auto& [labels, value] : live) {
    if (!values.contains(labels)) family.Remove(&family.Add(labels));
  }
  live = std::move(values);
}

void KafkaStatsExporter::count(prometheus::Family<prometheus::Counter>& family, const Labels& labels,
                               const std::string& key, std::uint64_t value) {
  auto& last = last_[key];  // 0 for a counter not seen before: all of it is new
  const std::uint64_t delta = value >= last ? value - last : value;
  last = value;
  family.Add(labels).Increment(static_cast<double>(delta));
}

}  // namespace vigia
