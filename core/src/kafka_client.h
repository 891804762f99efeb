// One librdkafka client (producer or consumer) as the bus uses it: configuration passed through
// from KafkaBusOptions::properties (checked key by key, errors name the key but never its value,
// which may be a secret), librdkafka's log lines in our "kafka" logger, and its statistics
// exported as Prometheus series labelled with the client's name.
#pragma once

#include <librdkafka/rdkafka.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "vigia/core/kafka_bus.h"
#include "vigia/core/kafka_stats.h"

namespace vigia {

class KafkaClient {
 public:
  // Called with the configuration before the client is created: callbacks and opaque pointers.
  // The conf opaque is the KafkaClient; set `user()` for the callback's own object.
  using Customize = std::function<void(rd_kafka_conf_t*)>;

  static Result<std::unique_ptr<KafkaClient>> create(rd_kafka_type_t type,
                                                     const std::map<std::string, std::string>& properties,
                                                     std::string name, const KafkaBusOptions& options,
                                                     const Customize& customize = {});
  // Fails (reason "config") on the first property librdkafka does not accept.
  static Status check_config(const std::map<std::string, std::string>& properties);

  ~KafkaClient();
  KafkaClient(const KafkaClient&) = delete;
  KafkaClient& operator=(const KafkaClient&) = delete;

  rd_kafka_t* handle() const { return rk_; }
  const std::string& name() const { return name_; }
  void* user() const { return user_; }
  void set_user(void* user) { user_ = user; }

  // The client behind a callback's opaque pointer.
  static KafkaClient* from_opaque(void* opaque) { return static_cast<KafkaClient*>(opaque); }
  // Hands one statistics document to the exporter (called by librdkafka's stats callback).
  void export_stats(std::string_view json);

 private:
  explicit KafkaClient(std::string name) : name_(std::move(name)) {}

  rd_kafka_t* rk_ = nullptr;
  std::string name_;
  void* user_ = nullptr;
  std::unique_ptr<KafkaStatsExporter> stats_;
};

}  // namespace vigia
