#!/usr/bin/env bash
# Measures kit against bare net/http on this machine, in one interleaved
# run, against issue 19's targets:
#  - GET /hello through kit with every middleware (INFO request log to a
#    file, metrics, tracing at ratio 0 with an OTLP exporter configured)
#    vs bench/kit/bare (net/http alone, its own binary, same body):
#    server CPU per request <= 1.1x, p99 <= 1.1x, and the heap
#    allocations per request beside them;
#  - idle RSS of the same two services after start-up, kit <= 12 MB;
#  - examples/orders-api with SQLite: time to healthy and idle RSS.
# Rounds alternate bare and kit so that noise from other work on the
# machine hits both; medians are reported. Binaries are copied before
# they run: a binary fresh from the linker can be mapped with huge pages
# and read heavier. Usage: bench/kit/run.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-8}
secs=${2:-3}
conc=${CONC:-32}
idle=${IDLE:-2}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/bare.new" ./bare
go build -o "$tmp/kit.new" ./hello
go build -o "$tmp/load.new" ./load
(cd ../../examples/orders-api && go build -o "$tmp/orders-api.new" .)
for b in bare kit load orders-api; do cp "$tmp/$b.new" "$tmp/$b" && rm "$tmp/$b.new"; done

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

serve() { # port mode → prints the pid; logs go to a file, as a container's would
  local port=$1 mode=$2
  if [ "$mode" = kit ]; then
    "$tmp/kit" -port "$port" -metrics-port "$(free_port)" >"$tmp/$mode.log" 2>"$tmp/$mode.err" &
  else
    "$tmp/bare" -port "$port" >"$tmp/$mode.log" 2>"$tmp/$mode.err" &
  fi
  echo $!
}

allocs() { # pid mode → heap objects allocated so far (the server prints them on SIGUSR1)
  local pid=$1 mode=$2 n
  n=$(grep -c '^allocs=' "$tmp/$mode.err" || true)
  kill -USR1 "$pid"
  for _ in $(seq 200); do
    [ "$(grep -c '^allocs=' "$tmp/$mode.err" || true)" -gt "$n" ] && break
    sleep 0.01
  done
  grep '^allocs=' "$tmp/$mode.err" | tail -1 | cut -d= -f2
}

echo "== hello: bare net/http vs kit (c=$conc, ${secs}s per round after 1s warm-up, $rounds rounds)"
for r in $(seq "$rounds"); do
  for mode in bare kit; do
    port=$(free_port)
    pid=$(serve "$port" "$mode")
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break; sleep 0.05; done
    sleep "$idle"
    rss=$(rss_kb "$pid")
    "$tmp/load" http -url "http://127.0.0.1:$port/hello" -c "$conc" -d 1s -warmup 0 >/dev/null
    a0=$(allocs "$pid" "$mode")
    before=$(cpu_ticks "$pid")
    out=$("$tmp/load" http -url "http://127.0.0.1:$port/hello" -c "$conc" -d "${secs}s" -warmup 0)
    after=$(cpu_ticks "$pid")
    a1=$(allocs "$pid" "$mode")
    # Server CPU per request: less sensitive than req/s to other work on
    # a shared machine.
    reqs=$(echo "$out" | sed -E 's/.*requests=([0-9]+).*/\1/')
    cpu_us=$(awk -v a="$after" -v b="$before" -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (a-b)/hz*1e6/n}')
    apr=$(awk -v a="$a1" -v b="$a0" -v n="$reqs" 'BEGIN {printf "%.1f", (a-b)/n}')
    printf 'round %s %-4s ' "$r" "$mode"
    echo "$out cpu_per_req=${cpu_us}us allocs_per_req=$apr idle_rss=${rss}kB" | tee -a "$tmp/$mode.results"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -E "s/.*[ ]$1=([0-9.]+)(µs|ms|s|us|kB)?.*/\1 \2/" | awk '{v=$1; if ($2=="ms") v*=1000; if ($2=="s") v*=1000000; print v}'; }
for f in rps p99 cpu_per_req allocs_per_req idle_rss; do
  eval "bare_$f=\$(field $f <\"\$tmp/bare.results\" | median)"
  eval "kit_$f=\$(field $f <\"\$tmp/kit.results\" | median)"
done
awk -v br="$bare_rps" -v kr="$kit_rps" -v bp="$bare_p99" -v kp="$kit_p99" \
  -v bc="$bare_cpu_per_req" -v kc="$kit_cpu_per_req" -v ba="$bare_allocs_per_req" -v ka="$kit_allocs_per_req" \
  -v bm="$bare_idle_rss" -v km="$kit_idle_rss" 'BEGIN {
  printf "median: bare %.0f req/s p99 %.0fµs cpu/req %.2fµs allocs/req %.1f idle RSS %.1f MB\n", br, bp, bc, ba, bm/1024
  printf "median: kit  %.0f req/s p99 %.0fµs cpu/req %.2fµs allocs/req %.1f idle RSS %.1f MB\n", kr, kp, kc, ka, km/1024
  printf "kit/bare server CPU per request = %.3fx (target <= 1.1x): %s\n", kc/bc, (kc/bc <= 1.1 ? "met" : "MISSED")
  printf "kit/bare p99                    = %.3fx (target <= 1.1x): %s\n", kp/bp, (kp/bp <= 1.1 ? "met" : "MISSED")
  printf "kit/bare req/s                  = %.3fx\n", kr/br
  printf "kit idle RSS                    = %.1f MB (target <= 12 MB): %s\n", km/1024, (km <= 12*1024 ? "met" : "MISSED")
}'
echo "kit log lines written: $(wc -l <"$tmp/kit.log")"

echo "== examples/orders-api with SQLite: time to healthy and idle RSS"
"$tmp/load" start -bin "$tmp/orders-api" -dir ../../examples/orders-api -n 5 -idle 3s

echo "== in-process handler cost (kit's BenchmarkHello: no sockets, steadier on a shared machine)"
(cd ../../kit && go test -run '^$' -bench BenchmarkHello -benchmem -benchtime 300000x -count 3 . | grep '^Benchmark')
