// librdkafka's mock cluster in the test process: brokers that speak the real Kafka protocol on
// loopback ports, for tests of KafkaBus and KafkaKeyOwnership. Limits (librdkafka 2.0.2): a few
// MB per partition, and an empty fetch waits the whole fetch.wait.max.ms — hence the short one in
// client_properties().
#pragma once

#include <map>
#include <string>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace vigia::test {

class KafkaMockCluster {
 public:
  explicit KafkaMockCluster(int brokers = 3);
  ~KafkaMockCluster();
  KafkaMockCluster(const KafkaMockCluster&) = delete;
  KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;

  std::string bootstrap_servers() const;
  void create_topic(const std::string& name, int partitions, int replication = 1);
  // Client settings for tests: these brokers, quick fetches, reconnects and rebalances.
  std::map<std::string, std::string> client_properties() const;
  rd_kafka_mock_cluster_s* handle() const { return cluster_; }

 private:
  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
};

}  // namespace vigia::test
