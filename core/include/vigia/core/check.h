// Invariants (STYLE.md §4). VIGIA_CHECK is always on: it logs what broke and aborts, for states
// that mean a bug or exhausted memory (e.g. Hyperscan refusing a database we compiled).
// VIGIA_ASSERT is the same in debug builds and nothing in release builds.
#pragma once

#include <string_view>

namespace vigia::detail {
[[noreturn]] void check_failed(std::string_view expression, std::string_view message, const char* file, int line);
}  // namespace vigia::detail

#define VIGIA_CHECK(cond, message)                                             \
  do {                                                                         \
    if (!(cond)) ::vigia::detail::check_failed(#cond, message, __FILE__, __LINE__); \
  } while (false)

#ifdef NDEBUG
#define VIGIA_ASSERT(cond, message) \
  do {                              \
  } while (false)
#else
#define VIGIA_ASSERT(cond, message) VIGIA_CHECK(cond, message)
#endif
