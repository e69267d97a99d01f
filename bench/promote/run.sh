#!/bin/sh
# Times what issue 5 sets targets for, on this machine:
#   1. `ferry build` of the example, warm, against plain `go build` of the
#      same package with the same flags (target: ≤ 2×);
#   2. `ferry status` of three running environments, the whole CLI
#      process (target: ≤ 100 ms);
#   3. promote overhead and in-process status, via the Go benchmarks
#      beside this script (target: ≤ 300 ms excluding soak and the
#      service's own start and stop).
# Usage: bench/promote/run.sh [runs]   (from the repository root)
set -eu
runs=${1:-7}
root=$(pwd)
go build -o bin/ferry ./cmd/ferry
ferry=$root/bin/ferry

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== build, warm ($runs runs each, median ms)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd examples/orders-api
CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$tmp/plain" .
"$ferry" build >/dev/null
plain=$(for i in $(seq "$runs"); do t=$(date +%s%N); CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$tmp/plain" .; ms "$t"; done | median)
fb=$(for i in $(seq "$runs"); do t=$(date +%s%N); "$ferry" build >/dev/null; ms "$t"; done | median)
echo "go build     $plain ms"
echo "ferry build  $fb ms  (ratio $(awk "BEGIN {printf \"%.2f\", $fb/$plain}"), target <= 2.00)"
cd "$root"

echo "== ferry status, 3 running environments ($((runs * 3)) runs)"
cp -r target/local/testdata/svc "$tmp/svc"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cat > "$tmp/svc/ferry.yaml" <<YAML
service: svc
path: [dev, staging, prod]
environments:
  dev: {env: {HTTP_PORT: "$(port)", METRICS_PORT: "0"}}
  staging: {env: {HTTP_PORT: "$(port)", METRICS_PORT: "0"}}
  prod: {env: {HTTP_PORT: "$(port)", METRICS_PORT: "0"}}
YAML
"$ferry" -C "$tmp/svc" build >/dev/null
for e in dev staging prod; do "$ferry" -C "$tmp/svc" deploy $e >/dev/null; done
trap 'for e in dev staging prod; do "$ferry" -C "$tmp/svc" down $e >/dev/null; done; rm -rf "$tmp"' EXIT
"$ferry" -C "$tmp/svc" status
times=$(for i in $(seq $((runs * 3))); do t=$(date +%s%N); "$ferry" -C "$tmp/svc" status >/dev/null; ms "$t"; done)
echo "ferry status median $(echo "$times" | median) ms, max $(echo "$times" | sort -n | tail -1) ms (target <= 100)"

echo "== Go benchmarks"
go test -run '^$' -bench . -benchtime 10x ./bench/promote
