# Warnings for our own targets only; third-party headers come in as SYSTEM includes.
add_library(vigia_warnings INTERFACE)
target_compile_options(vigia_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  $<$<BOOL:${VIGIA_WERROR}>:-Werror>)
