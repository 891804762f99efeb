# `cmake --install`: the FHS layout a package or an operator installing from source expects.
#
#   <prefix>/bin/vigia
#   <prefix>/share/vigia/rules/*.yaml          the shipped rule packs
#   <prefix>/share/doc/vigia/                  README and docs
#   <prefix>/lib/systemd/system/vigia.service  ExecStart and --config follow the prefix
#   <prefix>/lib/sysusers.d/vigia.conf         the service user
#   <sysconfdir>/vigia/vigia.yaml              the installed config (never overwritten once there)
#
# The unit and the config carry absolute paths, and `cmake --install --prefix P` may pick the prefix
# only at install time, so both are generated then, by this same file run from the install script
# (VIGIA_INSTALL_STEP set). Directories follow GNUInstallDirs' rules applied to that prefix:
# /usr puts the config in /etc; the state is /var/lib/vigia (the unit's StateDirectory) for the
# system prefixes /, /usr and /usr/local, and <localstatedir>/lib/vigia under any other prefix, so
# a trial install into a scratch folder stays inside it.

if(NOT VIGIA_INSTALL_STEP)
  include(GNUInstallDirs)
  set(VIGIA_ADMIN_LISTEN "127.0.0.1:9464" CACHE STRING
      "http.listen of the installed config (the container image uses 0.0.0.0:9464)")
  set(VIGIA_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
      "Where the unit goes; relative to the install prefix unless absolute")
  set(VIGIA_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING
      "Where the sysusers.d snippet goes; relative to the install prefix unless absolute")

  install(TARGETS vigia RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/rules/packs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/vigia/rules
          FILES_MATCHING PATTERN "*.yaml" PATTERN "*.yml")
  file(GLOB vigia_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
  install(FILES ${PROJECT_SOURCE_DIR}/README.md ${vigia_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/systemd/vigia.sysusers DESTINATION ${VIGIA_SYSUSERS_DIR} RENAME vigia.conf)
  install(CODE "
    set(VIGIA_INSTALL_STEP ON)
    set(VIGIA_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
    set(VIGIA_BINARY_DIR \"${PROJECT_BINARY_DIR}\")
    set(VIGIA_REL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(VIGIA_REL_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
    set(VIGIA_REL_LOCALSTATEDIR \"${CMAKE_INSTALL_LOCALSTATEDIR}\")
    set(VIGIA_REL_DATADIR \"${CMAKE_INSTALL_DATADIR}\")
    set(VIGIA_REL_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
    set(VIGIA_SYSTEMD_UNIT_DIR \"${VIGIA_SYSTEMD_UNIT_DIR}\")
    set(VIGIA_ADMIN_LISTEN \"${VIGIA_ADMIN_LISTEN}\")
    include(\"${CMAKE_CURRENT_LIST_FILE}\")
  ")
  return()
endif()

# ---- install time (run from cmake_install.cmake) -------------------------------------------------

string(REGEX REPLACE "(.)/+$" "\\1" prefix "${CMAKE_INSTALL_PREFIX}")

# GNUInstallDirs' special cases for etc and var, evaluated against the install-time prefix.
function(vigia_system_dir out rel)
  if(IS_ABSOLUTE "${rel}")
    set(dir "${rel}")
  elseif(prefix STREQUAL "/" OR prefix STREQUAL "/usr")
    set(dir "/${rel}")
  elseif(prefix MATCHES "^/opt/(.*)")
    set(dir "/${rel}/opt/${CMAKE_MATCH_1}")
  else()
    set(dir "${prefix}/${rel}")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

function(vigia_prefix_dir out rel)
  if(IS_ABSOLUTE "${rel}")
    set(${out} "${rel}" PARENT_SCOPE)
  elseif(prefix STREQUAL "/")
    set(${out} "/${rel}" PARENT_SCOPE)
  else()
    set(${out} "${prefix}/${rel}" PARENT_SCOPE)
  endif()
endfunction()

vigia_prefix_dir(VIGIA_BIN_DIR "${VIGIA_REL_BINDIR}")
vigia_prefix_dir(VIGIA_DOC_DIR "${VIGIA_REL_DOCDIR}")
vigia_prefix_dir(vigia_data_dir "${VIGIA_REL_DATADIR}")
vigia_prefix_dir(vigia_unit_dir "${VIGIA_SYSTEMD_UNIT_DIR}")
vigia_system_dir(vigia_sysconf_dir "${VIGIA_REL_SYSCONFDIR}")
set(VIGIA_SYSCONF_DIR "${vigia_sysconf_dir}/vigia")
set(VIGIA_CONFIG_FILE "${VIGIA_SYSCONF_DIR}/vigia.yaml")
set(VIGIA_RULES_DIR "${vigia_data_dir}/vigia/rules")
if(prefix STREQUAL "/" OR prefix STREQUAL "/usr" OR prefix STREQUAL "/usr/local")
  # What systemd's StateDirectory=vigia creates, whatever prefix the binary has.
  set(VIGIA_STATE_DIR "/var/lib/vigia")
else()
  vigia_system_dir(vigia_localstate_dir "${VIGIA_REL_LOCALSTATEDIR}")
  set(VIGIA_STATE_DIR "${vigia_localstate_dir}/lib/vigia")
endif()

# One scratch folder per destination: two installs from one build tree may run at once.
string(MD5 vigia_install_key "$ENV{DESTDIR}|${prefix}")
set(generated "${VIGIA_BINARY_DIR}/vigia-install/${vigia_install_key}")
configure_file("${VIGIA_SOURCE_DIR}/systemd/vigia.service.in" "${generated}/vigia.service" @ONLY)
configure_file("${VIGIA_SOURCE_DIR}/config/vigia.installed.yaml.in" "${generated}/vigia.yaml" @ONLY)

file(INSTALL DESTINATION "${vigia_unit_dir}" TYPE FILE FILES "${generated}/vigia.service")

# The config is the operator's once installed (a package would mark it a conffile): an edited one
# stays, and the new version lands beside it for a diff.
set(installed_config "$ENV{DESTDIR}${VIGIA_CONFIG_FILE}")
set(config_name vigia.yaml)
if(EXISTS "${installed_config}")
  file(READ "${installed_config}" current)
  file(READ "${generated}/vigia.yaml" fresh)
  if(NOT current STREQUAL fresh)
    set(config_name vigia.yaml.dist)
    message(STATUS "Keeping the edited ${installed_config}; the new version is ${config_name} beside it")
  endif()
endif()
file(INSTALL DESTINATION "${VIGIA_SYSCONF_DIR}" TYPE FILE FILES "${generated}/vigia.yaml" RENAME ${config_name})
