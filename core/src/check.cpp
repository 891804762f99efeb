#include "vigia/core/check.h"

#include <cstdlib>

#include "vigia/core/log.h"

namespace vigia::detail {

void check_failed(std::string_view expression, std::string_view message, const char* file, int line) {
  log::get("core")->critical("check failed at {}:{}: {} ({})", file, line, message, expression);
  log::get("core")->flush();
  std::abort();
}

}  // namespace vigia::detail
