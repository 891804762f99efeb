#include "vigia/core/kafka_key_ownership.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "kafka_client.h"
#include "vigia/core/log.h"

namespace vigia {

using namespace std::chrono_literals;

namespace {

// One checkpoint send, settled by its delivery report.
struct Delivery {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* /*opaque*/) {
  std::unique_ptr<std::shared_ptr<Delivery>> holder(static_cast<std::shared_ptr<Delivery>*>(msg->_private));
  if (!holder) return;
  Delivery& d = **holder;
  {
    std::lock_guard lock(d.mu);
    d.done = true;
    d.err = msg->err;
  }
  d.cv.notify_all();
}

}  // namespace

std::int32_t KafkaKeyOwnership::partition_of(std::string_view key, std::int32_t partitions) {
  // FNV-1a, 32 bits: simple enough to restate anywhere, and fixed forever (it places checkpoints).
  std::uint32_t h = 2166136261u;
  for (unsigned char c : key) {
    h ^= c;
    h *= 16777619u;
  }
  return partitions <= 0 ? 0 : static_cast<std::int32_t>(h % static_cast<std::uint32_t>(partitions));
}

struct KafkaKeyOwnership::Impl {
  Impl(KafkaBusOptions b, KafkaKeyOwnershipOptions o) : bus_options(std::move(b)), options(std::move(o)) {
    if (bus_options.metrics) {
      owned_keys = &gauge_family(*bus_options.metrics, "vigia_kafka_owned_keys",
                                 "Feeds this ingest process owns through the vigia.feeds consumer group")
                        .Add({{"group", options.group}});
    }
  }

  // The checkpoint producer and the topic's partition count; once.
  Status connect() {
    if (producer) return ok_status();
    std::map<std::string, std::string> producer_props = bus_options.properties;
    producer_props["enable.idempotence"] = "true";
    producer_props["acks"] = "all";
    producer_props["linger.ms"] = "0";
    auto p = KafkaClient::create(RD_KAFKA_PRODUCER, producer_props, options.group + "-checkpoints", bus_options,
                                 [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, &on_delivery); });
    if (!p.ok()) return p.error();
    auto count = partition_count((*p)->handle());
    if (!count.ok()) return count.error();
    producer = std::move(*p);
    partitions = *count;
    for (const auto& key : options.keys) keys_by_partition[partition_of(key, partitions)].push_back(key);
    return ok_status();
  }

  Status start(Listener& l) {
    listener = &l;
    if (auto connected = connect(); !connected.ok()) return connected;

    std::map<std::string, std::string> consumer_props = bus_options.properties;
    consumer_props["group.id"] = options.group;
    consumer_props["enable.auto.commit"] = "false";
    consumer_props["enable.auto.offset.store"] = "false";
    consumer_props["enable.partition.eof"] = "true";
    consumer_props.try_emplace("partition.assignment.strategy", "cooperative-sticky");
    auto c = KafkaClient::create(RD_KAFKA_CONSUMER, consumer_props, options.group + "-members", bus_options,
                                 [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_rebalance_cb(conf, &Impl::on_rebalance); });
    if (!c.ok()) return c.error();
    consumer = std::move(*c);
    consumer->set_user(this);
    rd_kafka_poll_set_consumer(consumer->handle());
    std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)> list(
        rd_kafka_topic_partition_list_new(1), &rd_kafka_topic_partition_list_destroy);
    rd_kafka_topic_partition_list_add(list.get(), options.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(consumer->handle(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return make_error("kafka", "cannot join " + options.group + " on " + options.topic + ": " + rd_kafka_err2str(err));
    }
    log::get("kafka")->info("joining {} over {} ({} partitions) to share {} feed(s)", options.group, options.topic,
                            partitions, options.keys.size());
    thread = std::thread([this] { run(); });
    return ok_status();
  }

  Result<std::int32_t> partition_count(rd_kafka_t* rk) {
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, options.topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, t, &md, 10'000);
    rd_kafka_topic_destroy(t);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return make_error("kafka", "cannot describe " + options.topic + ": " + rd_kafka_err2str(err));
    }
    std::int32_t n = 0;
    rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (md->topic_cnt == 1) {
      n = md->topics[0].partition_cnt;
      topic_err = md->topics[0].err;
    }
    rd_kafka_metadata_destroy(md);
    if (n <= 0) {
      return make_error("kafka", "topic " + options.topic + " is not there (" + rd_kafka_err2str(topic_err) +
                                     "): create it, or set bus.create_topics: true");
    }
    return n;
  }

  void run() {
    while (!stopping.load()) {
      rd_kafka_message_t* msg = rd_kafka_consumer_poll(consumer->handle(), 100);
      if (!msg) continue;
      std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> guard(msg, &rd_kafka_message_destroy);
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        loaded(msg->partition);
      } else if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::get("kafka")->warn("{} on {}: {}", options.group, options.topic, rd_kafka_message_errstr(msg));
      } else if (loading.count(msg->partition) > 0 && msg->key) {
        std::string key(static_cast<const char*>(msg->key), msg->key_len);
        auto& checkpoints = latest[msg->partition];
        if (msg->payload) {
          checkpoints[key] = std::string(static_cast<const char*>(msg->payload), msg->len);
        } else {
          checkpoints.erase(key);  // a tombstone: the feed's state was dropped
        }
      }
    }
    // Leaving the group revokes what we own: the rebalance callback releases it first.
    rd_kafka_consumer_close(consumer->handle());
  }

  // The partition is read up to its end: its keys are ours, with their last checkpoints.
  void loaded(std::int32_t partition) {
    if (loading.erase(partition) == 0) return;
    auto& checkpoints = latest[partition];
    for (const auto& key : keys_by_partition[partition]) {
      std::optional<std::string> checkpoint;
      if (auto it = checkpoints.find(key); it != checkpoints.end()) checkpoint = std::move(it->second);
      owned.insert(key);
      listener->acquired(key, std::move(checkpoint));
    }
    latest.erase(partition);
    if (owned_keys) owned_keys->Set(static_cast<double>(owned.size()));
  }

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
    static_cast<Impl*>(KafkaClient::from_opaque(opaque)->user())->rebalance(rk, err, parts);
  }

  void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    auto log = log::get("kafka");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < parts->cnt; ++i) {
        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;  // every checkpoint, never a committed offset
        loading.insert(parts->elems[i].partition);
        latest.erase(parts->elems[i].partition);
      }
      log->info("{}: {} partition(s) of {} assigned, reading their checkpoints", options.group, parts->cnt,
                options.topic);
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts)) {
          log->error("{}: assigning partitions failed: {}", options.group, rd_kafka_error_string(e));
          rd_kafka_error_destroy(e);
        }
      } else {
        rd_kafka_assign(rk, parts);
      }
      return;
    }
    // Revoked or lost: release the keys (each stores its final checkpoint) before they move.
    for (int i = 0; i < parts->cnt; ++i) {
      const std::int32_t partition = parts->elems[i].partition;
      loading.erase(partition);
      latest.erase(partition);
      for (const auto& key : keys_by_partition[partition]) {
        if (owned.erase(key) > 0) listener->released(key);
      }
    }
    if (owned_keys) owned_keys->Set(static_cast<double>(owned.size()));
    log->info("{}: {} partition(s) of {} revoked", options.group, parts->cnt, options.topic);
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }

  Status checkpoint(const std::string& key, std::string_view value) {
    if (!producer) return make_error("kafka", "checkpoint before start()");
    auto delivery = std::make_shared<Delivery>();
    auto* holder = new std::shared_ptr<Delivery>(delivery);
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer->handle(), RD_KAFKA_V_TOPIC(options.topic.c_str()),
        RD_KAFKA_V_PARTITION(partition_of(key, partitions)), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(holder), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      delete holder;
      return make_error("kafka", "cannot store the checkpoint of " + key + ": " + rd_kafka_err2str(err));
    }
    const auto deadline = std::chrono::steady_clock::now() + bus_options.commit_flush_timeout;
    for (;;) {
      rd_kafka_poll(producer->handle(), 10);  // serves delivery reports (any thread may)
      std::unique_lock lock(delivery->mu);
      if (delivery->cv.wait_for(lock, 10ms, [&] { return delivery->done; })) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return make_error("timeout", "the checkpoint of " + key + " was not acknowledged in time");
      }
    }
    if (delivery->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return make_error("kafka", "the checkpoint of " + key + " was refused: " + rd_kafka_err2str(delivery->err));
    }
    return ok_status();
  }

  void stop() {
    if (!thread.joinable()) return;
    stopping = true;
    thread.join();
  }

  KafkaBusOptions bus_options;
  KafkaKeyOwnershipOptions options;
  Listener* listener = nullptr;
  std::unique_ptr<KafkaClient> producer;
  std::unique_ptr<KafkaClient> consumer;
  std::int32_t partitions = 0;
  std::map<std::int32_t, std::vector<std::string>> keys_by_partition;
  // Owned by the membership thread (run() and the rebalance callback it serves).
  std::set<std::int32_t> loading;
  std::map<std::int32_t, std::map<std::string, std::string>> latest;  // while loading
  std::set<std::string> owned;
  std::atomic<bool> stopping{false};
  std::thread thread;
  prometheus::Gauge* owned_keys = nullptr;
};

KafkaKeyOwnership::KafkaKeyOwnership(KafkaBusOptions bus_options, KafkaKeyOwnershipOptions options)
    : impl_(std::make_unique<Impl>(std::move(bus_options), std::move(options))) {}

KafkaKeyOwnership::~KafkaKeyOwnership() { stop(); }

Status KafkaKeyOwnership::connect() { return impl_->connect(); }

Status KafkaKeyOwnership::start(Listener& listener) { return impl_->start(listener); }

void KafkaKeyOwnership::stop() { impl_->stop(); }

Status KafkaKeyOwnership::checkpoint(const std::string& key, std::string_view value) {
  return impl_->checkpoint(key, value);
}

}  // namespace vigia
