// Runs programs the way a user does, for tests that assert CLI output and exit codes. Output
// goes to files in a TempDir so a chatty child can never block on a full pipe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vigia::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs `argv` to completion (killing it after `timeout`), feeding `input` on stdin.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A long-running child (e.g. `vigia run`) whose stdout/stderr are captured to files.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output_dir);
  ~ChildProcess();  // SIGKILLs a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int sig) const;
  // Waits up to `timeout` for the child to exit; its exit code, or nullopt if still running.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;
  // Waits (bounded) until stderr contains `needle`.
  bool wait_for_err(const std::string& needle, std::chrono::milliseconds timeout) const;
  bool wait_for_out(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
};

// The vigia binary of this build.
std::string vigia_binary();

}  // namespace vigia::test
