// Loads rule packs: YAML files (or folders of *.yaml / *.yml, read in name order) into a
// compiled RuleSet. Every problem in every file is reported as a Diagnostic at file:line:col
// with a stable code — YAML syntax, unknown keys (with a suggestion), missing or ill-typed
// fields, duplicate ids, unknown names in conditions, regexes Hyperscan rejects — rather than
// stopping at the first. This is the one path used by `vigia rules check`, `vigia scan` and the
// daemon, so what an operator checks is what runs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "vigia/core/diagnostics.h"
#include "vigia/rules/rule_set.h"

namespace vigia::rules {

struct LoadResult {
  RuleSetPtr rules;  // null when any error was found
  Diagnostics diagnostics;
};

LoadResult load_rule_set(const std::vector<std::filesystem::path>& paths);

// For tests and tools: load from in-memory documents, each {file name, YAML text}.
LoadResult load_rule_set_from_text(const std::vector<std::pair<std::string, std::string>>& documents);

}  // namespace vigia::rules
