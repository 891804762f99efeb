// The `bus:` section as an operator writes it for Kafka mode: librdkafka properties passed
// through (secrets from variables or files, never echoed), topics, and what is refused and where.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "support/test_paths.h"
#include "vigia/alerting/sink.h"
#include "vigia/connectors/connector.h"
#include "vigia/daemon/config.h"

using namespace vigia;
using namespace vigia::daemon;
using vigia::test::TempDir;
using vigia::test::write_file;

namespace {

struct Registries {
  connectors::ConnectorRegistry connectors;
  alerting::SinkRegistry sinks;
  Registries() {
    connectors::register_builtin_connectors(connectors);
    alerting::register_builtin_sinks(sinks);
  }
};

// The bus section comes first, so that its line numbers are the test's.
ConfigLoad load(const std::string& bus) {
  static const Registries r;
  return load_config_text("/etc/vigia/vigia.yaml", bus + "rules: {paths: [packs]}\nsinks: [{name: c, type: console}]\n",
                          r.connectors, r.sinks);
}

// An environment variable set for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("without a bus section the bus is the embedded memory bus", "[daemon][config][kafka]") {
  auto c = load("");
  INFO(c.diagnostics.to_text());
  REQUIRE(c.config);
  CHECK(c.config->bus_kind == "memory");
  CHECK(c.config->bus_capacity == 1024);
  CHECK(c.config->role == Role::kAll);
  CHECK(c.config->kafka.properties.empty());
}

TEST_CASE("kind kafka loads librdkafka properties as strings, secrets read from variables and files",
          "[daemon][config][kafka]") {
  TempDir dir;
  write_file(dir / "key-pass", "file-s3cret\n");
  ScopedEnv password("VIGIA_TEST_KAFKA_PASSWORD", "env-s3cret");
  auto c = load(R"(bus:
  kind: kafka
  kafka:
    bootstrap.servers: kafka-0:9092,kafka-1:9092
    security.protocol: SASL_SSL
    sasl.mechanism: SCRAM-SHA-512
    sasl.username: vigia
    sasl.password: {env: VIGIA_TEST_KAFKA_PASSWORD}
    ssl.key.password: {file: )" +
                (dir / "key-pass").string() + R"(}
    fetch.wait.max.ms: 5
    enable.partition.eof: yes
    client.id: "on"
  topics:
    items: {name: osint.items, partitions: 24, linger_ms: 50}
    hits: {name: osint.hits}
    dlq: {partitions: 3}
  create_topics: true
  replication_factor: 3
  group_prefix: osint
)");
  INFO(c.diagnostics.to_text());
  REQUIRE(c.config);
  CHECK(c.diagnostics.all().empty());
  const KafkaConfig& k = c.config->kafka;
  CHECK(c.config->bus_kind == "kafka");
  CHECK(k.properties == std::map<std::string, std::string>{{"bootstrap.servers", "kafka-0:9092,kafka-1:9092"},
                                                           {"security.protocol", "SASL_SSL"},
                                                           {"sasl.mechanism", "SCRAM-SHA-512"},
                                                           {"sasl.username", "vigia"},
                                                           {"sasl.password", "env-s3cret"},
                                                           {"ssl.key.password", "file-s3cret"},
                                                           {"fetch.wait.max.ms", "5"},
                                                           {"enable.partition.eof", "true"},
                                                           {"client.id", "on"}});  // quoted: as written
  CHECK(k.secret_properties == std::set<std::string>{"sasl.password", "ssl.key.password"});
  CHECK(k.items.name == "osint.items");
  CHECK(k.items.partitions == 24);
  CHECK(k.items.linger_ms == 50);
  CHECK(k.hits.name == "osint.hits");
  CHECK(k.hits.partitions == 6);  // defaults kept for what is not written
  CHECK(k.hits.linger_ms == 1);
  CHECK(k.dlq.name == "vigia.dlq");
  CHECK(k.dlq.partitions == 3);
  CHECK(k.dlq.linger_ms == -1);
  CHECK(k.feeds.name == "vigia.feeds");
  CHECK(k.feeds.partitions == 12);
  CHECK(k.create_topics);
  CHECK(k.replication_factor == 3);
  CHECK(k.group_prefix == "osint");
}

TEST_CASE("kafka defaults are the documented topics and groups", "[daemon][config][kafka]") {
  auto c = load("bus: {kind: kafka, kafka: {bootstrap.servers: localhost:9092}}\n");
  INFO(c.diagnostics.to_text());
  REQUIRE(c.config);
  const KafkaConfig& k = c.config->kafka;
  CHECK((k.items.name == "vigia.items" && k.items.partitions == 12 && k.items.linger_ms == 20));
  CHECK((k.hits.name == "vigia.hits" && k.hits.partitions == 6 && k.hits.linger_ms == 1));
  CHECK((k.dlq.name == "vigia.dlq" && k.dlq.partitions == 1 && k.dlq.linger_ms == -1));
  CHECK((k.feeds.name == "vigia.feeds" && k.feeds.partitions == 12 && k.feeds.linger_ms == -1));
  CHECK_FALSE(k.create_topics);
  CHECK(k.replication_factor == -1);
  CHECK(k.group_prefix == "vigia");
  CHECK(k.secret_properties.empty());
}

TEST_CASE("a secret that cannot be read is an error naming the variable or file, never a value",
          "[daemon][config][kafka]") {
  TempDir dir;
  write_file(dir / "empty", "\n");
  ScopedEnv empty("VIGIA_TEST_EMPTY", "");
  unsetenv("VIGIA_TEST_UNSET");
  auto c = load(R"(bus:
  kind: kafka
  kafka:
    bootstrap.servers: k:9092
    sasl.password: {env: VIGIA_TEST_UNSET}
    sasl.username: {env: VIGIA_TEST_EMPTY}
    ssl.key.password: {file: )" +
                (dir / "empty").string() + R"(}
    ssl.keystore.password: {file: missing-pass}
    ssl.key.pem: {env: A, file: B}
    sasl.oauthbearer.config: {}
    ssl.certificate.pem: {envv: A}
    client.id: [a, b]
)");
  CHECK_FALSE(c.config);
  const std::string text = c.diagnostics.to_text();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("vigia.yaml:5:26: error[config.secret]: kafka property 'sasl.password': "
                                   "environment variable VIGIA_TEST_UNSET is unset or empty"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:6:26: error[config.secret]: kafka property 'sasl.username': "
                                   "environment variable VIGIA_TEST_EMPTY is unset or empty"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:7:30: error[config.secret]: kafka property 'ssl.key.password': " +
                                   (dir / "empty").string() + " is empty"));
  // Relative to the config file, like every path in it.
  CHECK_THAT(text, Catch::Contains("vigia.yaml:8:35: error[config.secret]: kafka property 'ssl.keystore.password': "
                                   "cannot read /etc/vigia/missing-pass"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:9:18: error[config.bad-value]: kafka property 'ssl.key.pem' takes one "
                                   "of env or file, not both"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:10:30: error[config.missing-key]: kafka property "
                                   "'sasl.oauthbearer.config' needs env: VARIABLE or file: PATH"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:11:27: error[config.unknown-key]: unknown key 'envv' in kafka property "
                                   "'ssl.certificate.pem' (did you mean 'env'?)"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:12:16: error[config.type]: kafka property 'client.id' must be a "
                                   "string, a number, true/false, {env: VARIABLE} or {file: PATH}"));
}

TEST_CASE("a bad librdkafka value is refused at its line, but a secret's value is never quoted",
          "[daemon][config][kafka]") {
  ScopedEnv secret("VIGIA_TEST_NOT_A_NUMBER", "hunter2");
  auto c = load(R"(bus:
  kind: kafka
  kafka:
    bootstrap.servers: k:9092
    security.protocol: carrier-pigeon
    bootstrap.server: typo:9092
    queue.buffering.max.kbytes: {env: VIGIA_TEST_NOT_A_NUMBER}
)");
  CHECK_FALSE(c.config);
  const std::string text = c.diagnostics.to_text();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("vigia.yaml:5:24: error[config.bad-value]: kafka property 'security.protocol': "
                                   "Invalid value \"carrier-pigeon\""));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:6:5: error[config.unknown-key]: unknown librdkafka property "
                                   "'bootstrap.server' (did you mean 'bootstrap.servers'?)"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:7:33: error[config.bad-value]: librdkafka refuses the value of kafka "
                                   "property 'queue.buffering.max.kbytes' (not shown: it is a secret)"));
  CHECK_THAT(text, !Catch::Contains("hunter2"));
}

TEST_CASE("keys Vigía manages itself are refused, saying why", "[daemon][config][kafka]") {
  auto c = load(R"(bus:
  kind: kafka
  kafka:
    bootstrap.servers: k:9092
    enable.auto.commit: true
    enable.auto.offset.store: false
    enable.idempotence: false
    acks: 1
    request.required.acks: 1
    group.id: mine
    transactional.id: tx
)");
  CHECK_FALSE(c.config);
  const std::string text = c.diagnostics.to_text();
  INFO(text);
  int line = 5;
  for (const char* key : {"enable.auto.commit", "enable.auto.offset.store", "enable.idempotence", "acks",
                          "request.required.acks", "group.id", "transactional.id"}) {
    CHECK_THAT(text, Catch::Contains("vigia.yaml:" + std::to_string(line++) +
                                     ":5: error[config.managed-key]: kafka "
                                     "property '" +
                                     key + "' is set by Vigía itself and cannot be configured: "));
  }
  CHECK_THAT(text, Catch::Contains("'group.id' is set by Vigía itself and cannot be configured: consumer groups are "
                                   "<group_prefix>-ingest, -score and -alert; set bus.group_prefix"));
  CHECK(c.diagnostics.error_count() == 7);
}

TEST_CASE("kind kafka needs bootstrap servers, and kind is memory or kafka", "[daemon][config][kafka]") {
  auto none = load("bus: {kind: kafka}\n");
  CHECK_FALSE(none.config);
  CHECK_THAT(none.diagnostics.to_text(),
             Catch::Contains("vigia.yaml:1:6: error[config.missing-key]: bus kind kafka needs "
                             "bus.kafka.bootstrap.servers (the brokers to start from)"));

  auto other = load("bus:\n  kind: kafka\n  kafka: {client.id: x}\n");
  CHECK_FALSE(other.config);
  CHECK_THAT(other.diagnostics.to_text(), Catch::Contains("vigia.yaml:3:10: error[config.missing-key]: bus kind kafka "
                                                          "needs bus.kafka.bootstrap.servers"));

  auto empty = load("bus:\n  kind: kafka\n  kafka: {bootstrap.servers: \"\"}\n");
  CHECK_FALSE(empty.config);
  const std::string empty_text = empty.diagnostics.to_text();
  CHECK_THAT(empty_text, Catch::Contains("vigia.yaml:3:30: error[config.bad-value]: kafka property "
                                         "'bootstrap.servers' must not be empty"));
  CHECK(empty.diagnostics.error_count() == 1);  // not also "missing"

  auto kind = load("bus: {kind: rabbitmq}\n");
  CHECK_FALSE(kind.config);
  CHECK_THAT(
      kind.diagnostics.to_text(),
      Catch::Contains("vigia.yaml:1:13: error[config.bad-value]: bus kind 'rabbitmq' is not one of memory, kafka"));

  auto typo = load("bus: {kind: kafka, kafka: {bootstrap.servers: k:9092}, topic: {}}\n");
  CHECK_FALSE(typo.config);
  CHECK_THAT(
      typo.diagnostics.to_text(),
      Catch::Contains("error[config.unknown-key]: unknown key 'topic' in section 'bus' (did you mean 'topics'?)"));
}

TEST_CASE("Kafka settings with kind memory are an error, not silently ignored", "[daemon][config][kafka]") {
  auto c = load(R"(bus:
  capacity: 64
  kafka: {bootstrap.servers: k:9092}
  topics: {items: {name: x}}
  group_prefix: g
)");
  CHECK_FALSE(c.config);
  const std::string text = c.diagnostics.to_text();
  INFO(text);
  CHECK_THAT(text,
             Catch::Contains("vigia.yaml:3:3: error[config.kafka-only]: bus.kafka is only used with kind: kafka"));
  CHECK_THAT(text,
             Catch::Contains("vigia.yaml:4:3: error[config.kafka-only]: bus.topics is only used with kind: kafka"));
  CHECK_THAT(text, Catch::Contains(
                       "vigia.yaml:5:3: error[config.kafka-only]: bus.group_prefix is only used with kind: kafka"));

  auto capacity = load("bus: {kind: kafka, capacity: 10, kafka: {bootstrap.servers: k:9092}}\n");
  INFO(capacity.diagnostics.to_text());
  CHECK(capacity.config);  // a warning only
  CHECK_THAT(capacity.diagnostics.to_text(),
             Catch::Contains("warning[config.unused]: bus.capacity is only used with kind: memory"));
}

TEST_CASE("topics need distinct valid names, at least one partition and a linger of 0 or more",
          "[daemon][config][kafka]") {
  auto c = load(R"(bus:
  kind: kafka
  kafka: {bootstrap.servers: k:9092}
  topics:
    items: {name: "", partitions: 0, linger_ms: -1}
    hits: {name: vigia.dlq, partitions: many}
    feeds: {name: "bad name", linger_ms: 900001, replicas: 3}
    alerts: {name: x}
  replication_factor: 0
  group_prefix: ""
  create_topics: maybe
)");
  CHECK_FALSE(c.config);
  const std::string text = c.diagnostics.to_text();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("vigia.yaml:5:19: error[config.bad-value]: topic name must not be empty"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:5:35: error[config.bad-value]: partitions must be at least 1"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:5:49: error[config.bad-value]: linger_ms must be between 0 and 900000"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:6:18: error[config.duplicate-name]: topics hits and dlq are both named "
                                   "'vigia.dlq'; each needs its own topic"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:6:41: error[config.type]: expected an integer"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:7:19: error[config.bad-value]: topic name 'bad name' must be at most "
                                   "249 letters, digits, '.', '_' or '-'"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:7:42: error[config.bad-value]: linger_ms must be between 0 and 900000"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:7:50: error[config.unknown-key]: unknown key 'replicas' in section "
                                   "'bus.topics.feeds' (valid keys: name partitions linger_ms)"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:8:5: error[config.unknown-key]: unknown key 'alerts' in section "
                                   "'bus.topics'"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:9:23: error[config.bad-value]: replication_factor must be -1 (the "
                                   "broker's default) or at least 1"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:10:17: error[config.bad-value]: group_prefix must not be empty"));
  CHECK_THAT(text, Catch::Contains("vigia.yaml:11:18: error[config.type]: expected true or false"));
}

TEST_CASE("a password written inline still counts as a secret, so that it is never logged", "[daemon][config][kafka]") {
  auto c = load("bus:\n  kind: kafka\n  kafka: {bootstrap.servers: k:9092, sasl.username: u, sasl.password: inline}\n");
  INFO(c.diagnostics.to_text());
  REQUIRE(c.config);
  CHECK(c.config->kafka.properties.at("sasl.password") == "inline");
  CHECK(c.config->kafka.secret_properties == std::set<std::string>{"sasl.password"});
}
