#!/usr/bin/env bash
# Measures kit against bare net/http on this machine, in one interleaved
# run, against issue 19's targets:
#  - GET /hello through kit with every middleware (INFO request log to a
#    file, metrics, tracing at ratio 0 with an OTLP exporter configured)
#    vs bench/kit/bare (net/http alone, its own binary, same body):
#    server CPU per request <= 1.1x, p99 <= 1.1x, with the heap
#    allocations per request beside them. Load is closed-loop (CONC
#    connections, each sending its next request on the answer), then
#    paced at RATE req/s: closed-loop, a server's CPU per request rises
#    when it gets less of a busy machine and so serves fewer requests per
#    wake-up; paced, both do the same work;
#  - idle RSS of the same services after start-up, kit <= 12 MB;
#  - examples/orders-api with SQLite: time to healthy and idle RSS.
# kit is measured twice: as built by default, and "kit-lean", built with
# the tags that leave out the datasource clients hello never configures
# (kit_nopostgres, kit_nosqlite, kit_noredis) — what `ferry build` makes
# of a service whose configuration names no DB_ or REDIS_ key. Every binary is built as
# ferry build builds a service (CGO_ENABLED=0, -trimpath) and copied
# before it runs: a binary fresh from the linker can be mapped with huge
# pages and read heavier. Rounds alternate the services so that noise
# from other work on the machine hits all, each round in the reverse
# order of the one before (so that none always follows another); medians
# are reported. On a shared machine the load of the moment moves every
# service's CPU per request by more than kit's cost, so each round's kit
# figure is also divided by the bare figure of the same round, measured
# seconds apart, and the verdict is the median of those paired ratios,
# printed with their spread (quartiles, min–max) and the load average
# during the run.
# Usage: bench/kit/run.sh [rounds] [seconds]; MODES="bare kit-lean"
# measures fewer services (bare must be among them); EXTRAS=0 leaves out
# the example's start-up and the in-process benchmark; BASE=DIR, a
# checkout of another revision (git worktree add DIR REV), adds
# "kit-base" and "lean-base", hello built from it by default and lean, so
# that a change is measured before and after in the same run.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-12}
secs=${2:-3}
conc=${CONC:-32}
idle=${IDLE:-2}
rate=${RATE:-8000}
modes=${MODES:-bare kit kit-lean${BASE:+ kit-base lean-base}}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

build() { CGO_ENABLED=0 go build -trimpath "$@"; }
build -o "$tmp/bare.new" ./bare
build -o "$tmp/kit.new" ./hello
build -tags kit_nopostgres,kit_nosqlite,kit_noredis -o "$tmp/kit-lean.new" ./hello
build -o "$tmp/load.new" ./load
(cd ../../examples/orders-api && CGO_ENABLED=0 go build -trimpath -o "$tmp/orders-api.new" .)
bins="bare kit kit-lean load orders-api"
if [ -n "${BASE:-}" ]; then
  (cd "$BASE/bench/kit" && build -o "$tmp/kit-base.new" ./hello &&
    build -tags kit_nopostgres,kit_nosqlite,kit_noredis -o "$tmp/lean-base.new" ./hello)
  bins="$bins kit-base lean-base"
fi
for b in $bins; do cp "$tmp/$b.new" "$tmp/$b" && rm "$tmp/$b.new"; done
echo "binaries: bare $(stat -c %s "$tmp/bare") B, kit $(stat -c %s "$tmp/kit") B, kit-lean $(stat -c %s "$tmp/kit-lean") B"

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

serve() { # port mode → prints the pid; logs go to a file, as a container's would
  local port=$1 mode=$2
  if [ "$mode" = bare ]; then
    "$tmp/bare" -port "$port" >"$tmp/$mode.log" 2>"$tmp/$mode.err" &
  else
    "$tmp/$mode" -port "$port" -metrics-port "$(free_port)" >"$tmp/$mode.log" 2>"$tmp/$mode.err" &
  fi
  echo $!
}

allocs() { # pid mode → "objects bytes gcs" allocated and GC cycles so far (the server prints them on SIGUSR1)
  local pid=$1 mode=$2 n
  n=$(grep -c '^allocs=' "$tmp/$mode.err" || true)
  kill -USR1 "$pid"
  for _ in $(seq 200); do
    [ "$(grep -c '^allocs=' "$tmp/$mode.err" || true)" -gt "$n" ] && break
    sleep 0.01
  done
  grep '^allocs=' "$tmp/$mode.err" | tail -1 | sed -E 's/allocs=([0-9]+) bytes=([0-9]+) gcs=([0-9]+)/\1 \2 \3/'
}

echo "== hello: bare net/http vs kit (c=$conc, ${secs}s closed-loop after 1s warm-up, then ${secs}s at $rate req/s; $rounds rounds)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
order=$modes
for r in $(seq "$rounds"); do
  for mode in $order; do
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
    pbefore=$(cpu_ticks "$pid")
    paced=$("$tmp/load" http -url "http://127.0.0.1:$port/hello" -c "$conc" -d "${secs}s" -warmup 0 -rate "$rate")
    pafter=$(cpu_ticks "$pid")
    preqs=$(echo "$paced" | sed -E 's/.*requests=([0-9]+).*/\1/')
    pcpu=$(awk -v a="$pafter" -v b="$pbefore" -v n="$preqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (a-b)/hz*1e6/n}')
    prps=$(echo "$paced" | sed -E 's/.*rps=([0-9]+).*/\1/')
    # Server CPU per request: less sensitive than req/s to other work on
    # a shared machine.
    reqs=$(echo "$out" | sed -E 's/.*requests=([0-9]+).*/\1/')
    cpu_us=$(awk -v a="$after" -v b="$before" -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (a-b)/hz*1e6/n}')
    read -r o0 b0 g0 <<<"$a0"
    read -r o1 b1 g1 <<<"$a1"
    apr=$(awk -v a="$o1" -v b="$o0" -v n="$reqs" 'BEGIN {printf "%.1f", (a-b)/n}')
    bpr=$(awk -v a="$b1" -v b="$b0" -v n="$reqs" 'BEGIN {printf "%.0f", (a-b)/n}')
    # GC cycles per 1000 requests: what the allocations and the live heap
    # cost, counted rather than timed, so other work on the machine does
    # not move it.
    gpk=$(awk -v a="$g1" -v b="$g0" -v n="$reqs" 'BEGIN {printf "%.3f", (a-b)*1000/n}')
    load1=$(cut -d' ' -f1 /proc/loadavg)
    printf 'round %s %-8s ' "$r" "$mode"
    echo "$out cpu_per_req=${cpu_us}us allocs_per_req=$apr bytes_per_req=$bpr gc_per_1k=$gpk idle_rss=${rss}kB paced_rps=$prps paced_cpu_per_req=${pcpu}us load=$load1" | tee -a "$tmp/$mode.results"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
  order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -E "s/.*[ ]$1=([0-9.]+)(µs|ms|s|us|kB)?.*/\1 \2/" | awk '{v=$1; if ($2=="ms") v*=1000; if ($2=="s") v*=1000000; print v}'; }
med() { field "$2" <"$tmp/$1.results" | median; }
for mode in $modes; do
  awk -v m="$mode" -v rps="$(med "$mode" rps)" -v p99="$(med "$mode" p99)" -v cpu="$(med "$mode" cpu_per_req)" \
    -v al="$(med "$mode" allocs_per_req)" -v by="$(med "$mode" bytes_per_req)" -v gc="$(med "$mode" gc_per_1k)" -v rss="$(med "$mode" idle_rss)" \
    -v prps="$(med "$mode" paced_rps)" -v pcpu="$(med "$mode" paced_cpu_per_req)" 'BEGIN {
    printf "median %-8s %6.0f req/s  p99 %6.0fµs  cpu/req %6.2fµs  allocs/req %5.1f  bytes/req %5.0f  GCs/1k req %5.3f  idle RSS %5.1f MB | paced %5.0f req/s cpu/req %6.2fµs\n", m, rps, p99, cpu, al, by, gc, rss/1024, prps, pcpu
  }'
done
for mode in $modes; do
  [ "$mode" = bare ] && continue
  awk -v m="$mode" -v bc="$(med bare cpu_per_req)" -v kc="$(med "$mode" cpu_per_req)" -v bp="$(med bare p99)" -v kp="$(med "$mode" p99)" \
    -v br="$(med bare rps)" -v kr="$(med "$mode" rps)" -v km="$(med "$mode" idle_rss)" -v bg="$(med bare gc_per_1k)" -v kg="$(med "$mode" gc_per_1k)" \
    -v bpc="$(med bare paced_cpu_per_req)" -v kpc="$(med "$mode" paced_cpu_per_req)" 'BEGIN {
    printf "%-8s / bare, medians: server CPU per request %.3fx closed-loop, %.3fx paced (target <= 1.1x): %s\n", m, kc/bc, kpc/bpc, (kc/bc <= 1.1 ? "met" : (kpc/bpc <= 1.1 ? "met paced only" : "MISSED"))
    printf "%-8s / bare: p99 %.3fx (target <= 1.1x): %s; req/s %.3fx\n", m, kp/bp, (kp/bp <= 1.1 ? "met" : "MISSED"), kr/br
    printf "%-8s idle RSS %.1f MB (target <= 12 MB): %s; GC cycles per request %.3fx\n", m, km/1024, (km <= 12*1024 ? "met" : "MISSED"), (bg > 0 ? kg/bg : 0)
  }'
done
# Paired ratios: round r's kit figure over round r's bare figure.
spread() { # "name" file: one ratio a line → median [q1–q3, min–max]
  sort -n "$2" | awk -v n="$1" '{a[NR]=$1} END {
    m = a[int((NR+1)/2)]; q1 = a[int((NR+3)/4)]; q3 = a[NR+1-int((NR+3)/4)]
    printf "%s %.3fx [quartiles %.3f–%.3f, min–max %.3f–%.3f]", n, m, q1, q3, a[1], a[NR]
  }'
}
paired() { # mode field → the per-round ratios mode/bare of field, one a line
  paste <(field "$2" <"$tmp/$1.results") <(field "$2" <"$tmp/bare.results") | awk '$2 > 0 {printf "%.4f\n", $1/$2}'
}
for mode in $modes; do
  [ "$mode" = bare ] && continue
  paired "$mode" cpu_per_req >"$tmp/r.cpu"
  paired "$mode" paced_cpu_per_req >"$tmp/r.pcpu"
  paired "$mode" p99 >"$tmp/r.p99"
  cm=$(sort -n "$tmp/r.cpu" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  pm=$(sort -n "$tmp/r.p99" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$mode / bare, paired by round (n=$(wc -l <"$tmp/r.cpu")): $(spread "CPU/req closed-loop" "$tmp/r.cpu"); $(spread "paced" "$tmp/r.pcpu"); $(spread "p99" "$tmp/r.p99")"
  awk -v m="$mode" -v c="$cm" -v p="$pm" 'BEGIN {
    printf "%-8s / bare, paired: CPU per request %.3fx (target <= 1.1x): %s; p99 %.3fx (target <= 1.1x): %s\n", m, c, (c <= 1.1 ? "met" : "MISSED"), p, (p <= 1.1 ? "met" : "MISSED")
  }'
done
loads=$(cat "$tmp"/*.results | sed -E 's/.* load=([0-9.]+).*/\1/' | sort -n)
echo "load average (1 min) during the rounds: median $(echo "$loads" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'), min $(echo "$loads" | head -1), max $(echo "$loads" | tail -1)"
for mode in $modes; do
  [ "$mode" = bare ] || echo "$mode log lines written in its last round: $(wc -l <"$tmp/$mode.log")"
done

[ "${EXTRAS:-1}" = 1 ] || exit 0
echo "== examples/orders-api with SQLite: time to healthy and idle RSS"
"$tmp/load" start -bin "$tmp/orders-api" -dir ../../examples/orders-api -n 5 -idle 3s

echo "== in-process handler cost (kit's BenchmarkHello: no sockets, steadier on a shared machine)"
(cd ../../kit && go test -run '^$' -bench BenchmarkHello -benchmem -benchtime 300000x -count 3 . | grep '^Benchmark')
echo "== the same over loopback connections in one process (kit's BenchmarkServe: client and server CPU together; kit minus bare is what kit's server adds per request)"
(cd ../../kit && go test -run '^$' -bench BenchmarkServe -benchmem -benchtime 100000x -count 3 . | grep '^Benchmark')
