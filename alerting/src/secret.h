// Secrets for sinks (signing keys, webhook URLs that carry their token): read once at
// configuration time from an environment variable or a file, so they never sit in the config
// file itself. Messages name the variable or the file, never the value.
#pragma once

#include <optional>
#include <string>

#include "vigia/core/config_schema.h"

namespace vigia::alerting {

// The secret configured by whichever of `inline_key` (may be empty: no inline form), `env_key`
// and `file_key` is set in `settings`; nullopt when none is. Throws std::invalid_argument
// (prefixed "sink '<sink>': ") when more than one is set, the variable is unset or empty, or the
// file cannot be read or is empty. A file's trailing whitespace (the usual final newline) is
// dropped.
std::optional<std::string> read_secret(const ConfigValues& settings, const std::string& sink, const std::string& inline_key,
                                       const std::string& env_key, const std::string& file_key);

}  // namespace vigia::alerting
