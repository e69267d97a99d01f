#!/usr/bin/env bash
# Measures kit against the issue's targets on this machine, in one run:
#  - GET /hello through kit with every middleware (INFO request log to a
#    file, metrics, tracing at ratio 0) vs bare net/http: req/s >= 90%,
#    p99 <= 1.2x;
#  - examples/orders-api with SQLite: healthy <= 150 ms after exec, idle
#    RSS < 30 MB.
# Rounds alternate bare and kit so that noise from other work on the
# machine hits both; medians are reported. Usage: bench/kit/run.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-8}
secs=${2:-3}
conc=${CONC:-32}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/hello" ./hello
go build -o "$tmp/load" ./load
(cd ../../examples/orders-api && go build -o "$tmp/orders-api" .)

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

serve() { # mode → prints the pid; logs go to a file, as a container's would
  local port=$1 mode=$2
  "$tmp/hello" -mode "$mode" -port "$port" -metrics-port "$(free_port)" >"$tmp/$mode.log" 2>&1 &
  echo $!
}

echo "== hello: bare net/http vs kit (c=$conc, ${secs}s per round, $rounds rounds)"
for r in $(seq "$rounds"); do
  for mode in bare kit; do
    port=$(free_port)
    pid=$(serve "$port" "$mode")
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break; sleep 0.05; done
    printf 'round %s %-4s ' "$r" "$mode"
    before=$(cpu_ticks "$pid")
    out=$("$tmp/load" http -url "http://127.0.0.1:$port/hello" -c "$conc" -d "${secs}s")
    after=$(cpu_ticks "$pid")
    # Server CPU per request: less sensitive than req/s to other work on
    # a shared machine, so it is reported beside the targets.
    reqs=$(echo "$out" | sed -E 's/.*requests=([0-9]+).*/\1/')
    cpu_us=$(awk -v a="$after" -v b="$before" -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (a-b)/hz*1e6/n}')
    echo "$out cpu_per_req=${cpu_us}us" | tee -a "$tmp/$mode.results"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -E "s/.*$1=([0-9.]+)(µs|ms|s)?.*/\1 \2/" | awk '{v=$1; if ($2=="ms") v*=1000; if ($2=="s") v*=1000000; print v}'; }
bare_rps=$(field rps <"$tmp/bare.results" | median)
kit_rps=$(field rps <"$tmp/kit.results" | median)
bare_p99=$(field p99 <"$tmp/bare.results" | median)
kit_p99=$(field p99 <"$tmp/kit.results" | median)
bare_cpu=$(sed -E 's/.*cpu_per_req=([0-9.]+)us.*/\1/' <"$tmp/bare.results" | median)
kit_cpu=$(sed -E 's/.*cpu_per_req=([0-9.]+)us.*/\1/' <"$tmp/kit.results" | median)
echo "median server CPU per request: bare ${bare_cpu}us kit ${kit_cpu}us"
awk -v br="$bare_rps" -v kr="$kit_rps" -v bp="$bare_p99" -v kp="$kit_p99" 'BEGIN {
  printf "median: bare %.0f req/s p99 %.0fµs | kit %.0f req/s p99 %.0fµs\n", br, bp, kr, kp
  printf "kit/bare req/s = %.1f%% (target >= 90%%): %s\n", 100*kr/br, (kr/br >= 0.9 ? "met" : "MISSED")
  printf "kit/bare p99   = %.2fx (target <= 1.2x): %s\n", kp/bp, (kp/bp <= 1.2 ? "met" : "MISSED")
}'
echo "kit log lines written: $(wc -l <"$tmp/kit.log")"

echo "== examples/orders-api with SQLite: time to healthy and idle RSS"
"$tmp/load" start -bin "$tmp/orders-api" -dir ../../examples/orders-api -n 5 -idle 3s

echo "== in-process handler cost (kit's BenchmarkHello: no sockets, steadier on a shared machine)"
(cd ../../kit && go test -run '^$' -bench BenchmarkHello -benchtime 300000x -count 3 . | grep '^Benchmark')
