#!/usr/bin/env bash
# Real-world chart performance (issue 8), process start included:
#   1. `ferry check` of a 3-environment chart with 10 workloads, run from
#      the repository root, against one `helm template` of one environment
#      of the same chart (target: ferry within 1x helm, wall and memory);
#   2. the same check in a repository of 10,000 other files (target:
#      discovery adds < 50 ms), and project discovery alone as a Go
#      benchmark.
# helm is the one on PATH, else built from the Helm v4 module ferry uses
# (the module proxy, no prebuilt binary); the first build takes a minute or
# two. Needs GNU time (/usr/bin/time) for memory.
# Usage: bench/charts/run.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
go build -o "$work/ferry" ./cmd/ferry

helm=$(command -v helm || true)
if [ -z "$helm" ]; then
  helm_version=$(go list -m -f '{{.Version}}' helm.sh/helm/v4)
  mkdir -p "$work/helmbuild"
  printf 'module helmbuild\n\ngo 1.26.0\n\nrequire helm.sh/helm/v4 %s\n' "$helm_version" > "$work/helmbuild/go.mod"
  printf '//go:build tools\n\npackage helmbuild\n\nimport _ "helm.sh/helm/v4/cmd/helm"\n' > "$work/helmbuild/tools.go"
  (cd "$work/helmbuild" && go mod tidy >/dev/null 2>&1 && go build -o "$work/helm" helm.sh/helm/v4/cmd/helm)
  helm=$work/helm
fi

go run ./bench/charts/gen -o "$work/repo"
go run ./bench/charts/gen -o "$work/big" -files 10000

# measure NAME DIR CMD...: median wall ms, median CPU ms, max RSS MB over $runs runs.
measure() {
  local name=$1 dir=$2; shift 2
  local walls=() cpus=() rss=0
  for _ in $(seq "$runs"); do
    (cd "$dir" && /usr/bin/time -o "$work/time" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || true)
    read -r e u s m <"$work/time"
    walls+=("$(awk -v x="$e" 'BEGIN{printf "%d", x*1000}')")
    cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%d", (u+s)*1000}')")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  w=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  c=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  printf '%-52s wall %4d ms  cpu %4d ms  max rss %3d MB\n' "$name" "$w" "$c" $(( rss / 1024 ))
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, $runs runs each (median)"
measure "helm template (prod, one environment)" "$work/repo" "$helm" template fleet deploy/helm/fleet -f deploy/helm/values-prod.yaml
measure "ferry check (3 environments, 11 workloads)" "$work/repo" "$work/ferry" check
measure "ferry check, repository of 10,000 other files" "$work/big" "$work/ferry" check
measure "ferry render prod" "$work/repo" "$work/ferry" render prod
go test ./project -run '^$' -bench BenchmarkDiscovery -benchtime 20x -count 1 | grep Benchmark
