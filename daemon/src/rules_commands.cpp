// `vigia rules check` and `vigia rules test`: the same loader the daemon uses, so what passes
// here is what runs.
#include <cstdio>

#include "commands.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/rule_tests.h"

namespace vigia::daemon {

int rules_check_command(const std::vector<std::filesystem::path>& paths, bool json) {
  auto loaded = rules::load_rule_set(paths);
  if (json) {
    std::puts(loaded.diagnostics.to_json().c_str());
    return loaded.rules ? 0 : 2;
  }
  std::fputs(loaded.diagnostics.to_text().c_str(), stdout);
  if (!loaded.rules) {
    std::printf("%zu error(s)\n", loaded.diagnostics.error_count());
    return 2;
  }
  std::size_t patterns = 0;
  for (const auto& r : loaded.rules->rules()) patterns += r.patterns.size();
  std::printf("OK: %zu rules (%zu enabled), %zu lists, %zu patterns in %zu expressions, compiled in %.0f ms (version %s)\n",
              loaded.rules->rules().size(), loaded.rules->enabled_rule_count(), loaded.rules->lists().size(), patterns,
              loaded.rules->expressions().size(), loaded.rules->compile_seconds() * 1000, loaded.rules->version().c_str());
  return 0;
}

int rules_test_command(const std::vector<std::filesystem::path>& paths) {
  auto loaded = rules::load_rule_set(paths);
  if (!loaded.rules) {
    std::fputs(loaded.diagnostics.to_text().c_str(), stdout);
    std::printf("%zu error(s): rules not loaded, no tests run\n", loaded.diagnostics.error_count());
    return 2;
  }
  const auto report = rules::run_rule_tests(loaded.rules);
  for (const auto& f : report.failures) {
    std::printf("%s:%d: FAIL %s\n", f.where.file.c_str(), f.where.line, f.message.c_str());
  }
  std::printf("%zu passed, %zu failed\n", report.passed, report.failures.size());
  return report.ok() ? 0 : 1;
}

}  // namespace vigia::daemon
