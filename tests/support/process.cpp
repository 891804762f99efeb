#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "support/test_paths.h"

namespace vigia::test {
namespace {

using Clock = std::chrono::steady_clock;

pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // Start from a clean signal mask: test threads may block signals the child needs.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int open_or_throw(const std::filesystem::path& p, int flags) {
  const int fd = open(p.c_str(), flags | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + p.string());
  return fd;
}

std::optional<int> reap(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (Clock::now() >= deadline) return std::nullopt;
    // Polling a child's exit; correctness never depends on this interval.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool wait_for_text(const std::filesystem::path& file, const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (std::filesystem::exists(file) && read_file(file).find(needle) != std::string::npos) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout) {
  TempDir dir;
  write_file(dir / "in", input);
  const int in_fd = open_or_throw(dir / "in", O_RDONLY);
  const int out_fd = open_or_throw(dir / "out", O_WRONLY | O_CREAT | O_TRUNC);
  const int err_fd = open_or_throw(dir / "err", O_WRONLY | O_CREAT | O_TRUNC);
  const pid_t pid = spawn(argv, in_fd, out_fd, err_fd);
  close(in_fd);
  close(out_fd);
  close(err_fd);
  ProcessResult result;
  if (auto code = reap(pid, timeout)) {
    result.exit_code = *code;
  } else {
    kill(pid, SIGKILL);
    reap(pid, std::chrono::seconds(10));
    result.timed_out = true;
  }
  result.out = read_file(dir / "out");
  result.err = read_file(dir / "err");
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output_dir)
    : out_path_(output_dir / "child.out"), err_path_(output_dir / "child.err") {
  const int in_fd = open_or_throw("/dev/null", O_RDONLY);
  const int out_fd = open_or_throw(out_path_, O_WRONLY | O_CREAT | O_TRUNC);
  const int err_fd = open_or_throw(err_path_, O_WRONLY | O_CREAT | O_TRUNC);
  pid_ = spawn(argv, in_fd, out_fd, err_fd);
  close(in_fd);
  close(out_fd);
  close(err_fd);
}

ChildProcess::~ChildProcess() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    reap(pid_, std::chrono::seconds(10));
  }
}

void ChildProcess::signal(int sig) const { kill(pid_, sig); }

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (!exit_code_) exit_code_ = reap(pid_, timeout);
  return exit_code_;
}

std::string ChildProcess::out() const { return read_file(out_path_); }
std::string ChildProcess::err() const { return read_file(err_path_); }

bool ChildProcess::wait_for_err(const std::string& needle, std::chrono::milliseconds timeout) const {
  return wait_for_text(err_path_, needle, timeout);
}

bool ChildProcess::wait_for_out(const std::string& needle, std::chrono::milliseconds timeout) const {
  return wait_for_text(out_path_, needle, timeout);
}

std::string vigia_binary() { return (binary_dir() / "daemon" / "vigia").string(); }

}  // namespace vigia::test
