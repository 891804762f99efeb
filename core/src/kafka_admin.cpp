// create_kafka_topics(): the admin API call behind `bus.create_topics: true`.
#include <librdkafka/rdkafka.h>

#include <memory>
#include <vector>

#include "kafka_client.h"
#include "vigia/core/kafka_bus.h"
#include "vigia/core/log.h"

namespace vigia {

Status create_kafka_topics(const std::map<std::string, std::string>& properties,
                           const std::vector<KafkaTopicSpec>& wanted, std::chrono::milliseconds timeout) {
  if (wanted.empty()) return ok_status();
  auto admin = KafkaClient::create(RD_KAFKA_PRODUCER, properties, "admin", KafkaBusOptions{});
  if (!admin.ok()) return admin.error();
  rd_kafka_t* rk = (*admin)->handle();
  char err[512];

  std::vector<rd_kafka_NewTopic_t*> topics;
  auto free_topics = [&] {
    for (auto* t : topics) rd_kafka_NewTopic_destroy(t);
  };
  for (const auto& spec : wanted) {
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, spec.replication_factor, err,
                                                   sizeof err);
    if (!t) {
      free_topics();
      return make_error("config", "topic " + spec.name + ": " + err);
    }
    for (const auto& [key, value] : spec.config) rd_kafka_NewTopic_set_config(t, key.c_str(), value.c_str());
    topics.push_back(t);
  }
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> opts(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS), &rd_kafka_AdminOptions_destroy);
  rd_kafka_AdminOptions_set_operation_timeout(opts.get(), static_cast<int>(timeout.count()), err, sizeof err);
  rd_kafka_AdminOptions_set_request_timeout(opts.get(), static_cast<int>(timeout.count()), err, sizeof err);
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(rd_kafka_queue_new(rk),
                                                                             &rd_kafka_queue_destroy);
  rd_kafka_CreateTopics(rk, topics.data(), topics.size(), opts.get(), queue.get());
  free_topics();

  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000), &rd_kafka_event_destroy);
  if (!event) return make_error("timeout", "creating Kafka topics timed out");
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error("kafka", std::string("creating Kafka topics failed: ") + rd_kafka_event_error_string(event.get()));
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  auto log = log::get("kafka");
  for (size_t i = 0; i < count; ++i) {
    const auto code = rd_kafka_topic_result_error(results[i]);
    const char* name = rd_kafka_topic_result_name(results[i]);
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
      log->info("created Kafka topic {}", name);
    } else if (code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      log->debug("Kafka topic {} exists already", name);
    } else {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      return make_error("kafka", std::string("cannot create Kafka topic ") + name + ": " +
                                     (why ? why : rd_kafka_err2str(code)));
    }
  }
  return ok_status();
}

}  // namespace vigia
