// What several deploy tests share: the path of a tool from a Debian package (the test fails and
// names the package when it is missing), a loopback port nobody listens on, and a daemon config
// with nothing to fetch. Header-only.
#pragma once

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/test_paths.h"

namespace vigia::test {

// `path` as CMake's find_program left it; fails the test unless the tool is there.
inline std::string required_tool(const std::string& path, const std::string& package) {
  if (path.empty() || path.find("NOTFOUND") != std::string::npos || !std::filesystem::exists(path)) {
    FAIL("tool not found ('" << path << "'): install the Debian package `" << package
                             << "` (scripts/deps.sh --test) and re-run cmake");
  }
  return path;
}

// A port nothing listens on right now: for a server that cannot report the port it bound, or for
// a connection that must be refused.
inline int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

// A daemon with nothing to fetch (an empty file feed) and a file sink: for tests of the process
// around the pipeline (notify protocol, health), not of the pipeline.
inline void write_quiet_config(const TempDir& dir) {
  write_file(dir / "feed.jsonl", "");
  // clang-format off
  write_file(dir / "vigia.yaml",
             "http: {listen: \"127.0.0.1:0\"}\n"
             "state_dir: " + (dir / "state").string() + "\n"
             "rules: {paths: [" + (source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml").string() + "]}\n"
             "feeds:\n"
             "  - {name: quiet, type: file, path: " + (dir / "feed.jsonl").string() + ", interval: 1h, stale_after: 0}\n"
             "sinks:\n"
             "  - {name: file, type: file, path: " + (dir / "alerts.jsonl").string() + "}\n");
  // clang-format on
}

}  // namespace vigia::test
