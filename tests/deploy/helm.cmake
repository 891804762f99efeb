# tools/helm-render, the `helm template` stand-in the [helm] tests render helm/vigia with (Helm
# itself is not packaged in Debian). Built in GOPATH mode against the Debian Go packages
# (golang-github-masterminds-sprig-dev, golang-github-xeipuuv-gojsonschema-dev,
# golang-gopkg-yaml.v3-dev): no module download, so it builds offline.
set(VIGIA_GOPATH "/usr/share/gocode" CACHE PATH "GOPATH holding the Debian Go library packages")
set(VIGIA_HELM_RENDER "")
if(VIGIA_GO)
  set(VIGIA_HELM_RENDER "${CMAKE_CURRENT_BINARY_DIR}/helm-render")
  set(_helm_render_dir "${PROJECT_SOURCE_DIR}/tools/helm-render")
  file(GLOB _helm_render_sources CONFIGURE_DEPENDS "${_helm_render_dir}/*.go")
  # GOFLAGS, GOPROXY and GOTOOLCHAIN are pinned so a developer's Go environment cannot turn this
  # into a module build or a download. A GOPATH build must name the package relatively, hence
  # the working directory.
  add_custom_command(
    OUTPUT "${VIGIA_HELM_RENDER}"
    COMMAND "${CMAKE_COMMAND}" -E env GO111MODULE=off "GOPATH=${VIGIA_GOPATH}"
            "GOCACHE=${CMAKE_CURRENT_BINARY_DIR}/go-cache" GOFLAGS= GOPROXY=off GOTOOLCHAIN=local
            "${VIGIA_GO}" build -o "${VIGIA_HELM_RENDER}" .
    WORKING_DIRECTORY "${_helm_render_dir}"
    DEPENDS ${_helm_render_sources}
    COMMENT "Building helm-render (tools/helm-render)"
    VERBATIM)
  add_custom_target(vigia_helm_render DEPENDS "${VIGIA_HELM_RENDER}")
  add_dependencies(vigia_deploy vigia_helm_render)
else()
  # The [helm] tests then fail and name the package, rather than the whole build failing here.
  message(STATUS "go not found (Debian package golang-go): the [helm] tests will fail")
endif()
target_compile_definitions(vigia_deploy PRIVATE VIGIA_HELM_RENDER="${VIGIA_HELM_RENDER}")
