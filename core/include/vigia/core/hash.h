// Stable identifiers: the same input gives the same id on every machine and release.
#pragma once

#include <string>
#include <string_view>

namespace vigia {

// First 128 bits of SHA-256 over `data`, as 32 lower-case hex characters.
std::string stable_id(std::string_view data);

}  // namespace vigia
