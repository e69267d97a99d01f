#!/usr/bin/env bash
# Render performance: the Go benchmark (per-environment cost as the number
# of environments grows) and wall time of `ferry render` as a process on the
# bundled example, including process start.
set -euo pipefail
cd "$(dirname "$0")/../.."
go build -o bin/ferry ./cmd/ferry
go test ./render -run '^$' -bench BenchmarkRenderAll -benchtime 2s -count 1

runs=20
start=$(date +%s%N)
for _ in $(seq $runs); do
  ./bin/ferry -C examples/orders-api render prod >/dev/null
done
end=$(date +%s%N)
echo "ferry render prod (process, bundled example): $(( (end - start) / runs / 1000000 )) ms mean over $runs runs"
