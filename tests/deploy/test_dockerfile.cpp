// The Dockerfile, checked without a container engine: what it installs comes from
// scripts/deps.sh, its bases are Debian bookworm, the image runs as a non-root user with a health
// check, and scripts/deps.sh's RUNTIME_PACKAGES is exactly what the built binary links. Plus
// `vigia health`, the image's HEALTHCHECK, against a live daemon and against failures.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "deploy_util.h"
#include "support/admin_client.h"
#include "support/loopback_server.h"
#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Instruction {
  std::string keyword;  // upper case: FROM, RUN, ...
  std::string args;     // continuation lines joined, comments dropped
};

struct Stage {
  std::string from;  // the base image, ARG defaults substituted
  std::vector<Instruction> instructions;
  std::vector<std::string> all(const std::string& keyword) const {
    std::vector<std::string> out;
    for (const auto& i : instructions) {
      if (i.keyword == keyword) out.push_back(i.args);
    }
    return out;
  }
  std::string joined(const std::string& keyword) const {
    std::string out;
    for (const auto& a : all(keyword)) out += a + "\n";
    return out;
  }
};

// Enough of the Dockerfile grammar for these checks: comments, line continuations, and global
// ARGs (declared before the first FROM) used in FROM lines.
std::vector<Stage> parse_dockerfile(const std::string& text) {
  std::vector<Instruction> instructions;
  std::istringstream in(text);
  std::string pending;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const bool continues = !line.empty() && line.back() == '\\';
    pending += continues ? line.substr(0, line.size() - 1) + " " : line;
    if (continues) continue;
    const auto start = pending.find_first_not_of(" \t");
    const auto space = pending.find_first_of(" \t", start);
    std::string keyword = pending.substr(start, space - start);
    std::transform(keyword.begin(), keyword.end(), keyword.begin(), ::toupper);
    instructions.push_back({keyword, space == std::string::npos ? "" : pending.substr(space + 1)});
    pending.clear();
  }
  std::map<std::string, std::string> args;
  std::vector<Stage> stages;
  for (const auto& i : instructions) {
    if (i.keyword == "ARG" && stages.empty()) {
      const auto eq = i.args.find('=');
      if (eq != std::string::npos) args[i.args.substr(0, eq)] = i.args.substr(eq + 1);
    } else if (i.keyword == "FROM") {
      std::string image = i.args.substr(0, i.args.find(' '));
      for (const auto& [name, value] : args) {
        for (const std::string& ref : std::vector<std::string>{"${" + name + "}", "$" + name}) {
          for (auto at = image.find(ref); at != std::string::npos; at = image.find(ref)) image.replace(at, ref.size(), value);
        }
      }
      stages.push_back({image, {}});
    } else if (!stages.empty()) {
      stages.back().instructions.push_back(i);
    }
  }
  return stages;
}

// `name` looked up on PATH (run_process takes a path), failing the test when it is missing.
std::string tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && access((fs::path(dir) / name).c_str(), X_OK) == 0) return (fs::path(dir) / name).string();
  }
  FAIL(name << " not found on PATH (readelf: binutils; ldd: libc-bin; dpkg: dpkg)");
  return "";
}

std::vector<Stage> dockerfile() {
  auto stages = parse_dockerfile(read_file(source_dir() / "Dockerfile"));
  REQUIRE(stages.size() >= 2);
  return stages;
}

std::set<std::string> deps_list(const std::string& which) {
  const auto r = run_process({(source_dir() / "scripts" / "deps.sh").string(), "--print", which});
  REQUIRE(r.exit_code == 0);
  std::set<std::string> packages;
  std::istringstream in(r.out);
  for (std::string p; in >> p;) packages.insert(p);
  return packages;
}

// The Debian package that ships `path` ("" when none does). Merged /usr means the loader may name
// /lib/... where dpkg recorded /usr/lib/... or the other way round.
std::string package_of(const fs::path& path) {
  std::vector<std::string> candidates = {path.string()};
  const std::string s = path.string();
  if (s.rfind("/usr/", 0) == 0) candidates.push_back(s.substr(4));
  else candidates.push_back("/usr" + s);
  std::error_code ec;
  if (auto real = fs::canonical(path, ec); !ec) candidates.push_back(real.string());
  for (const auto& c : candidates) {
    const auto r = run_process({tool("dpkg"), "-S", c});
    if (r.exit_code != 0) continue;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("diversion", 0) == 0) continue;
      std::string package = line.substr(0, line.find(": "));
      package = package.substr(0, package.find(':'));  // drop ":amd64"
      return package;
    }
  }
  return "";
}

struct Linked {
  std::set<std::string> direct;  // packages of the binary's own DT_NEEDED libraries
  std::set<std::string> all;     // packages of everything the loader maps (ldd)
};

Linked linked_packages(const std::string& binary) {
  const auto needed = run_process({tool("readelf"), "-d", binary});
  REQUIRE(needed.exit_code == 0);  // binutils, from build-essential
  std::set<std::string> direct_names;
  std::smatch m;
  const std::regex needed_line(R"(\(NEEDED\).*\[([^\]]+)\])");
  for (auto it = std::sregex_iterator(needed.out.begin(), needed.out.end(), needed_line);
       it != std::sregex_iterator(); ++it) {
    direct_names.insert((*it)[1]);
  }
  REQUIRE_FALSE(direct_names.empty());

  const auto ldd = run_process({tool("ldd"), binary});
  REQUIRE(ldd.exit_code == 0);
  Linked linked;
  std::istringstream in(ldd.out);
  for (std::string line; std::getline(in, line);) {
    if (!std::regex_search(line, m, std::regex(R"(^\s*(\S+) => (/\S+))"))) continue;
    const std::string package = package_of(m[2].str());
    INFO(line);
    REQUIRE_FALSE(package.empty());
    linked.all.insert(package);
    if (direct_names.count(m[1])) linked.direct.insert(package);
  }
  return linked;
}

bool is_sanitizer_runtime(const std::string& package) {
  return std::regex_match(package, std::regex(R"(lib(asan|ubsan|tsan|lsan)\d*)"));
}


}  // namespace

TEST_CASE("every stage of the image is built on Debian bookworm", "[docker]") {
  for (const auto& stage : dockerfile()) {
    INFO(stage.from);
    CHECK(std::regex_match(stage.from, std::regex(R"(debian:bookworm(-slim)?(@sha256:[0-9a-f]{64})?)")));
  }
}

TEST_CASE("the image installs packages only through scripts/deps.sh, without recommends, and drops apt lists",
          "[docker]") {
  const auto stages = dockerfile();
  for (const auto& stage : stages) {
    const std::string runs = stage.joined("RUN");
    INFO(runs);
    // A hand-written package list here would drift from deps.sh.
    CHECK_FALSE(std::regex_search(runs, std::regex(R"(apt(-get)?\s+(-\S+\s+)*install)")));
    CHECK(runs.find("rm -rf /var/lib/apt/lists/*") != std::string::npos);
  }
  CHECK(stages.front().joined("RUN").find("deps.sh --build") != std::string::npos);
  CHECK(stages.back().joined("RUN").find("deps.sh --runtime") != std::string::npos);
  const std::string deps = read_file(source_dir() / "scripts" / "deps.sh");
  CHECK(deps.find("apt-get install -y -qq --no-install-recommends") != std::string::npos);
}

TEST_CASE("the image installs a /usr build for containers and copies the staged install", "[docker]") {
  const auto stages = dockerfile();
  const std::string build = stages.front().joined("RUN");
  CHECK(build.find("-DCMAKE_INSTALL_PREFIX=/usr") != std::string::npos);
  CHECK(build.find("-DVIGIA_ADMIN_LISTEN=0.0.0.0:9464") != std::string::npos);
  CHECK(std::regex_search(build, std::regex(R"(DESTDIR=/staging cmake --install)")));
  const std::string copies = stages.back().joined("COPY");
  for (const char* path : {"/usr/bin/vigia", "/usr/share/vigia", "/etc/vigia"}) {
    CHECK(copies.find(std::string("--from=build /staging") + path + " " + path) != std::string::npos);
  }
}

TEST_CASE("the image runs as the unprivileged vigia user with its state on a volume", "[docker]") {
  const Stage runtime = dockerfile().back();
  const auto users = runtime.all("USER");
  REQUIRE_FALSE(users.empty());
  CHECK(users.back() == "10001:10001");
  CHECK(std::regex_search(runtime.joined("RUN"), std::regex(R"(groupadd[^\n]*--gid 10001 vigia)")));
  CHECK(std::regex_search(runtime.joined("RUN"), std::regex(R"(useradd[^\n]*--uid 10001 --gid 10001[^\n]* vigia)")));
  CHECK(runtime.joined("VOLUME").find("/var/lib/vigia") != std::string::npos);
  CHECK(runtime.joined("CMD").find("\"--config\", \"/etc/vigia/vigia.yaml\"") != std::string::npos);
}

TEST_CASE("the image exposes the admin port and checks its health through /healthz", "[docker]") {
  const Stage runtime = dockerfile().back();
  CHECK(runtime.joined("EXPOSE") == "9464\n");
  const auto checks = runtime.all("HEALTHCHECK");
  REQUIRE(checks.size() == 1);
  // `vigia health --config` GETs /healthz at the config's http.listen (tested below).
  CHECK(checks[0].find("CMD [\"vigia\", \"health\", \"--config\", \"/etc/vigia/vigia.yaml\"") != std::string::npos);
}

TEST_CASE(".dockerignore keeps build trees, local state and git out of the build context", "[docker]") {
  const std::string ignore = read_file(source_dir() / ".dockerignore");
  for (const char* entry : {"\n.git\n", "\nbuild/\n", "\nvar/\n"}) {
    CHECK(("\n" + ignore).find(entry) != std::string::npos);
  }
}

TEST_CASE("RUNTIME_PACKAGES is exactly what the built binary links", "[docker]") {
  const std::set<std::string> runtime = deps_list("runtime");
  const Linked linked = linked_packages(vigia_binary());
  // Debian's gcc links with --as-needed except under -fsanitize: a sanitizer build names every
  // library on the link line, used or not, so it cannot say what the image's release build needs.
  if (std::any_of(linked.direct.begin(), linked.direct.end(), is_sanitizer_runtime)) {
    WARN("sanitizer build: RUNTIME_PACKAGES is checked against the dev or release build only");
    return;
  }
  // In every Debian image already (Essential, or required by apt itself).
  const std::set<std::string> base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"};
  for (const auto& package : linked.direct) {
    if (base.count(package) || is_sanitizer_runtime(package)) continue;
    INFO("the binary links a library of " << package << ", missing from RUNTIME_PACKAGES in scripts/deps.sh");
    CHECK(runtime.count(package) == 1);
  }
  for (const auto& package : runtime) {
    if (package == "ca-certificates") continue;  // not linked: libcurl reads it to verify HTTPS peers
    INFO(package << " is in RUNTIME_PACKAGES, but nothing the binary loads comes from it");
    CHECK(linked.all.count(package) == 1);
  }
}

TEST_CASE("vigia health exits 0 against a running daemon's /healthz", "[docker][health]") {
  TempDir dir;
  write_quiet_config(dir);
  ChildProcess vigia({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir.path());
  const int port = admin_port(vigia);
  const auto r = run_process({vigia_binary(), "health", "--url", "http://127.0.0.1:" + std::to_string(port) + "/healthz"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("vigia health --config probes /healthz at the config's listen address, wildcard included", "[docker][health]") {
  LoopbackServer admin;
  admin.serve("/healthz", "ok\n", "text/plain");
  TempDir dir;
  // The container's form: listening on every address, probed on loopback.
  write_file(dir / "vigia.yaml", "http: {listen: \"0.0.0.0:" + std::to_string(admin.port()) + "\"}\n" +
                                     "rules: {paths: [" +
                                     (source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml").string() + "]}\n" +
                                     "sinks:\n  - {name: file, type: file, path: " + (dir / "a.jsonl").string() + "}\n");
  const auto r = run_process({vigia_binary(), "health", "--config", (dir / "vigia.yaml").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  REQUIRE(admin.requests().size() == 1);
  CHECK(admin.requests()[0].path == "/healthz");
  CHECK(admin.requests()[0].method == "GET");
}

TEST_CASE("vigia health exits 1 with the reason for an unhealthy answer or a dead port", "[docker][health]") {
  LoopbackServer sick;
  sick.on("GET", "/healthz", [](const ReceivedRequest&) { return CannedResponse{503, "no\n", "text/plain", {}}; });
  const auto unhealthy = run_process({vigia_binary(), "health", "--url", sick.url("/healthz")});
  CHECK(unhealthy.exit_code == 1);
  CHECK(unhealthy.err.find("HTTP 503") != std::string::npos);

  const auto dead = run_process(
      {vigia_binary(), "health", "--url", "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/healthz"});
  CHECK(dead.exit_code == 1);
  CHECK(dead.err.find("unhealthy") != std::string::npos);
}

TEST_CASE("vigia health refuses a config without a fixed admin address", "[docker][health]") {
  TempDir dir;
  write_file(dir / "vigia.yaml", "http: {listen: \"\"}\nrules: {paths: [" +
                                     (source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml").string() +
                                     "]}\nsinks:\n  - {name: file, type: file, path: " + (dir / "a.jsonl").string() +
                                     "}\n");
  const auto r = run_process({vigia_binary(), "health", "--config", (dir / "vigia.yaml").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("disabled") != std::string::npos);
}
