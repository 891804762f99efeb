#!/usr/bin/env bash
# Parse throughput of Vigía's parse_feed() against Python feedparser, on the same corpus files,
# in one run, both single-threaded. Prints each side's MB/s and items/s per format and the ratio.
#
#   bench/parse_vs_feedparser.sh [--build-dir DIR] [--corpora DIR] [--seconds S]
#
# DIR defaults to build/bench (the `bench` preset: cmake --preset bench && cmake --build --preset
# bench); corpora to $VIGIA_CORPORA or ../shared/corpora; S (minimum measuring time per format
# and side) to 3. Needs Debian's python3-feedparser (scripts/deps.sh --bench).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build_dir="$root/build/bench"
corpora="${VIGIA_CORPORA:-$root/../shared/corpora}"
seconds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --corpora) corpora="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--corpora DIR] [--seconds S]" >&2; exit 2 ;;
  esac
done

bench="$build_dir/bench/parse_bench"
[ -x "$bench" ] || { echo "no $bench: build the bench preset first (cmake --preset bench && cmake --build --preset bench)" >&2; exit 1; }
# Debian's interpreter, where python3-feedparser installs (a pyenv or venv python3 on PATH has
# no feedparser).
python=/usr/bin/python3
"$python" -c 'import feedparser' 2>/dev/null || { echo "feedparser missing: scripts/deps.sh --bench" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. Vigía: classifies the corpus files by detected format, times them, and lists them.
"$bench" --corpora "$corpora" --seconds "$seconds" --list "$work/files.tsv" | tee "$work/vigia.txt"

# 2. feedparser on exactly those files, bytes already in memory, same time budget.
"$python" - "$work/files.tsv" "$seconds" > "$work/feedparser.txt" <<'PY'
import sys, time
import feedparser

files_tsv, budget = sys.argv[1], float(sys.argv[2])
groups = {}
for line in open(files_tsv, encoding="utf-8"):
    fmt, path = line.rstrip("\n").split("\t", 1)
    with open(path, "rb") as f:
        groups.setdefault(fmt, []).append(f.read())
for fmt in ("atom", "json", "rss"):
    docs = groups.get(fmt, [])
    size = sum(len(d) for d in docs)
    items = rounds = 0
    elapsed = 0.0
    if docs:
        start = time.perf_counter()
        while True:
            for d in docs:
                items += len(feedparser.parse(d).entries)
            rounds += 1
            elapsed = time.perf_counter() - start
            if elapsed >= budget:
                break
    mbps = size * rounds / 1e6 / elapsed if elapsed else 0.0
    ips = items / elapsed if elapsed else 0.0
    print(f"RESULT format={fmt} files={len(docs)} bytes={size} items={items // max(rounds, 1)} "
          f"rounds={rounds} seconds={elapsed:.3f} mb_per_s={mbps:.2f} items_per_s={ips:.0f}")
PY

field() { sed -n "s/.*format=$1 .*$2=\([0-9.]*\).*/\1/p" "$3"; }
echo
echo "Vigía parse_feed vs Python feedparser $("$python" -c 'import feedparser; print(feedparser.__version__)'), same files, one thread each"
printf '%-6s %6s %12s %12s %12s %12s %9s %9s\n' format files "vigia MB/s" "fp MB/s" "vigia it/s" "fp it/s" "MB ratio" "it ratio"
for fmt in rss atom json; do
  files="$(field "$fmt" files "$work/vigia.txt")"
  vm="$(field "$fmt" mb_per_s "$work/vigia.txt")"; fm="$(field "$fmt" mb_per_s "$work/feedparser.txt")"
  vi="$(field "$fmt" items_per_s "$work/vigia.txt")"; fi_="$(field "$fmt" items_per_s "$work/feedparser.txt")"
  awk -v f="$fmt" -v n="${files:-0}" -v vm="${vm:-0}" -v fm="${fm:-0}" -v vi="${vi:-0}" -v fi="${fi_:-0}" 'BEGIN {
    mr = fm > 0 ? sprintf("%.1fx", vm / fm) : "-"; ir = fi > 0 ? sprintf("%.1fx", vi / fi) : "-";
    printf "%-6s %6d %12.1f %12.2f %12.0f %12.0f %9s %9s\n", f, n, vm, fm, vi, fi, mr, ir }'
done
echo
echo "Caveat: both sides ran on this machine in this run, one after the other; absolute numbers move"
echo "with machine load and CPU frequency, the ratio is what this script is for — and it is a ratio"
echo "measured once, not a statistic. Re-run for a second sample."
