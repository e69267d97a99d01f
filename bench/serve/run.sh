#!/usr/bin/env bash
# ferry serve's performance targets (issue 11):
#   1. the page's first load, server time, with 6 environments of 200
#      revisions each (target ≤ 100 ms), and a load once the board is built;
#   2. what scraping the example's /metrics every 5 s costs the service
#      (target < 1% CPU), and what one scrape costs ferry.
set -euo pipefail
cd "$(dirname "$0")/../.."

go test -run '^$' -bench 'Page' -benchtime 30x ./serve | grep -E '^Benchmark'
go test -run '^$' -bench 'Scrape' ./soak | grep -E '^Benchmark'

tmp=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
(cd examples/orders-api && go build -o "$tmp/orders-api" .)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
hp=$(port); mp=$(port)
cd examples/orders-api # the service reads ./configs
HTTP_PORT=$hp METRICS_PORT=$mp DB_NAME="$tmp/orders" "$tmp/orders-api" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$hp/.well-known/health" >/dev/null && break; sleep 0.1; done
# Some traffic first, so that app_http_response has its series.
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$hp/orders"; done
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
n=500
idle0=$(ticks); sleep 5; idle1=$(ticks)
t0=$(ticks); start=$(date +%s.%N)
for _ in $(seq $n); do curl -s -o /dev/null "http://127.0.0.1:$mp/metrics"; done
t1=$(ticks); end=$(date +%s.%N)
size=$(curl -s "http://127.0.0.1:$mp/metrics" | wc -c)
python3 - "$t0" "$t1" "$hz" "$n" "$start" "$end" "$idle0" "$idle1" "$size" <<'PY'
import sys
t0, t1, hz, n, start, end, i0, i1, size = map(float, sys.argv[1:])
wall = end - start
idle = (i1 - i0) / hz / 5            # CPU seconds per second, idle
per = ((t1 - t0) / hz - idle * wall) / n
print(f"exposition: {int(size)} bytes")
print(f"service CPU per scrape: {per*1000:.3f} ms (idle service: {idle*100:.3f}% CPU)")
print(f"at one scrape per 5 s: {per/5*100:.4f}% of one core (target < 1%)")
PY
