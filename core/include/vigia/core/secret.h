// Secrets (passwords, tokens, signing keys) read once at configuration time from an environment
// variable or a file, so they never sit in a config file. Every error message names the variable
// or the file, never the value. Thread-safe as long as nobody calls setenv() meanwhile.
#pragma once

#include <filesystem>
#include <string>

#include "vigia/core/result.h"

namespace vigia {

// The value of environment variable `name`. Error (reason "secret") when it is unset or empty:
// "environment variable NAME is unset or empty".
Result<std::string> read_secret_env(const std::string& name);

// The content of `path` with its trailing whitespace (the usual final newline) dropped. Error
// (reason "secret") "cannot read PATH" or "PATH is empty".
Result<std::string> read_secret_file(const std::filesystem::path& path);

}  // namespace vigia
