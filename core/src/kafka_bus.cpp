#include "vigia/core/kafka_bus.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "kafka_client.h"
#include "vigia/core/log.h"

namespace vigia {

using namespace std::chrono_literals;

// ---- delivery tracking --------------------------------------------------------------------------
//
// Every send gets a sequence number. A consumer's commit(record) remembers the last number issued
// at that moment: everything the record led to was sent before. The offset may go to Kafka once
// every number up to it is settled (acknowledged or failed) and no send failed meanwhile.
class DeliveryLedger {
 public:
  std::uint64_t issue() {
    std::lock_guard lock(mu_);
    const std::uint64_t seq = next_++;
    outstanding_.insert(seq);
    return seq;
  }
  // A send that never left (the local queue refused it): as if it had not been issued.
  void withdraw(std::uint64_t seq) { settle(seq, false); }
  void settle(std::uint64_t seq, bool failed) {
    {
      std::lock_guard lock(mu_);
      if (failed) ++failures_;  // counted before the number leaves `outstanding_`: see snapshot()
      outstanding_.erase(seq);
    }
    cv_.notify_all();
  }
  std::uint64_t last_issued() const {
    std::lock_guard lock(mu_);
    return next_ - 1;
  }
  struct Snapshot {
    std::uint64_t settled_through;  // every number <= this is settled
    std::uint64_t failures;         // failed sends so far, those settled included
  };
  // Both under one lock: a failure of any number <= settled_through is already in `failures`.
  Snapshot snapshot() const {
    std::lock_guard lock(mu_);
    return {settled_through_locked(), failures_};
  }
  bool wait_settled(std::uint64_t seq, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return settled_through_locked() >= seq; });
  }
  std::size_t in_flight() const {
    std::lock_guard lock(mu_);
    return outstanding_.size();
  }

 private:
  std::uint64_t settled_through_locked() const { return outstanding_.empty() ? next_ - 1 : *outstanding_.begin() - 1; }

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::uint64_t next_ = 1;
  std::set<std::uint64_t> outstanding_;
  std::uint64_t failures_ = 0;
};

struct KafkaBus::Impl {
  explicit Impl(KafkaBusOptions o) : options(std::move(o)) {
    if (options.metrics) {
      auto& reg = *options.metrics;
      produce_errors = &counter_family(reg, "vigia_kafka_produce_errors_total",
                                       "Records the brokers did not acknowledge, by topic and librdkafka error");
      dead_letters = &counter_family(reg, "vigia_kafka_dead_letters_total",
                                     "Poisoned records set aside on the dead-letter topic, by source topic and reason");
      stale_commits = &counter_family(reg, "vigia_kafka_stale_commits_total",
                                      "Commits dropped because a rebalance or a rewind had moved the partition on");
      rewinds = &counter_family(reg, "vigia_kafka_rewinds_total",
                                "Partitions rewound to their last commit after an output could not be produced");
    }
  }

  ~Impl() {
    stopping = true;
    if (poller.joinable()) poller.join();
    std::lock_guard lock(producers_mu);
    for (auto& [topic, p] : producers) {
      rd_kafka_flush(p->handle(), static_cast<int>(options.commit_flush_timeout.count()));
    }
    producers.clear();
  }

  // One producer per topic: linger.ms is a producer setting, and it is tuned per topic.
  Result<KafkaClient*> producer_for(std::string_view topic) {
    std::lock_guard lock(producers_mu);
    if (auto it = producers.find(topic); it != producers.end()) return it->second.get();
    std::map<std::string, std::string> props = options.properties;
    props["enable.idempotence"] = "true";
    props["acks"] = "all";
    props.try_emplace("partitioner", "murmur2_random");  // the Java client's: keys land where theirs do
    if (auto it = options.linger_ms.find(std::string(topic)); it != options.linger_ms.end()) {
      props["linger.ms"] = std::to_string(it->second);
    }
    auto client = KafkaClient::create(RD_KAFKA_PRODUCER, props, std::string(topic) + "-producer", options,
                                      [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, &Impl::on_delivery); });
    if (!client.ok()) return client.error();
    KafkaClient* raw = client->get();
    producers.emplace(std::string(topic), std::move(*client));
    if (!poller.joinable()) poller = std::thread([this] { poll_producers(); });
    return raw;
  }

  // Serves delivery reports and statistics of every producer.
  void poll_producers() {
    while (!stopping.load()) {
      std::vector<rd_kafka_t*> handles;
      {
        std::lock_guard lock(producers_mu);
        for (auto& [topic, p] : producers) handles.push_back(p->handle());
      }
      const int each = handles.empty() ? 50 : std::max(1, 20 / static_cast<int>(handles.size()));
      for (rd_kafka_t* h : handles) rd_kafka_poll(h, each);
    }
  }

  struct SendContext {
    Impl* bus;
    std::uint64_t seq;
    std::string topic;
  };

  static void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* /*opaque*/) {
    std::unique_ptr<SendContext> ctx(static_cast<SendContext*>(msg->_private));
    if (!ctx) return;
    const bool failed = msg->err != RD_KAFKA_RESP_ERR_NO_ERROR;
    if (failed) {
      log::get("kafka")->error("a record for {} was not acknowledged: {}; offsets stop short of it and the "
                               "consumers that produced it rewind",
                               ctx->topic, rd_kafka_err2str(msg->err));
      if (ctx->bus->produce_errors) {
        ctx->bus->produce_errors->Add({{"topic", ctx->topic}, {"error", rd_kafka_err2name(msg->err)}}).Increment();
      }
    }
    ctx->bus->ledger.settle(ctx->seq, failed);
  }

  // Sends one record, waiting while the local queue is full. Headers may be null.
  Status send(std::string_view topic, std::string_view key, std::string_view value, rd_kafka_headers_t* headers) {
    auto producer = producer_for(topic);
    if (!producer.ok()) {
      if (headers) rd_kafka_headers_destroy(headers);
      return producer.error();
    }
    for (;;) {
      auto ctx = std::make_unique<SendContext>(SendContext{this, ledger.issue(), std::string(topic)});
      const std::uint64_t seq = ctx->seq;
      rd_kafka_headers_t* h = headers ? rd_kafka_headers_copy(headers) : nullptr;
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          (*producer)->handle(), RD_KAFKA_V_TOPIC(std::string(topic).c_str()),
          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(ctx.get()), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ctx.release();  // on_delivery owns it now
        if (headers) rd_kafka_headers_destroy(headers);
        return ok_status();
      }
      if (h) rd_kafka_headers_destroy(h);
      ledger.withdraw(seq);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !stopping.load()) {
        // Backpressure: the brokers are slower than we are; wait for acknowledgements to free room.
        ledger.wait_settled(ledger.last_issued(), 100ms);
        continue;
      }
      if (headers) rd_kafka_headers_destroy(headers);
      return make_error("publish", "cannot send to " + std::string(topic) + ": " + rd_kafka_err2str(err));
    }
  }

  KafkaBusOptions options;
  DeliveryLedger ledger;
  std::mutex producers_mu;
  std::map<std::string, std::unique_ptr<KafkaClient>, std::less<>> producers;
  std::thread poller;
  std::atomic<bool> stopping{false};
  std::mutex closed_mu;
  std::set<std::string, std::less<>> closed_topics;
  std::atomic<std::size_t> consumers_created{0};
  prometheus::Family<prometheus::Counter>* produce_errors = nullptr;
  prometheus::Family<prometheus::Counter>* dead_letters = nullptr;
  prometheus::Family<prometheus::Counter>* stale_commits = nullptr;
  prometheus::Family<prometheus::Counter>* rewinds = nullptr;
};

// ---- consumer -------------------------------------------------------------------------------------

namespace {

struct PartitionState {
  std::uint64_t lease = 0;
  // Offsets (the next one to read) since assignment; -1: none yet.
  std::int64_t ready = -1;       // finished and its outputs acknowledged: may be committed
  std::int64_t sent = -1;        // in a commit request that has not failed (yet)
  std::int64_t first_seen = -1;  // of the first record delivered since assignment
  struct Pending {
    std::int64_t next_offset;
    std::uint64_t seq;
  };
  std::deque<Pending> pending;  // commit() calls not yet sent to Kafka, in offset order
};

using TopparList = std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>;

TopparList new_list(int size) { return {rd_kafka_topic_partition_list_new(size), &rd_kafka_topic_partition_list_destroy}; }

}  // namespace

class KafkaConsumer final : public Consumer {
 public:
  KafkaConsumer(KafkaBus::Impl& bus, std::string topic, std::string group)
      : bus_(bus), topic_(std::move(topic)), group_(std::move(group)), log_(log::get("kafka")) {}

  Status open(std::size_t index) {
    std::map<std::string, std::string> props = bus_.options.properties;
    props["group.id"] = group_;
    props["enable.auto.commit"] = "false";
    props["enable.auto.offset.store"] = "false";
    props.try_emplace("auto.offset.reset", "earliest");  // a new group starts with what is there
    // librdkafka prefetches up to 64 MB per consumer by default; a slow stage should show as
    // lag on the brokers, not as memory here.
    props.try_emplace("queued.max.messages.kbytes", "4096");
    auto client = KafkaClient::create(RD_KAFKA_CONSUMER, props, group_ + "-" + std::to_string(index), bus_.options,
                                      [](rd_kafka_conf_t* conf) {
                                        rd_kafka_conf_set_rebalance_cb(conf, &KafkaConsumer::on_rebalance);
                                        rd_kafka_conf_set_offset_commit_cb(conf, &KafkaConsumer::on_commit);
                                      });
    if (!client.ok()) return client.error();
    client_ = std::move(*client);
    client_->set_user(this);  // before the first poll, where rebalances are served
    rd_kafka_poll_set_consumer(client_->handle());
    auto list = new_list(1);
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(client_->handle(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return make_error("config", "cannot subscribe to " + topic_ + ": " + rd_kafka_err2str(err));
    }
    failures_seen_ = bus_.ledger.snapshot().failures;
    return ok_status();
  }

  ~KafkaConsumer() override {
    if (!client_) return;
    // Outputs of what the stage committed go to the brokers first, then the offsets, then we
    // leave the group (its revoke callback commits nothing more: everything is done here).
    bus_.ledger.wait_settled(bus_.ledger.last_issued(), bus_.options.commit_flush_timeout);
    commit_ready(/*sync=*/true);
    closing_ = true;
    rd_kafka_consumer_close(client_->handle());
  }

  Result<std::optional<Record>> poll(std::chrono::milliseconds timeout) override {
    commit_ready(/*sync=*/false);
    if (closed()) return std::optional<Record>{};
    if (paused_) pause(false);
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(client_->handle(), static_cast<int>(timeout.count()));
    if (!msg) return std::optional<Record>{};
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> guard(msg, &rd_kafka_message_destroy);
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return std::optional<Record>{};
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return make_error("bus", "consuming " + topic_ + ": " + rd_kafka_message_errstr(msg));
    }
    auto it = partitions_.find(msg->partition);
    if (it == partitions_.end()) return std::optional<Record>{};  // not ours (any more)
    PartitionState& p = it->second;
    if (p.first_seen < 0) p.first_seen = msg->offset;
    Record r;
    r.topic = topic_;
    if (msg->key) r.key.assign(static_cast<const char*>(msg->key), msg->key_len);
    if (msg->payload) r.value.assign(static_cast<const char*>(msg->payload), msg->len);
    r.partition = msg->partition;
    r.offset = msg->offset;
    r.lease = p.lease;
    return std::optional<Record>{std::move(r)};
  }

  Status commit(const Record& record) override {
    if (record.topic != topic_) return make_error("commit", "record of topic " + record.topic + " committed on " + topic_);
    auto it = partitions_.find(record.partition);
    if (it == partitions_.end() || it->second.lease != record.lease) {
      // A rebalance or a rewind moved the partition on: whoever reads it now sees the record again.
      if (bus_.stale_commits) bus_.stale_commits->Add({{"topic", topic_}}).Increment();
      return ok_status();
    }
    it->second.pending.push_back({record.offset + 1, bus_.ledger.last_issued()});
    return ok_status();
  }

  Status reject(const Record& record, const Error& why) override {
    rd_kafka_headers_t* h = rd_kafka_headers_new(5);
    const std::string partition = std::to_string(record.partition);
    const std::string offset = std::to_string(record.offset);
    rd_kafka_header_add(h, "vigia-reason", -1, why.reason.data(), static_cast<ssize_t>(why.reason.size()));
    rd_kafka_header_add(h, "vigia-error", -1, why.message.data(), static_cast<ssize_t>(why.message.size()));
    rd_kafka_header_add(h, "vigia-topic", -1, record.topic.data(), static_cast<ssize_t>(record.topic.size()));
    rd_kafka_header_add(h, "vigia-partition", -1, partition.data(), static_cast<ssize_t>(partition.size()));
    rd_kafka_header_add(h, "vigia-offset", -1, offset.data(), static_cast<ssize_t>(offset.size()));
    if (auto sent = bus_.send(bus_.options.dead_letter_topic, record.key, record.value, h); !sent.ok()) return sent;
    if (bus_.dead_letters) bus_.dead_letters->Add({{"topic", record.topic}, {"reason", why.reason}}).Increment();
    return commit(record);
  }

  void idle() override {
    commit_ready(/*sync=*/false);
    pause(true);  // also partitions a rebalance assigned since the last call
    // Serves heartbeats, rebalances and commit results; paused partitions deliver nothing, and
    // a record fetched before the pause is dropped by librdkafka and fetched again on resume.
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(client_->handle(), 0);
    if (msg) {
      if (!msg->err) {
        // Not expected; if librdkafka hands one out anyway, read it again after the resume.
        auto list = new_list(1);
        rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), msg->partition)->offset = msg->offset;
        if (rd_kafka_error_t* e = rd_kafka_seek_partitions(client_->handle(), list.get(), 1000)) rd_kafka_error_destroy(e);
      }
      rd_kafka_message_destroy(msg);
    }
  }

  bool finished() const override { return closed(); }

 private:
  void pause(bool on) {
    auto list = new_list(static_cast<int>(partitions_.size()));
    for (const auto& [partition, p] : partitions_) rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition);
    if (list->cnt > 0) {
      if (on) {
        rd_kafka_pause_partitions(client_->handle(), list.get());
      } else {
        rd_kafka_resume_partitions(client_->handle(), list.get());
      }
    }
    paused_ = on;
  }

  bool closed() const {
    std::lock_guard lock(bus_.closed_mu);
    return bus_.closed_topics.count(topic_) > 0;
  }

  // Sends the offsets whose outputs are all acknowledged. If any send failed since we last
  // looked, nothing pending can be trusted: rewind to the last commit and read again. A commit
  // the coordinator refused (a rebalance in progress) is sent again with the next one.
  void commit_ready(bool sync) {
    const auto snap = bus_.ledger.snapshot();
    if (snap.failures != failures_seen_) {
      failures_seen_ = snap.failures;
      rewind();
      return;
    }
    // One commit request per interval, not per record: the coordinator is not on the hot path.
    const auto now = std::chrono::steady_clock::now();
    if (!sync && now - last_commit_ < bus_.options.commit_interval) return;
    last_commit_ = now;
    auto list = new_list(static_cast<int>(partitions_.size()));
    for (auto& [partition, p] : partitions_) {
      while (!p.pending.empty() && p.pending.front().seq <= snap.settled_through) {
        p.ready = p.pending.front().next_offset;
        p.pending.pop_front();
      }
      if (p.ready <= p.sent) continue;
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition)->offset = p.ready;
      p.sent = p.ready;
    }
    if (list->cnt == 0) return;
    const rd_kafka_resp_err_t err = rd_kafka_commit(client_->handle(), list.get(), sync ? 0 : 1);
    if (sync) committed(err, list.get());
  }

  // The outcome of a commit request (for async ones, served by poll()).
  void committed(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t* offsets) {
    for (int i = 0; offsets && i < offsets->cnt; ++i) {
      const auto& o = offsets->elems[i];
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR && o.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      auto it = partitions_.find(o.partition);
      if (it != partitions_.end() && it->second.sent == o.offset) it->second.sent = -1;  // send again
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      log_->debug("committing offsets of {} for group {} failed, will retry: {}", topic_, group_, rd_kafka_err2str(err));
    }
  }

  static void on_commit(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                        void* opaque) {
    static_cast<KafkaConsumer*>(KafkaClient::from_opaque(opaque)->user())->committed(err, offsets);
  }

  void rewind() {
    auto list = new_list(static_cast<int>(partitions_.size()));
    for (auto& [partition, p] : partitions_) {
      const std::int64_t from = p.ready >= 0 ? p.ready : p.first_seen;
      p.pending.clear();
      ++p.lease;  // commits of records delivered before the rewind are stale
      if (from < 0) continue;
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition)->offset = from;
      p.first_seen = -1;
      if (bus_.rewinds) bus_.rewinds->Add({{"topic", topic_}}).Increment();
      log_->warn("rewinding {} partition {} to offset {}: an output could not be produced", topic_, partition, from);
    }
    if (list->cnt == 0) return;
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(client_->handle(), list.get(), 10'000)) {
      log_->error("rewinding {} failed: {}", topic_, rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
  }

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
    static_cast<KafkaConsumer*>(KafkaClient::from_opaque(opaque)->user())->rebalance(rk, err, parts);
  }

  void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < parts->cnt; ++i) {
        PartitionState& p = partitions_[parts->elems[i].partition];
        ++p.lease;
        p.ready = -1;
        p.sent = -1;
        p.first_seen = -1;
        p.pending.clear();
      }
      log_->info("{} of group {}: {} partition(s) of {} assigned", client_->name(), group_, parts->cnt, topic_);
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts)) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, parts);
      }
      return;
    }
    // Revoked (or lost): what the stage finished goes to Kafka before the partitions move, after
    // its outputs are acknowledged; the rest is read again by the next owner.
    if (!closing_ && err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      bus_.ledger.wait_settled(bus_.ledger.last_issued(), bus_.options.commit_flush_timeout);
      commit_ready(/*sync=*/true);
    }
    for (int i = 0; i < parts->cnt; ++i) partitions_.erase(parts->elems[i].partition);
    log_->info("{} of group {}: {} partition(s) of {} revoked", client_->name(), group_, parts->cnt, topic_);
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }

  KafkaBus::Impl& bus_;
  const std::string topic_;
  const std::string group_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<KafkaClient> client_;
  std::map<std::int32_t, PartitionState> partitions_;
  std::uint64_t failures_seen_ = 0;
  bool closing_ = false;
  bool paused_ = false;
  std::chrono::steady_clock::time_point last_commit_{};
};

// ---- bus ------------------------------------------------------------------------------------------

Result<std::unique_ptr<KafkaBus>> KafkaBus::create(KafkaBusOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  // Check the configuration once, up front, rather than at the first publish or subscribe.
  auto probe = KafkaClient::check_config(impl->options.properties);
  if (!probe.ok()) return probe.error();
  return std::unique_ptr<KafkaBus>(new KafkaBus(std::move(impl)));
}

KafkaBus::KafkaBus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaBus::~KafkaBus() = default;

Status KafkaBus::publish(std::string_view topic, std::string_view key, std::string_view value) {
  {
    std::lock_guard lock(impl_->closed_mu);
    if (impl_->closed_topics.count(topic) > 0) return make_error("closed", "topic " + std::string(topic) + " is closed");
  }
  return impl_->send(topic, key, value, nullptr);
}

ConsumerPtr KafkaBus::subscribe(std::string_view topic, std::string_view group) {
  auto consumer = std::make_unique<KafkaConsumer>(*impl_, std::string(topic), std::string(group));
  if (auto opened = consumer->open(impl_->consumers_created++); !opened.ok()) {
    throw std::runtime_error("cannot subscribe to " + std::string(topic) + ": " + opened.error().message);
  }
  return consumer;
}

bool KafkaBus::flush(std::chrono::milliseconds timeout) {
  return impl_->ledger.wait_settled(impl_->ledger.last_issued(), timeout);
}

void KafkaBus::close_topic(std::string_view topic) {
  std::lock_guard lock(impl_->closed_mu);
  impl_->closed_topics.emplace(topic);
}

std::size_t KafkaBus::in_flight() const { return impl_->ledger.in_flight(); }

}  // namespace vigia
