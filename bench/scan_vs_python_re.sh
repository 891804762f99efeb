#!/usr/bin/env bash
# Scoring throughput of Vigía (Hyperscan, one database for all patterns) against the same rules
# evaluated with Python's `re` — a stand-in for what an analyst would otherwise script: every
# expression searched in every folded field, one after the other. Same items, same expressions
# (exported by scan_bench), same folding, one thread each, one run.
#
#   bench/scan_vs_python_re.sh [--build-dir DIR] [--seconds S] [--patterns N] [--rules PATH]
#
# DIR defaults to build/bench (cmake --preset bench && cmake --build --preset bench). With
# --patterns N the rule set is scan_bench's generated one of N patterns; else --rules (default
# rules/packs). The Python side is generous to itself: it only decides which rules had a pattern
# match (no word boundaries, conditions, scores or snippets), and it reports items/s over however
# many items it got through in S seconds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build_dir="$root/build/bench"
seconds=5
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --patterns) args+=(--patterns "$2"); shift 2 ;;
    --rules) args+=(--rules "$2"); shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--seconds S] [--patterns N] [--rules PATH]" >&2; exit 2 ;;
  esac
done
bench="$build_dir/bench/scan_bench"
[ -x "$bench" ] || { echo "no $bench: cmake --preset bench && cmake --build --preset bench" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bench" "${args[@]}" --seconds "$seconds" --export "$work" | tee "$work/vigia.txt"

/usr/bin/python3 - "$work" "$seconds" > "$work/python.txt" <<'PY'
import json, re, sys, time, unicodedata

work, budget = sys.argv[1], float(sys.argv[2])
spec = json.load(open(f"{work}/expressions.json"))
compiled, skipped = [], 0
for e in spec["expressions"]:
    try:
        compiled.append((re.compile(e["regex"].encode("latin-1", "backslashreplace"),
                                    re.IGNORECASE if e["caseless"] else 0), e["rules"]))
    except re.error:
        skipped += 1

def fold(text):
    # The same folding as rules/src/text_fold.cpp: NFKD, marks stripped, lower case, ñ kept,
    # whitespace runs collapsed.
    out = []
    for ch in text:
        if ch in "ñÑ":
            out.append("ñ")
            continue
        d = unicodedata.normalize("NFKD", ch)
        out.append("".join(c for c in d if not unicodedata.combining(c)).lower())
    return re.sub(r"\s+", " ", "".join(out)).encode("utf-8")

lines = open(f"{work}/items.jsonl", encoding="utf-8").read().splitlines()
done = hits = 0
start = time.perf_counter()
while time.perf_counter() - start < budget:
    for line in lines:
        item = json.loads(line)
        fields = [fold(item.get(k) or "") for k in ("title", "summary", "content")]
        fired = set()
        for rx, rules in compiled:
            if any(rx.search(f) for f in fields if f):
                fired.update(rules)
        done += 1
        hits += bool(fired)
        if time.perf_counter() - start >= budget:
            break
elapsed = time.perf_counter() - start
print(f"RESULT items={done} seconds={elapsed:.3f} items_per_s={done / elapsed:.1f} skipped={skipped}")
PY
cat "$work/python.txt"
vigia=$(sed -n 's/^RESULT .*items_per_s=\([0-9.]*\).*/\1/p' "$work/vigia.txt")
python=$(sed -n 's/^RESULT .*items_per_s=\([0-9.]*\).*/\1/p' "$work/python.txt")
skipped=$(sed -n 's/^RESULT .*skipped=\([0-9]*\).*/\1/p' "$work/python.txt")
awk -v v="$vigia" -v p="$python" -v s="$skipped" 'BEGIN {
  printf "\nVigía %.0f items/s vs Python re %.1f items/s on the same items and expressions: %.0fx", v, p, v / p
  if (s > 0) printf " (%d expressions Python could not compile were left out of its side)", s
  printf "\nOne run, one thread each; the ratio is what this measures, not the absolute numbers.\n"
}'
