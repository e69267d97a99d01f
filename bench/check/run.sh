#!/usr/bin/env bash
# Times `ferry check` as users run it: the built binary, process start
# included.
#   1. one project with 3 environments (target ≤ 150 ms wall), 20 runs;
#   2. a synthetic monorepo of N services × 3 environments, checked by one
#      `ferry check DIR...` (concurrent) and by one process per service,
#      for N = 10, 25, 50, 100 (target: 100 services ≤ 5 s, linear in N).
# Usage: bench/check/run.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/../.."
ns=("$@"); [ ${#ns[@]} -gt 0 ] || ns=(10 25 50 100)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
go build -o "$work/ferry" ./cmd/ferry
ferry="$work/ferry"

ms() { echo $(( ($2 - $1) / 1000000 )); }

go run ./bench/check/gen -n 1 -o "$work/one"
times=()
for _ in $(seq 20); do
  t0=$(date +%s%N); "$ferry" check "$work/one/svc000" >/dev/null; t1=$(date +%s%N)
  times+=("$(ms "$t0" "$t1")")
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "3-env project, 20 runs: min ${sorted[0]} ms, median ${sorted[10]} ms, max ${sorted[19]} ms (target ≤ 150 ms)"

echo "N services | one ferry check DIR... | one process per service | ms/service (concurrent)"
for n in "${ns[@]}"; do
  rm -rf "$work/mono"; go run ./bench/check/gen -n "$n" -o "$work/mono"
  t0=$(date +%s%N); "$ferry" check "$work"/mono/svc* >/dev/null; t1=$(date +%s%N)
  conc=$(ms "$t0" "$t1")
  t0=$(date +%s%N); for d in "$work"/mono/svc*; do "$ferry" check "$d" >/dev/null; done; t1=$(date +%s%N)
  seq=$(ms "$t0" "$t1")
  echo "$n | ${conc} ms | ${seq} ms | $(( conc / n ))"
done
