# Every dependency is a Debian bookworm package (scripts/deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

find_package(simdjson REQUIRED)
find_package(prometheus-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(CURL REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(LibXml2 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CLI11 REQUIRED)

# kainjow's Mustache (libkainjow-mustache-dev) is header-only and ships no CMake or pkg-config
# file: find the header and wrap it in an imported target.
find_path(KAINJOW_MUSTACHE_INCLUDE_DIR kainjow/mustache.hpp REQUIRED)
add_library(kainjow::mustache INTERFACE IMPORTED)
set_target_properties(kainjow::mustache PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${KAINJOW_MUSTACHE_INCLUDE_DIR}")

pkg_check_modules(libhs REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(utf8proc REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(uriparser REQUIRED IMPORTED_TARGET liburiparser)
pkg_check_modules(httplib REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(systemd REQUIRED IMPORTED_TARGET libsystemd)
# Both modules, or the C symbols the C++ binding builds on are missing at link time.
pkg_check_modules(rdkafka REQUIRED IMPORTED_TARGET rdkafka rdkafka++)

if(VIGIA_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
  find_package(ZLIB REQUIRED)  # tests build gzip bodies to check decoding and bomb caps
  include(Catch)
endif()
