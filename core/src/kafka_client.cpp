#include "kafka_client.h"

#include <cstring>

#include "vigia/core/log.h"

namespace vigia {
namespace {

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)>;

Result<ConfPtr> make_conf(const std::map<std::string, std::string>& properties) {
  ConfPtr conf(rd_kafka_conf_new(), &rd_kafka_conf_destroy);
  char err[512];
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      // librdkafka's message names the property and what it expects, not the value itself.
      return make_error("config", "kafka." + key + ": " + err);
    }
  }
  return conf;
}

void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  auto log = log::get("kafka");
  const char* name = rk ? rd_kafka_name(rk) : "kafka";
  // Properties meant for the other kind of client (a consumer setting on a producer) are
  // expected when one `kafka:` map configures every client.
  if (std::strcmp(facility, "CONFWARN") == 0) level = 7;
  if (level <= 3) {
    log->error("{} {}: {}", name, facility, message);
  } else if (level == 4) {
    log->warn("{} {}: {}", name, facility, message);
  } else if (level <= 6) {
    log->info("{} {}: {}", name, facility, message);
  } else {
    log->debug("{} {}: {}", name, facility, message);
  }
}

void on_error(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  auto log = log::get("kafka");
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char why[512];
    rd_kafka_fatal_error(rk, why, sizeof why);
    log->critical("{}: fatal error, the client cannot go on: {}", rd_kafka_name(rk), why);
  } else {
    // Transient by librdkafka's own account (brokers down, timeouts): it retries by itself, and
    // its log callback has already said so at its own level.
    log->debug("{}: {} ({})", rd_kafka_name(rk), reason, rd_kafka_err2name(code));
  }
}

int on_stats(rd_kafka_t* /*rk*/, char* json, size_t len, void* opaque) {
  auto* client = KafkaClient::from_opaque(opaque);
  if (client) client->export_stats(std::string_view(json, len));
  return 0;  // librdkafka frees `json`
}

}  // namespace

Status KafkaClient::check_config(const std::map<std::string, std::string>& properties) {
  auto conf = make_conf(properties);
  if (!conf.ok()) return conf.error();
  return ok_status();
}

Result<std::unique_ptr<KafkaClient>> KafkaClient::create(rd_kafka_type_t type,
                                                         const std::map<std::string, std::string>& properties,
                                                         std::string name, const KafkaBusOptions& options,
                                                         const Customize& customize) {
  std::map<std::string, std::string> props = properties;
  props.try_emplace("client.id", "vigia-" + name);
  if (options.metrics) {
    props.try_emplace("statistics.interval.ms", std::to_string(options.statistics_interval.count()));
  }
  auto conf = make_conf(props);
  if (!conf.ok()) return conf.error();
  std::unique_ptr<KafkaClient> client(new KafkaClient(std::move(name)));
  if (options.metrics) {
    client->stats_ = std::make_unique<KafkaStatsExporter>(*options.metrics, client->name_);
    rd_kafka_conf_set_stats_cb(conf->get(), &on_stats);
  }
  rd_kafka_conf_set_opaque(conf->get(), client.get());
  rd_kafka_conf_set_log_cb(conf->get(), &on_log);
  rd_kafka_conf_set_error_cb(conf->get(), &on_error);
  if (customize) customize(conf->get());
  char err[512];
  client->rk_ = rd_kafka_new(type, conf->get(), err, sizeof err);
  if (!client->rk_) return make_error("config", "cannot create the Kafka client " + client->name_ + ": " + err);
  conf->release();  // rd_kafka_new took it
  return client;
}

void KafkaClient::export_stats(std::string_view json) {
  if (!stats_) return;
  if (auto s = stats_->update(json); !s.ok()) {
    log::get("kafka")->debug("{}: unreadable statistics: {}", name_, s.error().message);
  }
}

KafkaClient::~KafkaClient() {
  if (rk_) rd_kafka_destroy(rk_);
}

}  // namespace vigia
