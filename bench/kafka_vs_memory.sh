#!/usr/bin/env bash
# The pipeline's back half over KafkaBus against the same over MemoryBus, in one script so that
# both runs see the same machine: scorer throughput (--score-only) and publish-to-alert latency
# at a paced rate. Kafka is librdkafka's mock cluster (`vigia dev mock-kafka`, 3 brokers) on
# loopback: it speaks the real protocol, but its latency is not a production figure (an empty
# fetch waits the whole fetch.wait.max.ms, here 5 ms; no disk, no replication delay).
#
#   bench/kafka_vs_memory.sh [BUILD_DIR] [--rate N] [--seconds S] [--scorers N]
# BUILD_DIR defaults to build/bench (cmake --preset bench && cmake --build --preset bench).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/bench}
[[ $# -gt 0 ]] && shift
rate=1000 seconds=5 scorers=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --scorers) scorers=$2; shift 2 ;;
    *) echo "usage: $0 [BUILD_DIR] [--rate N] [--seconds S] [--scorers N]" >&2; exit 2 ;;
  esac
done
bench=$build/bench/alert_latency
vigia=$build/daemon/vigia
for bin in "$bench" "$vigia"; do
  [[ -x $bin ]] || { echo "missing $bin: cmake --preset bench && cmake --build --preset bench" >&2; exit 2; }
done

work=$(mktemp -d)
mock_pid=
cleanup() {
  [[ -n $mock_pid ]] && kill "$mock_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh cluster per run: every run starts from empty topics and new consumer groups. The mock
# ends when its stdin closes: it reads a FIFO this script holds open.
mkfifo "$work/stdin"
exec 3<>"$work/stdin"
start_mock() {
  if [[ -n $mock_pid ]]; then kill "$mock_pid" 2>/dev/null || true; fi
  rm -f "$work/ready"
  "$vigia" dev mock-kafka --brokers 3 --topic vigia.items:12 --topic vigia.hits:6 --topic vigia.dlq:1 \
    --ready-file "$work/ready" <"$work/stdin" >/dev/null 2>&1 &
  mock_pid=$!
  for _ in $(seq 100); do [[ -s $work/ready ]] && break; sleep 0.1; done
  [[ -s $work/ready ]] || { echo "the mock cluster did not start" >&2; exit 1; }
  bootstrap=$(cat "$work/ready")
}

# Runs the bench, shows its report on stderr, prints its RESULT fields.
run() {
  local out
  out=$("$bench" "$@")
  echo "$out" >&2
  echo "$out" | grep '^RESULT' | sed 's/^RESULT //'
}
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo "== scorer throughput (--score-only, $scorers scorer(s))"
mem_tp=$(run --score-only --seconds "$seconds" --scorers "$scorers")
start_mock
kafka_tp=$(run --score-only --seconds "$seconds" --scorers "$scorers" --bus kafka --bootstrap "$bootstrap")

echo "== publish -> alert at the receiver, $rate items/s for $seconds s"
mem_lat=$(run --rate "$rate" --seconds "$seconds" --scorers "$scorers")
start_mock
kafka_lat=$(run --rate "$rate" --seconds "$seconds" --scorers "$scorers" --bus kafka --bootstrap "$bootstrap")

m=$(echo "$mem_tp" | field items_per_s) k=$(echo "$kafka_tp" | field items_per_s)
echo
printf 'scorer throughput: memory %s items/s, kafka %s items/s, memory/kafka = %.2fx\n' "$m" "$k" \
  "$(echo "$m / $k" | bc -l)"
for bus in memory kafka; do
  line=$([[ $bus == memory ]] && echo "$mem_lat" || echo "$kafka_lat")
  printf '%-6s at %s/s: p50 %s ms, p99 %s ms, max %s ms (%s of %s alerts)\n' "$bus" "$rate" \
    "$(echo "$line" | field p50_ms)" "$(echo "$line" | field p99_ms)" "$(echo "$line" | field max_ms)" \
    "$(echo "$line" | field alerts)" "$(echo "$line" | field items)"
done
