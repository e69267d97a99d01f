#!/usr/bin/env bash
# render30k.sh [pairs] [ferry-binary] times only `ferry render` of the
# 30,000-key chart (bench/lean/keys.sh) against `helm template` of it,
# Helm's release build (bench/lean/helm.sh), in interleaved pairs
# (default 11), binaries copied before timing: the issue-19 target
# (within 1.2×) without the rest of run.sh. A ferry binary given is
# timed instead of `make build`'s (to compare two builds).
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-11}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ -n "${2:-}" ]; then
  cp "$2" "$work/ferry"
else
  make -s build >/dev/null
  cp bin/ferry "$work/ferry"
fi
cp "$(bench/lean/helm.sh helm)" "$work/helm"
go build -o "$work/pairs" ./bench/lean/pairs
bench/lean/keys.sh "$work/keys" 30000
"$work/pairs" -n "$pairs" -name '`ferry render`, 30,000 values keys, vs `helm template`' -dir "$work/keys" \
  -a "$work/ferry render env0" -b "$work/helm template svc chart -f values-env0.yaml"
