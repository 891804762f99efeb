// `vigia dev mock-kafka`: librdkafka's built-in mock cluster as a process of its own, so that
// multi-process tests and developers get a real Kafka-protocol cluster on loopback without
// installing Kafka. It speaks enough of the protocol for producers (idempotent too), consumer
// groups with offset commits and metadata, but not the admin API's CreateTopics: topics are made
// with --topic (or the `topic` command), or auto-created on first use.
//
// Protocol, one line each way: it prints `bootstrap.servers=<host:port,...>` once the brokers
// listen, then answers each command read on stdin with `ok` or `error: <why>`. EOF on stdin,
// `quit`, SIGINT or SIGTERM end it with exit code 0.
#include <librdkafka/rdkafka.h>
// rdkafka_mock.h uses rdkafka.h's types without including it.
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"

namespace vigia::daemon {
namespace {

constexpr int kMaxBrokers = 64;
constexpr int kMaxPartitions = 10'000;
constexpr const char* kCommands = "down ID, up ID, rtt ID MS, topic NAME:PARTITIONS, quit";

struct TopicArg {
  std::string name;
  int partitions = 0;
};

std::optional<int> to_int(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// "name:partitions"
std::optional<TopicArg> parse_topic(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const auto partitions = to_int(text.substr(colon + 1));
  if (!partitions || *partitions < 1 || *partitions > kMaxPartitions) return std::nullopt;
  return TopicArg{std::string(text.substr(0, colon)), *partitions};
}

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* cluster) const { rd_kafka_mock_cluster_destroy(cluster); }
};

class MockCluster {
 public:
  MockCluster(std::unique_ptr<rd_kafka_t, HandleDeleter> rk, rd_kafka_mock_cluster_t* cluster, int brokers)
      : rk_(std::move(rk)), cluster_(cluster), brokers_(brokers) {}

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_.get()); }

  std::string create_topic(const TopicArg& topic) {
    const rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster_.get(), topic.name.c_str(), topic.partitions, std::min(3, brokers_));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return "error: topic " + topic.name + ": " + rd_kafka_err2str(err);
    return "ok";
  }

  // One command line; the answer to print.
  std::string run(const std::string& line, bool& quit) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    const std::string& cmd = words.front();
    if (cmd == "quit" && words.size() == 1) {
      quit = true;
      return "ok";
    }
    if ((cmd == "down" || cmd == "up") && words.size() == 2) {
      const auto id = broker(words[1]);
      if (!id) return unknown_broker(words[1]);
      return answer(cmd == "down" ? rd_kafka_mock_broker_set_down(cluster_.get(), *id)
                                  : rd_kafka_mock_broker_set_up(cluster_.get(), *id));
    }
    if (cmd == "rtt" && words.size() == 3) {
      const auto id = broker(words[1]);
      if (!id) return unknown_broker(words[1]);
      const auto ms = to_int(words[2]);
      if (!ms || *ms < 0) return "error: rtt takes milliseconds (0 or more), not '" + words[2] + "'";
      return answer(rd_kafka_mock_broker_set_rtt(cluster_.get(), *id, *ms));
    }
    if (cmd == "topic" && words.size() == 2) {
      const auto topic = parse_topic(words[1]);
      if (!topic) return "error: topic takes NAME:PARTITIONS (1 to 10000 partitions), not '" + words[1] + "'";
      return create_topic(*topic);
    }
    return "error: unknown command '" + line + "' (commands: " + kCommands + ")";
  }

 private:
  std::optional<int> broker(const std::string& word) const {
    const auto id = to_int(word);
    if (!id || *id < 1 || *id > brokers_) return std::nullopt;
    return id;
  }
  std::string unknown_broker(const std::string& word) const {
    return "error: no broker '" + word + "' (broker ids are 1 to " + std::to_string(brokers_) + ")";
  }
  static std::string answer(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? "ok" : std::string("error: ") + rd_kafka_err2str(err);
  }

  // Declared in this order so that the cluster goes before the handle it was created on.
  std::unique_ptr<rd_kafka_t, HandleDeleter> rk_;
  std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster_;
  int brokers_;
};

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Written beside the target and renamed over it, so a reader never sees half a line.
bool write_ready_file(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!(out << text) || !out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int mock_kafka_command(const MockKafkaOptions& options) {
  if (options.brokers < 1 || options.brokers > kMaxBrokers) {
    std::fprintf(stderr, "vigia: --brokers must be between 1 and %d\n", kMaxBrokers);
    return 2;
  }
  std::vector<TopicArg> topics;
  std::set<std::string> names;
  for (const auto& t : options.topics) {
    auto topic = parse_topic(t);
    if (!topic) {
      std::fprintf(stderr, "vigia: --topic '%s' must be NAME:PARTITIONS (1 to %d partitions)\n", t.c_str(),
                   kMaxPartitions);
      return 2;
    }
    if (!names.insert(topic->name).second) {
      std::fprintf(stderr, "vigia: --topic %s is given twice\n", topic->name.c_str());
      return 2;
    }
    topics.push_back(std::move(*topic));
  }

  // Blocked before librdkafka starts its threads (they inherit the mask), then read from a
  // signalfd beside stdin: no code runs in signal context.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::fprintf(stderr, "vigia: signalfd: %s\n", std::strerror(errno));
    return 1;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } signal_fd_closer{signal_fd};

  // The handle only hosts the cluster and never connects anywhere; warnings only, so that its
  // "no bootstrap.servers" notice does not pass for a problem.
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "vigia: librdkafka: %s\n", err);
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  std::unique_ptr<rd_kafka_t, HandleDeleter> rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!rk) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new only takes it on success
    std::fprintf(stderr, "vigia: librdkafka: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* raw = rd_kafka_mock_cluster_new(rk.get(), options.brokers);
  if (raw == nullptr) {
    std::fprintf(stderr, "vigia: librdkafka could not start a mock cluster of %d brokers\n", options.brokers);
    return 1;
  }
  MockCluster cluster(std::move(rk), raw, options.brokers);
  for (const auto& t : topics) {
    if (auto answer = cluster.create_topic(t); answer != "ok") {
      std::fprintf(stderr, "vigia: %s\n", answer.c_str());
      return 1;
    }
  }
  const std::string bootstraps = cluster.bootstraps();
  if (!options.ready_file.empty() && !write_ready_file(options.ready_file, bootstraps)) {
    std::fprintf(stderr, "vigia: cannot write %s\n", options.ready_file.c_str());
    return 1;
  }
  say("bootstrap.servers=" + bootstraps);

  std::string buffer;
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "vigia: poll: %s\n", std::strerror(errno));
      return 1;
    }
    if (fds[1].revents & POLLIN) return 0;  // SIGINT or SIGTERM
    if (fds[0].revents == 0) continue;
    char chunk[4096];
    const ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // EOF (or a closed terminal): the controlling side is gone
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t eol; (eol = buffer.find('\n')) != std::string::npos;) {
      std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      bool quit = false;
      say(cluster.run(line, quit));
      if (quit) return 0;
    }
  }
}

}  // namespace vigia::daemon
