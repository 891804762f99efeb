#!/usr/bin/env bash
# The README's two set-up commands, one script so they cannot drift apart:
#   scripts/dev.sh run          install what is missing, build (release), run the daemon on
#                               its embedded default config (config/vigia.yaml)
#   scripts/dev.sh test [preset] install what is missing, build, run the whole test suite
#                               (preset: dev, the default, or asan / tsan)
# Root or sudo is needed only when packages are missing (scripts/deps.sh asks apt for them).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)

case "${1:-}" in
  run)
    shift
    ./scripts/deps.sh --build
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$jobs"
    exec ./build/release/daemon/vigia run --config config/vigia.yaml "$@"
    ;;
  test)
    preset="${2:-dev}"
    case "$preset" in dev|asan|tsan) ;; *) echo "unknown preset: $preset (dev, asan, tsan)" >&2; exit 2 ;; esac
    ./scripts/deps.sh --test
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$jobs"
    ctest --preset "$preset"
    ;;
  *)
    echo "usage: $0 run | test [dev|asan|tsan]" >&2
    exit 2
    ;;
esac
