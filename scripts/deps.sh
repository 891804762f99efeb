#!/usr/bin/env bash
# Installs what building and testing Vigía needs, from Debian bookworm packages only.
# Idempotent: packages already present are left alone, and apt is not touched at all when
# nothing is missing. The newcomer's README commands, CI and the Dockerfile all read this list.
set -euo pipefail

# Build toolchain and libraries the code links against.
BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libhyperscan-dev libsimdjson-dev prometheus-cpp-dev libspdlog-dev libfmt-dev
  libcurl4-openssl-dev libyaml-cpp-dev libxml2-dev libutf8proc-dev libsqlite3-dev
  libssl-dev libcli11-dev libcpp-httplib-dev librdkafka-dev libsystemd-dev liburiparser-dev
  libkainjow-mustache-dev
)
# Only the test suite needs these.
# zlib1g-dev: the HTTP tests build gzip bodies (and a gzip bomb) to check decoding and caps.
# kcat: the Kafka tests list, produce to and read topics with it, a client independent of Vigía's.
# prometheus (prometheus, promtool): a real server scrapes the daemon; promtool checks the scrape,
#   the alert rules and their unit tests. systemd: systemd-analyze verifies the unit and scores it.
# golang-go and the Go libraries: the Helm chart is rendered with text/template + sprig (as Helm
#   does) and its values checked against values.schema.json with gojsonschema (Helm's validator).
TEST_PACKAGES=(
  catch2 zlib1g-dev kcat prometheus systemd
  golang-go golang-github-masterminds-sprig-dev golang-github-xeipuuv-gojsonschema-dev golang-gopkg-yaml.v3-dev
)
# Only bench/parse_vs_feedparser.sh needs these: the Python feedparser it compares against.
BENCH_PACKAGES=(python3 python3-feedparser)
# Shared libraries a runtime-only image needs (kept here so the Dockerfile cannot drift).
RUNTIME_PACKAGES=(
  libhyperscan5 libsimdjson14 libprometheus-cpp-core1.0 libspdlog1.10 libfmt9
  libcurl4 libyaml-cpp0.7 libxml2 libutf8proc2 libsqlite3-0 libssl3 libcpp-httplib0.11
  librdkafka1 libsystemd0 liburiparser1 ca-certificates
)

usage() { echo "usage: $0 [--build|--test|--bench|--runtime|--print build|test|bench|runtime]" >&2; exit 2; }

want=()
case "${1:---test}" in
  --build) want=("${BUILD_PACKAGES[@]}") ;;
  --test) want=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  --bench) want=("${BUILD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
  --runtime) want=("${RUNTIME_PACKAGES[@]}") ;;
  --print)
    case "${2:-}" in
      build) printf '%s\n' "${BUILD_PACKAGES[@]}" ;;
      test) printf '%s\n' "${TEST_PACKAGES[@]}" ;;
      bench) printf '%s\n' "${BENCH_PACKAGES[@]}" ;;
      runtime) printf '%s\n' "${RUNTIME_PACKAGES[@]}" ;;
      *) usage ;;
    esac
    exit 0 ;;
  *) usage ;;
esac

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
