// `vigia dev mock-kafka` as a child process that a test drives through its stdin commands, and
// kcat, the Kafka client that checks it from the outside. Header-only, so that tests link it
// without a change to the support library.
//
// ChildProcess gives its child /dev/null on stdin, whose EOF would end the cluster at once: here
// the child reads a FIFO that this object holds open for writing, so the cluster lives exactly as
// long as the object (closing the FIFO is the EOF that ends it; the ChildProcess kills it if not).
#pragma once

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"

namespace vigia::test {

// kcat on PATH, or nullopt (after a WARN saying what is skipped).
inline std::optional<std::string> find_kcat(const std::string& skipped = "the checks with kcat") {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / "kcat";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  WARN("SKIP: kcat is not installed (scripts/deps.sh --test installs it); skipped: " << skipped);
  return std::nullopt;
}

class MockKafkaProcess {
 public:
  // `args` follow `vigia dev mock-kafka` (e.g. --brokers 3 --topic t:4). The child's output
  // files and its FIFO go in `dir`, which must not hold another MockKafkaProcess.
  MockKafkaProcess(const std::filesystem::path& dir, const std::vector<std::string>& args) {
    using namespace std::chrono_literals;
    std::filesystem::create_directories(dir);
    const auto fifo = dir / "mock-kafka.in";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    std::string command = "exec \"$0\" dev mock-kafka";
    // ${N}, not $N: "$10" is "$1" followed by a 0.
    for (std::size_t i = 0; i < args.size(); ++i) command += " \"${" + std::to_string(i + 2) + "}\"";
    command += " < \"$1\"";
    std::vector<std::string> argv{"/bin/sh", "-c", command, vigia_binary(), fifo.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    child_.emplace(argv, dir);
    // Non-blocking, so that a child that never opens its end fails the test instead of hanging it;
    // close-on-exec, so that other children (vigia, kcat) never hold the FIFO open.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while ((stdin_ = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0 && errno == ENXIO &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);  // polling for the reader to appear; not a correctness wait
    }
    REQUIRE(stdin_ >= 0);
  }
  ~MockKafkaProcess() { close_stdin(); }
  MockKafkaProcess(const MockKafkaProcess&) = delete;
  MockKafkaProcess& operator=(const MockKafkaProcess&) = delete;

  ChildProcess& process() { return *child_; }

  // The bootstrap servers from the first line of output (waits for it).
  std::string bootstrap() {
    using namespace std::chrono_literals;
    const std::string prefix = "bootstrap.servers=";
    const bool printed = child_->wait_for_out("\n", 30s);
    INFO("vigia dev mock-kafka stderr: " << child_->err());
    REQUIRE(printed);
    const std::string out = child_->out();
    REQUIRE(out.rfind(prefix, 0) == 0);
    return out.substr(prefix.size(), out.find('\n') - prefix.size());
  }

  // Sends one command line ("down 2", "rtt 1 300", ...) and returns its answer ("ok", "error: ..."),
  // or "(no answer)" after 10 s.
  std::string command(const std::string& line) {
    using namespace std::chrono_literals;
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
      std::this_thread::sleep_for(10ms);  // polling for the answer line
    }
  }

  // The cluster's EOF: it exits (code 0).
  void close_stdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }

 private:
  std::optional<ChildProcess> child_;
  int stdin_ = -1;
};

}  // namespace vigia::test
