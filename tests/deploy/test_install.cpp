// `cmake --install` of this build tree, checked the way an operator meets it: the FHS layout, an
// installed config that points at the installed packs and a state dir, an installed binary that
// accepts that config and passes the packs' embedded tests, and a unit whose ExecStart follows
// the prefix. The packager's form (DESTDIR + prefix /usr, as the Dockerfile runs it) is checked
// too, since that is where GNUInstallDirs maps the config to /etc.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia::test;
namespace fs = std::filesystem;

namespace vigia::test::deploy {

// Installs this build tree under `prefix` (with DESTDIR `destdir` when not empty); fails the test
// with cmake's output unless the install succeeds.
void install_build_tree(const fs::path& prefix, const fs::path& destdir = {}) {
  std::vector<std::string> argv = {VIGIA_CMAKE_COMMAND};
  if (!destdir.empty()) argv.insert(argv.end(), {"-E", "env", "DESTDIR=" + destdir.string(), VIGIA_CMAKE_COMMAND});
  argv.insert(argv.end(), {"--install", binary_dir().string(), "--prefix", prefix.string()});
  const auto r = run_process(argv, {}, std::chrono::minutes(2));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// One install per test process, shared by the [install] and [systemd] tests (declared there).
const fs::path& installed_prefix() {
  static TempDir dir;
  static bool installed = false;
  if (!installed) {
    install_build_tree(dir.path());
    installed = true;
  }
  return dir.path();
}

// The value of `key=` in a unit file (the last assignment wins, as in systemd), "" when absent.
std::string unit_value(const std::string& unit, const std::string& key) {
  std::string value;
  std::istringstream in(unit);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + "=", 0) == 0) value = line.substr(key.size() + 1);
  }
  return value;
}

}  // namespace vigia::test::deploy

using namespace vigia::test::deploy;

namespace {

std::vector<std::string> yaml_files(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool is_executable(const fs::path& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXOTH);
}

}  // namespace

TEST_CASE("cmake --install lays out binary, packs, unit, sysusers, config and docs in FHS places", "[install]") {
  const fs::path& p = installed_prefix();
  CHECK(is_executable(p / "bin" / "vigia"));
  const fs::path packs = source_dir() / "rules" / "packs";
  REQUIRE(fs::is_directory(p / "share" / "vigia" / "rules"));
  CHECK(yaml_files(p / "share" / "vigia" / "rules") == yaml_files(packs));
  for (const auto& name : yaml_files(packs)) {
    CHECK(read_file(p / "share" / "vigia" / "rules" / name) == read_file(packs / name));
  }
  CHECK(fs::is_regular_file(p / "lib" / "systemd" / "system" / "vigia.service"));
  REQUIRE(fs::is_regular_file(p / "lib" / "sysusers.d" / "vigia.conf"));
  CHECK(read_file(p / "lib" / "sysusers.d" / "vigia.conf") == read_file(source_dir() / "systemd" / "vigia.sysusers"));
  CHECK(fs::is_regular_file(p / "etc" / "vigia" / "vigia.yaml"));
  for (const char* doc : {"README.md", "systemd.md", "container.md", "rules.md", "alerting.md"}) {
    CHECK(fs::is_regular_file(p / "share" / "doc" / "vigia" / doc));
  }
  // Nothing of the repository's demo set-up comes along.
  CHECK_FALSE(fs::exists(p / "etc" / "vigia" / "samples"));
  CHECK_FALSE(fs::exists(p / "share" / "vigia" / "samples"));
}

TEST_CASE("the installed config names the installed packs, a state dir under the prefix and the real feeds only",
          "[install]") {
  const fs::path& p = installed_prefix();
  CHECK(read_file(p / "etc" / "vigia" / "vigia.yaml").find("@VIGIA_") == std::string::npos);
  const YAML::Node config = YAML::LoadFile((p / "etc" / "vigia" / "vigia.yaml").string());
  CHECK(config["http"]["listen"].as<std::string>() == "127.0.0.1:9464");
  // A scratch prefix keeps its state inside it; /usr, / and /usr/local use /var/lib/vigia (below).
  CHECK(config["state_dir"].as<std::string>() == (p / "var" / "lib" / "vigia").string());
  REQUIRE(config["rules"]["paths"].size() == 1);
  CHECK(config["rules"]["paths"][0].as<std::string>() == (p / "share" / "vigia" / "rules").string());
  REQUIRE(config["feeds"].size() > 0);
  for (const auto& feed : config["feeds"]) {
    INFO(feed["name"].as<std::string>());
    CHECK(feed["type"].as<std::string>() == "http");  // the demo `samples` file feed is not installed
  }
  bool alerts_in_state_dir = false;
  for (const auto& sink : config["sinks"]) {
    CHECK(sink["type"].as<std::string>() != "console");  // multi-line blocks would shred the journal
    if (sink["type"].as<std::string>() == "file") {
      alerts_in_state_dir = sink["path"].as<std::string>() == (p / "var" / "lib" / "vigia" / "alerts.jsonl").string();
    }
  }
  CHECK(alerts_in_state_dir);
}

TEST_CASE("the installed binary accepts the installed config and the installed packs pass their tests", "[install]") {
  const fs::path& p = installed_prefix();
  const std::string vigia = (p / "bin" / "vigia").string();
  const auto check = run_process({vigia, "config", "check", "--config", (p / "etc" / "vigia" / "vigia.yaml").string()});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.out.rfind("OK: ", 0) == 0);
  // A dry run creates nothing: the state dir is the service's to create (StateDirectory=).
  CHECK_FALSE(fs::exists(p / "var" / "lib" / "vigia" / "vigia.db"));

  const auto tests = run_process({vigia, "rules", "test", (p / "share" / "vigia" / "rules").string()});
  INFO(tests.out << tests.err);
  CHECK(tests.exit_code == 0);
}

TEST_CASE("the installed unit starts the installed binary on the installed config", "[install]") {
  const fs::path& p = installed_prefix();
  const std::string unit = read_file(p / "lib" / "systemd" / "system" / "vigia.service");
  CHECK(unit_value(unit, "ExecStart") ==
        (p / "bin" / "vigia").string() + " run --config " + (p / "etc" / "vigia" / "vigia.yaml").string());
  CHECK(unit.find("@VIGIA_") == std::string::npos);  // no template placeholder left unfilled
}

TEST_CASE("a packager's install (DESTDIR, prefix /usr) puts the config in /etc and the state in /var/lib/vigia",
          "[install]") {
  TempDir dest;
  install_build_tree("/usr", dest.path());
  const fs::path root = dest.path();
  CHECK(is_executable(root / "usr" / "bin" / "vigia"));
  CHECK(fs::is_directory(root / "usr" / "share" / "vigia" / "rules"));
  CHECK(fs::is_regular_file(root / "usr" / "lib" / "sysusers.d" / "vigia.conf"));
  CHECK_FALSE(fs::exists(root / "usr" / "etc"));
  REQUIRE(fs::is_regular_file(root / "etc" / "vigia" / "vigia.yaml"));

  const YAML::Node config = YAML::LoadFile((root / "etc" / "vigia" / "vigia.yaml").string());
  CHECK(config["state_dir"].as<std::string>() == "/var/lib/vigia");
  CHECK(config["rules"]["paths"][0].as<std::string>() == "/usr/share/vigia/rules");
  const std::string unit = read_file(root / "usr" / "lib" / "systemd" / "system" / "vigia.service");
  CHECK(unit_value(unit, "ExecStart") == "/usr/bin/vigia run --config /etc/vigia/vigia.yaml");
  CHECK(unit_value(unit, "StateDirectory") == "vigia");  // i.e. the config's /var/lib/vigia
  // Paths written into files never carry DESTDIR.
  CHECK(unit.find(root.string()) == std::string::npos);
  CHECK(read_file(root / "etc" / "vigia" / "vigia.yaml").find(root.string()) == std::string::npos);
}

TEST_CASE("installing again keeps an operator's edited config and puts the new one beside it", "[install]") {
  TempDir prefix;
  install_build_tree(prefix.path());
  const fs::path config = prefix / "etc/vigia/vigia.yaml";
  const std::string shipped = read_file(config);
  write_file(config, shipped + "# edited by the operator\n");

  install_build_tree(prefix.path());
  CHECK(read_file(config) == shipped + "# edited by the operator\n");
  REQUIRE(fs::is_regular_file(prefix / "etc/vigia/vigia.yaml.dist"));
  CHECK(read_file(prefix / "etc/vigia/vigia.yaml.dist") == shipped);
}
