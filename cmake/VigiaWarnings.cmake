# Warnings for our own targets only; third-party headers come in as SYSTEM includes.
add_library(vigia_warnings INTERFACE)
target_compile_options(vigia_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  # Option structs and schema tables are aggregates whose members have defaults; naming only
  # the members that differ is the point, so this -Wextra warning is noise here.
  -Wno-missing-field-initializers
  $<$<BOOL:${VIGIA_WERROR}>:-Werror>)
