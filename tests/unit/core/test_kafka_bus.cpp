// KafkaBus on librdkafka's mock cluster (real Kafka protocol over loopback): the Bus contract,
// then what only a partitioned, persistent bus has to get right — uncommitted records come back,
// commits wait for the outputs, poisoned records land on the dead-letter topic with headers.
#include <librdkafka/rdkafka.h>
// rdkafka.h first: the mock header uses its types.
#include <librdkafka/rdkafka_mock.h>

#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "bus_conformance.h"
#include "support/kafka_mock.h"
#include "vigia/core/kafka_bus.h"
#include "vigia/core/memory_bus.h"

namespace vigia::test {
namespace {

using namespace std::chrono_literals;

// The cluster must outlive the bus: both in one object, cluster first.
class MockedKafkaBus final : public Bus {
 public:
  explicit MockedKafkaBus(int partitions = 4) : cluster_(1) {
    for (const char* topic : {"t", "x", "y", "out", "vigia.dlq"}) cluster_.create_topic(topic, partitions);
    KafkaBusOptions options;
    options.properties = cluster_.client_properties();
    options.commit_flush_timeout = 10s;
    auto bus = KafkaBus::create(options);
    REQUIRE(bus.ok());
    bus_ = std::move(*bus);
  }
  Status publish(std::string_view topic, std::string_view key, std::string_view value) override {
    return bus_->publish(topic, key, value);
  }
  ConsumerPtr subscribe(std::string_view topic, std::string_view group) override {
    return bus_->subscribe(topic, group);
  }
  bool flush(std::chrono::milliseconds timeout) override { return bus_->flush(timeout); }
  KafkaMockCluster& cluster() { return cluster_; }
  KafkaBus& kafka() { return *bus_; }

 private:
  KafkaMockCluster cluster_;
  std::unique_ptr<KafkaBus> bus_;
};

std::optional<Record> next_record(Consumer& c, std::chrono::milliseconds patience = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = c.poll(100ms);
    REQUIRE(r.ok());
    if (r->has_value()) return **r;
  }
  return std::nullopt;
}

// Keeps `c` polling (serving its commits and its group) for a while.
void keep_polling(Consumer& c, std::chrono::milliseconds how_long) {
  const auto until = std::chrono::steady_clock::now() + how_long;
  while (std::chrono::steady_clock::now() < until) {
    auto r = c.poll(20ms);
    REQUIRE(r.ok());
    REQUIRE_FALSE(r->has_value());
  }
}

// A plain librdkafka consumer, as any other Kafka tool would read the topic.
struct RawMessage {
  std::string key, value;
  std::map<std::string, std::string> headers;
};

std::vector<RawMessage> read_topic(const std::map<std::string, std::string>& props, const std::string& topic,
                                   std::size_t want) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : props)
    REQUIRE(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
  rd_kafka_conf_set(conf, "group.id", "raw-reader", err, sizeof err);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  REQUIRE(rk);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<RawMessage> out;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err) {
      RawMessage r;
      if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
          r.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

}  // namespace

TEST_CASE("KafkaBus meets the Bus contract on the mock cluster", "[core][bus][kafka]") {
  run_bus_conformance([] { return std::make_unique<MockedKafkaBus>(); }, BusTraits{false});
}

TEST_CASE("KafkaBus: records not committed come back to the group's next member, committed ones do not",
          "[core][bus][kafka]") {
  MockedKafkaBus bus(1);
  for (int i = 0; i < 10; ++i) REQUIRE(bus.publish("t", "k", std::to_string(i)).ok());
  {
    auto first = bus.subscribe("t", "g");
    for (int i = 0; i < 10; ++i) {
      auto r = next_record(*first);
      REQUIRE(r);
      CHECK(r->value == std::to_string(i));
      if (i < 4) REQUIRE(first->commit(*r).ok());  // 4..9 were taken but never finished
    }
  }  // the member leaves (a crash or a scale-down)
  auto second = bus.subscribe("t", "g");
  auto r = next_record(*second);
  REQUIRE(r);
  CHECK(r->value == "4");
}

TEST_CASE("KafkaBus: an offset is committed only once the record's output is acknowledged", "[core][bus][kafka]") {
  MockedKafkaBus bus(1);
  REQUIRE(bus.publish("t", "k", "input").ok());
  auto c = bus.subscribe("t", "g");
  auto in = next_record(*c);
  REQUIRE(in);

  // The output's only broker now answers every request after 3 s.
  const int leader = 1;
  rd_kafka_mock_broker_set_rtt(bus.cluster().handle(), leader, 3000);
  REQUIRE(bus.publish("out", "k", "output").ok());
  REQUIRE(c->commit(*in).ok());
  CHECK(bus.kafka().in_flight() == 1);
  rd_kafka_mock_broker_set_rtt(bus.cluster().handle(), leader, 0);
  REQUIRE(bus.flush(20s));
  keep_polling(*c, 300ms);  // serves the commit now that the output is acknowledged
  c.reset();

  // The record was finished, so the group's next member starts after it.
  REQUIRE(bus.publish("t", "k", "later").ok());
  auto again = bus.subscribe("t", "g");
  auto r = next_record(*again);
  REQUIRE(r);
  CHECK(r->value == "later");
}

TEST_CASE("KafkaBus: when an output cannot be produced, the consumer reads its record again", "[core][bus][kafka]") {
  MockedKafkaBus bus(1);
  REQUIRE(bus.publish("t", "k", "input").ok());
  REQUIRE(bus.flush(10s));
  auto c = bus.subscribe("t", "g");
  auto in = next_record(*c);
  REQUIRE(in);
  // Every produce request fails for good (not retriable): the output is lost, not acknowledged.
  const rd_kafka_resp_err_t errors[] = {RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_INVALID_MSG,
                                        RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_INVALID_MSG};
  rd_kafka_mock_push_request_errors_array(bus.cluster().handle(), 0 /* Produce */, 4, errors);
  REQUIRE(bus.publish("out", "k", "output").ok());
  REQUIRE(c->commit(*in).ok());
  REQUIRE(bus.flush(20s));
  auto again = next_record(*c);
  REQUIRE(again);
  CHECK(again->value == "input");
  CHECK(again->lease != in->lease);  // a late commit of the first delivery would be ignored
}

TEST_CASE("KafkaBus: a rejected record lands on vigia.dlq with headers saying why and where from",
          "[core][bus][kafka]") {
  MockedKafkaBus bus(1);
  REQUIRE(bus.publish("t", "item-1", "{not json").ok());
  auto c = bus.subscribe("t", "g");
  auto r = next_record(*c);
  REQUIRE(r);
  REQUIRE(c->reject(*r, make_error("json", "decode: unexpected character at byte 1")).ok());
  REQUIRE(bus.flush(10s));
  auto dlq = read_topic(bus.cluster().client_properties(), "vigia.dlq", 1);
  REQUIRE(dlq.size() == 1);
  CHECK(dlq[0].key == "item-1");
  CHECK(dlq[0].value == "{not json");
  CHECK(dlq[0].headers["vigia-reason"] == "json");
  CHECK(dlq[0].headers["vigia-error"] == "decode: unexpected character at byte 1");
  CHECK(dlq[0].headers["vigia-topic"] == "t");
  CHECK(dlq[0].headers["vigia-partition"] == "0");
  CHECK(dlq[0].headers["vigia-offset"] == "0");
}

TEST_CASE("KafkaBus: when a second member joins, it starts where the first one's commits left off",
          "[core][bus][kafka]") {
  MockedKafkaBus bus(4);
  auto a = bus.subscribe("t", "g");
  std::multiset<std::string> seen;
  for (int i = 0; i < 40; ++i) REQUIRE(bus.publish("t", std::to_string(i), std::to_string(i)).ok());
  while (seen.size() < 40) {
    auto r = next_record(*a);
    REQUIRE(r);
    seen.insert(r->value);
    REQUIRE(a->commit(*r).ok());
  }
  keep_polling(*a, 500ms);  // the commits reach the coordinator
  // The mock coordinator refuses commits while a rebalance is in progress (a real one accepts
  // the current generation's), so the second member joins once the first is settled.
  auto b = bus.subscribe("t", "g");
  std::size_t published = 40;
  const auto both_poll = [&](std::chrono::milliseconds how_long, std::set<std::string>* by_b) {
    const auto until = std::chrono::steady_clock::now() + how_long;
    const auto all_seen = [&] { return std::set<std::string>(seen.begin(), seen.end()).size() >= published; };
    while (std::chrono::steady_clock::now() < until && !all_seen()) {
      for (Consumer* c : {a.get(), b.get()}) {
        auto r = c->poll(20ms);
        REQUIRE(r.ok());
        if (!r->has_value()) continue;
        seen.insert((*r)->value);
        if (by_b && c == b.get()) by_b->insert((*r)->value);
        REQUIRE(c->commit(**r).ok());
      }
    }
  };
  both_poll(10s, nullptr);   // the group rebalances (the mock waits session.timeout.ms - 1 s)
  CHECK(seen.size() == 40);  // nothing finished was read again
  // New records until b has shown it owns partitions (a loaded machine may rebalance late).
  std::set<std::string> by_b;
  for (int round = 0; round < 5 && by_b.empty(); ++round) {
    for (int i = 0; i < 40; ++i, ++published)
      REQUIRE(bus.publish("t", std::to_string(published), "n" + std::to_string(published)).ok());
    both_poll(30s, &by_b);
  }
  // Every record arrived; those finished before b joined were never read again. (A later record
  // may come twice if the rebalance overtook its commit: at-least-once.)
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == published);
  for (int i = 0; i < 40; ++i) CHECK(seen.count(std::to_string(i)) == 1);
  CHECK_FALSE(by_b.empty());  // b took partitions over
}

TEST_CASE("KafkaBus: a closed topic's consumers finish and publishing to it is refused", "[core][bus][kafka]") {
  MockedKafkaBus bus(1);
  auto c = bus.subscribe("t", "g");
  bus.kafka().close_topic("t");
  CHECK(c->finished());
  auto r = c->poll(10ms);
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
  auto refused = bus.publish("t", "k", "v");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason == "closed");
}

TEST_CASE("KafkaBus: a property librdkafka does not know is a config error naming it", "[core][bus][kafka]") {
  KafkaBusOptions options;
  options.properties = {{"bootstrap.servers", "127.0.0.1:1"}, {"no.such.property", "secret-value"}};
  auto bus = KafkaBus::create(options);
  REQUIRE_FALSE(bus.ok());
  CHECK(bus.error().reason == "config");
  CHECK_THAT(bus.error().message, Catch::Contains("no.such.property"));
  CHECK_THAT(bus.error().message, !Catch::Contains("secret-value"));
}

}  // namespace vigia::test
