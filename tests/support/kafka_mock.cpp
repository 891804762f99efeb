#include "kafka_mock.h"

#include <librdkafka/rdkafka.h>
// rdkafka.h first: the mock header uses its types.
#include <librdkafka/rdkafka_mock.h>

#include <stdexcept>

namespace vigia::test {

KafkaMockCluster::KafkaMockCluster(int brokers) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk_) throw std::runtime_error(std::string("cannot create the mock cluster's handle: ") + err);
  cluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
  if (!cluster_) throw std::runtime_error("cannot create the mock cluster");
}

KafkaMockCluster::~KafkaMockCluster() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_) rd_kafka_destroy(rk_);
}

std::string KafkaMockCluster::bootstrap_servers() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

void KafkaMockCluster::create_topic(const std::string& name, int partitions, int replication) {
  if (rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, replication) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("cannot create mock topic " + name);
  }
}

std::map<std::string, std::string> KafkaMockCluster::client_properties() const {
  return {
      {"bootstrap.servers", bootstrap_servers()},
      {"fetch.wait.max.ms", "5"},
      {"reconnect.backoff.max.ms", "500"},
      {"topic.metadata.refresh.interval.ms", "1000"},
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "500"},
      {"log_level", "4"},
  };
}

}  // namespace vigia::test
