#!/usr/bin/env bash
# ferry against one `helm template`, the command a user would otherwise
# run per environment (issue 19). In one interleaved run of N pairs
# (default 15; medians; the order alternates within pairs):
#   - ferry --help against helm --help;
#   - ferry check of a 2-environment chart (examples/orders-api) against
#     one helm template of it;
#   - ferry check of 3 environments × 10 workloads (bench/charts/gen)
#     against one helm template of it;
#   - ferry render of one environment whose values hold 30,000 keys, all
#     copied into a ConfigMap (bench/lean/keys.sh), against helm template
#     of it (issue 19: within 1.2×);
#   - ferry build with nothing changed against go build of the same
#     package with the same flags (examples/orders-api; not helm);
# each as wall, CPU and peak memory, ferry / other and their ratio; then
# both binaries' sizes and their module counts.
#
# ferry is built as `make build` builds it. helm is built from the Helm v4
# module version ferry's go.mod requires, as Helm builds its releases
# (CGO_ENABLED=0, -trimpath, -s -w), and cached (bench/lean/helm.sh).
# Both binaries are copied before timing: a binary fresh from the linker
# is mapped with huge pages on Linux 6.x and reads ~40 MiB heavier.
# Usage: bench/lean/run.sh [pairs]
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-15}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

make -s build >/dev/null
cp bin/ferry "$work/ferry"

helm_version=$(go list -m -f '{{.Version}}' helm.sh/helm/v4)
cp "$(bench/lean/helm.sh helm)" "$work/helm"

go build -o "$work/pairs" ./bench/lean/pairs
go run ./bench/charts/gen -o "$work/fleet"
bench/lean/keys.sh "$work/keys" 30000
cp -r examples/orders-api "$work/orders"
rm -rf "$work/orders/.ferry"
# The example builds in the workspace (go.work), so in place.
orders=$PWD/examples/orders-api
(cd "$orders" && "$work/ferry" build >/dev/null && CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$work/plain" .)

f=$work/ferry h=$work/helm p=$work/pairs
echo "$pairs interleaved pairs, medians; ferry / helm (ratio)"
echo
echo "| | wall | CPU | peak memory |"
echo "|---|---|---|---|"
"$p" -n "$pairs" -name '`--help`' -dir "$work" -a "$f --help" -b "$h --help"
"$p" -n "$pairs" -name '`ferry check`, 2 environments, vs one `helm template`' -dir "$work/orders" \
  -a "$f check" -b "$h template orders-api chart -f values-prod.yaml"
"$p" -n "$pairs" -name '`ferry check`, 3 environments × 10 workloads, vs one `helm template`' -dir "$work/fleet" \
  -a "$f check" -b "$h template fleet deploy/helm/fleet -f deploy/helm/values-prod.yaml"
"$p" -n "$pairs" -name '`ferry render`, 30,000 values keys, vs `helm template`' -dir "$work/keys" \
  -a "$f render env0" -b "$h template svc chart -f values-env0.yaml"
"$p" -n "$pairs" -name '`ferry build`, nothing changed, vs `go build`' -dir "$orders" \
  -a "$f build" -b "env CGO_ENABLED=0 go build -trimpath -buildvcs=false -o $work/plain ."

fs=$(stat -c %s "$f") hs=$(stat -c %s "$h")
fm=$(go version -m "$f" | grep -c '^[[:space:]]*dep') hm=$(go version -m "$h" | grep -c '^[[:space:]]*dep')
echo
awk -v fs="$fs" -v hs="$hs" -v fm="$fm" -v hm="$hm" -v hv="$helm_version" 'BEGIN {
  printf "binary: ferry %.1f MB, helm %s %.1f MB (%.2f×); modules: ferry %d, helm %d\n", fs/1e6, hv, hs/1e6, fs/hs, fm, hm }'
