// The systemd unit and the daemon's side of the service protocol. The unit checked is the one
// `cmake --install` writes (from systemd/vigia.service.in), so its ExecStart names a binary that
// exists. The protocol is checked for real: `vigia run` talks to a notify socket this test binds,
// as systemd would, with a short watchdog interval.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <sstream>

#include "deploy_util.h"
#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace vigia::test::deploy {
// test_install.cpp: this build tree installed into a scratch prefix, once per process.
const fs::path& installed_prefix();
std::string unit_value(const std::string& unit, const std::string& key);
}  // namespace vigia::test::deploy

using namespace vigia::test::deploy;

namespace {

fs::path installed_unit() { return installed_prefix() / "lib" / "systemd" / "system" / "vigia.service"; }

ProcessResult systemd_analyze(std::vector<std::string> args) {
  args.insert(args.begin(), required_tool(VIGIA_SYSTEMD_ANALYZE, "systemd"));
  return run_process(args);
}

// A unix datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.string().size() < sizeof addr.sun_path);
    std::copy_n(path.c_str(), path.string().size(), addr.sun_path);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() { close(fd_); }

  // Reads datagrams until `done` holds for what was received so far or `timeout` passes; every
  // assignment ("READY=1", ...) of every datagram, in order.
  template <typename Done>
  const std::vector<std::string>& receive_until(Done done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(messages_)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::istringstream in(std::string(buf, static_cast<std::size_t>(n)));
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) messages_.push_back(line);
      }
    }
    return messages_;
  }

 private:
  fs::path path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

std::size_t count(const std::vector<std::string>& messages, const std::string& m) {
  return static_cast<std::size_t>(std::count(messages.begin(), messages.end(), m));
}

std::ptrdiff_t index_of(const std::vector<std::string>& messages, const std::string& m) {
  const auto it = std::find(messages.begin(), messages.end(), m);
  return it == messages.end() ? -1 : it - messages.begin();
}

// Sets variables for the children started in its lifetime (fork copies the environment), and
// puts the test's own environment back afterwards.
class ScopedEnv {
 public:
  void set(const std::string& name, const std::string& value) {
    remember(name);
    setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    remember(name);
    unsetenv(name.c_str());
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) setenv(name.c_str(), value->c_str(), 1);
      else unsetenv(name.c_str());
    }
  }

 private:
  void remember(const std::string& name) {
    const char* v = getenv(name.c_str());
    saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};


// The pid of the process whose command line contains `needle` (a unique temp path), or -1.
pid_t pid_with_argument(const std::string& needle) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline;
    try {
      cmdline = read_file(e.path() / "cmdline");
    } catch (const std::exception&) {
      continue;  // gone meanwhile
    }
    if (cmdline.find(needle) != std::string::npos) return static_cast<pid_t>(std::stoi(name));
  }
  return -1;
}

}  // namespace

TEST_CASE("systemd-analyze verify accepts the installed unit without a warning", "[systemd]") {
  const auto r = systemd_analyze({"verify", installed_unit().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  // verify exits 0 on an unknown or misspelt directive and only prints it: any output is a finding.
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("systemd-analyze verify reports a misspelt directive, so the check above can fail", "[systemd]") {
  TempDir dir;
  std::string unit = read_file(installed_unit());
  unit = std::regex_replace(unit, std::regex("\nProtectHome="), "\nProtectHomes=");
  write_file(dir / "vigia.service", unit);
  const auto r = systemd_analyze({"verify", (dir / "vigia.service").string()});
  CHECK((r.out + r.err).find("ProtectHomes") != std::string::npos);
}

TEST_CASE("the unit is a watched notify service that reloads on SIGHUP and runs as its own user", "[systemd]") {
  const std::string unit = read_file(installed_unit());
  CHECK(unit_value(unit, "Type") == "notify");
  CHECK_FALSE(unit_value(unit, "WatchdogSec").empty());
  CHECK(unit_value(unit, "ExecReload") == "/bin/kill -HUP $MAINPID");
  CHECK(unit_value(unit, "Restart") == "on-failure");
  CHECK(unit_value(unit, "RestartPreventExitStatus") == "2");  // bad config: restarting cannot help
  CHECK(unit_value(unit, "User") == "vigia");
  CHECK(unit_value(unit, "StateDirectory") == "vigia");
  // The sysusers snippet creates the user the unit runs as.
  const std::string sysusers = read_file(installed_prefix() / "lib" / "sysusers.d" / "vigia.conf");
  CHECK(std::regex_search(sysusers, std::regex(R"((^|\n)u vigia )")));
}

TEST_CASE("systemd-analyze security rates the unit's exposure below 2.0", "[systemd]") {
  // --threshold is on the 0-100 scale behind the 0.0-10.0 score: 19 fails from 2.0 up.
  const auto r = systemd_analyze({"security", "--offline=yes", "--threshold=19", "--no-pager", installed_unit().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  std::smatch m;
  const std::string all = r.out + r.err;
  REQUIRE(std::regex_search(all, m, std::regex(R"(Overall exposure level for vigia\.service: (\d+\.\d+))")));
  CHECK(std::stod(m[1]) < 2.0);
}

TEST_CASE("vigia run tells systemd READY=1, feeds the watchdog while healthy and says STOPPING=1 on SIGTERM",
          "[systemd]") {
  TempDir dir;
  write_quiet_config(dir);
  NotifySocket notify(dir / "notify.sock");
  std::optional<ChildProcess> vigia;
  {
    ScopedEnv env;
    env.set("NOTIFY_SOCKET", (dir / "notify.sock").string());
    env.set("WATCHDOG_USEC", "400000");
    env.unset("WATCHDOG_PID");  // systemd sets it only for a forking parent; absent means "you"
    vigia.emplace(std::vector<std::string>{vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()},
                  dir.path());
  }
  const auto& messages = notify.receive_until(
      [](const std::vector<std::string>& m) { return count(m, "WATCHDOG=1") >= 3; }, 60s);
  INFO(vigia->err());
  REQUIRE(count(messages, "READY=1") == 1);
  REQUIRE(count(messages, "WATCHDOG=1") >= 3);
  // Pings only once every stage is up: the watchdog is not armed before READY=1.
  CHECK(index_of(messages, "READY=1") < index_of(messages, "WATCHDOG=1"));
  CHECK(vigia->err().find("systemd watchdog: pinging every 200 ms while http://127.0.0.1:") != std::string::npos);

  vigia->signal(SIGTERM);
  notify.receive_until([](const std::vector<std::string>& m) { return count(m, "STOPPING=1") == 1; }, 60s);
  REQUIRE(vigia->wait(60s) == std::optional<int>(0));
  CHECK(count(messages, "STOPPING=1") == 1);
  CHECK(index_of(messages, "STOPPING=1") > index_of(messages, "WATCHDOG=1"));
}

TEST_CASE("vigia run leaves a watchdog meant for another process alone", "[systemd]") {
  TempDir dir;
  write_quiet_config(dir);
  NotifySocket notify(dir / "notify.sock");
  std::optional<ChildProcess> vigia;
  {
    ScopedEnv env;
    env.set("NOTIFY_SOCKET", (dir / "notify.sock").string());
    env.set("WATCHDOG_USEC", "400000");
    env.set("WATCHDOG_PID", std::to_string(getpid()));  // this test's, not the daemon's
    vigia.emplace(std::vector<std::string>{vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()},
                  dir.path());
  }
  REQUIRE(count(notify.receive_until([](const auto& m) { return count(m, "READY=1") == 1; }, 60s), "READY=1") == 1);
  vigia->signal(SIGTERM);
  const auto& messages =
      notify.receive_until([](const std::vector<std::string>& m) { return count(m, "STOPPING=1") == 1; }, 60s);
  REQUIRE(vigia->wait(60s) == std::optional<int>(0));
  INFO(vigia->err());
  CHECK(count(messages, "STOPPING=1") == 1);
  // The decision is logged before any ping and before the stop signal is awaited: deterministic.
  CHECK(count(messages, "WATCHDOG=1") == 0);
  CHECK(vigia->err().find("systemd watchdog") == std::string::npos);
}

TEST_CASE("a running daemon maps no memory writable and executable, as MemoryDenyWriteExecute= requires", "[systemd]") {
  // Under MemoryDenyWriteExecute=yes a library that needs W+X pages (a JIT, an executable stack)
  // fails at run time; every library the daemon loads is mapped by now.
  TempDir dir;
  write_quiet_config(dir);
  NotifySocket notify(dir / "notify.sock");
  std::optional<ChildProcess> vigia;
  {
    ScopedEnv env;
    env.set("NOTIFY_SOCKET", (dir / "notify.sock").string());
    vigia.emplace(std::vector<std::string>{vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()},
                  dir.path());
  }
  REQUIRE(count(notify.receive_until([](const auto& m) { return count(m, "READY=1") == 1; }, 60s), "READY=1") == 1);
  const pid_t pid = pid_with_argument((dir / "vigia.yaml").string());
  REQUIRE(pid > 0);
  const std::string maps = read_file("/proc/" + std::to_string(pid) + "/maps");
  REQUIRE_FALSE(maps.empty());
  std::istringstream in(maps);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string range, perms;
    fields >> range >> perms;
    INFO(line);
    CHECK_FALSE((perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x'));
  }
  vigia->signal(SIGTERM);
  CHECK(vigia->wait(60s) == std::optional<int>(0));
}
