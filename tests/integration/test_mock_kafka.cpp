// `vigia dev mock-kafka` as the Kafka tests and developers use it: a real Kafka-protocol cluster
// on loopback, checked from the outside with kcat (a client that is not librdkafka-in-Vigía),
// and driven through its stdin commands.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <thread>

#include <simdjson.h>

#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia::test;
using namespace std::chrono_literals;

namespace {

// kcat on PATH, or nullopt (after saying why the test is skipped).
std::optional<std::string> find_kcat() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / "kcat";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  WARN("SKIP: kcat is not installed (scripts/deps.sh --test installs it); the mock cluster is not checked");
  return std::nullopt;
}

// `vigia dev mock-kafka` with its stdin on a FIFO this test writes commands to. (ChildProcess
// gives its child /dev/null, whose EOF would end the cluster at once.)
class MockKafka {
 public:
  MockKafka(const TempDir& dir, const std::vector<std::string>& args) {
    const auto fifo = dir / "mock-kafka.in";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    std::string command = "exec \"$0\" dev mock-kafka";
    for (std::size_t i = 0; i < args.size(); ++i) command += " \"$" + std::to_string(i + 2) + "\"";
    command += " < \"$1\"";
    std::vector<std::string> argv{"/bin/sh", "-c", command, vigia_binary(), fifo.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    child_.emplace(argv, dir.path());
    // Non-blocking, so that a child that never opens its end fails the test instead of hanging it;
    // close-on-exec, so that kcat children do not hold the FIFO open past close_stdin().
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while ((stdin_ = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0 && errno == ENXIO &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);  // polling for the reader to appear; not a correctness wait
    }
    REQUIRE(stdin_ >= 0);
  }
  ~MockKafka() { close_stdin(); }
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;

  ChildProcess& process() { return *child_; }

  // The bootstrap servers from the first line of output.
  std::string bootstrap() {
    const std::string prefix = "bootstrap.servers=";
    REQUIRE(child_->wait_for_out("\n", 30s));
    const std::string out = child_->out();
    REQUIRE(out.rfind(prefix, 0) == 0);
    return out.substr(prefix.size(), out.find('\n') - prefix.size());
  }

  // Sends one command line and returns its answer (the output line it added).
  std::string command(const std::string& line) {
    const std::string before = child_->out();
    const auto lines_before = std::count(before.begin(), before.end(), '\n');
    const std::string text = line + "\n";
    REQUIRE(write(stdin_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      const std::string out = child_->out();
      if (std::count(out.begin(), out.end(), '\n') > lines_before) {
        std::string answer = out.substr(0, out.size() - 1);
        return answer.substr(answer.rfind('\n') + 1);
      }
      if (std::chrono::steady_clock::now() >= deadline) return "(no answer)";
      std::this_thread::sleep_for(10ms);
    }
  }

  void close_stdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }

 private:
  std::optional<ChildProcess> child_;
  int stdin_ = -1;
};

}  // namespace

TEST_CASE("vigia dev mock-kafka serves a Kafka cluster that kcat can list, produce to and consume from",
          "[integration][kafka]") {
  const auto kcat = find_kcat();
  if (!kcat) {
    SUCCEED("skipped: no kcat");
    return;
  }
  TempDir dir;
  MockKafka mock(dir, {"--brokers", "3", "--topic", "t:4", "--ready-file", (dir / "ready").string()});
  const std::string bootstrap = mock.bootstrap();
  INFO("bootstrap.servers=" << bootstrap << "\n" << mock.process().err());
  CHECK(std::count(bootstrap.begin(), bootstrap.end(), ',') == 2);
  // The ready file is written before the line is printed, with the same servers.
  CHECK(read_file(dir / "ready") == bootstrap);

  auto list = run_process({*kcat, "-b", bootstrap, "-L", "-J"}, {}, 30s);
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element metadata;
  REQUIRE(parser.parse(list.out).get(metadata) == simdjson::SUCCESS);
  simdjson::dom::array brokers;
  REQUIRE(metadata["brokers"].get_array().get(brokers) == simdjson::SUCCESS);
  CHECK(brokers.size() == 3);
  std::optional<std::size_t> partitions;
  for (auto topic : metadata["topics"].get_array()) {
    std::string_view name;
    REQUIRE(topic["topic"].get_string().get(name) == simdjson::SUCCESS);
    if (name == "t") partitions = topic["partitions"].get_array().size();
  }
  CHECK(partitions == std::optional<std::size_t>(4));

  auto produce = run_process({*kcat, "-b", bootstrap, "-P", "-t", "t"}, "uno\ndos\ntres\n", 30s);
  INFO(produce.err);
  REQUIRE(produce.exit_code == 0);
  auto consume = run_process({*kcat, "-b", bootstrap, "-C", "-t", "t", "-e", "-q", "-f", "%s\n"}, {}, 30s);
  INFO(consume.err);
  REQUIRE(consume.exit_code == 0);
  std::vector<std::string> values;
  std::istringstream lines(consume.out);
  for (std::string line; std::getline(lines, line);) values.push_back(line);
  std::sort(values.begin(), values.end());  // the messages went to different partitions
  CHECK(values == std::vector<std::string>{"dos", "tres", "uno"});

  CHECK(mock.command("down 2") == "ok");
  CHECK(mock.command("up 2") == "ok");
  CHECK(mock.command("rtt 1 5") == "ok");
  CHECK(mock.command("down 7") == "error: no broker '7' (broker ids are 1 to 3)");
  CHECK_THAT(mock.command("reboot"), Catch::StartsWith("error: unknown command 'reboot'"));
  CHECK(mock.command("quit") == "ok");
  CHECK(mock.process().wait(30s) == std::optional<int>(0));
}

TEST_CASE("vigia dev mock-kafka ends cleanly on EOF and on SIGTERM", "[integration][kafka]") {
  {
    TempDir dir;
    MockKafka mock(dir, {"--brokers", "1"});
    mock.bootstrap();
    mock.close_stdin();
    CHECK(mock.process().wait(30s) == std::optional<int>(0));
  }
  {
    TempDir dir;
    MockKafka mock(dir, {});
    mock.bootstrap();
    mock.process().signal(SIGTERM);
    CHECK(mock.process().wait(30s) == std::optional<int>(0));
  }
}
