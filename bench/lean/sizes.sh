#!/usr/bin/env bash
# sizes.sh [rows] says where ferry's binary goes against Helm's, by
# module (bench/lean/modsize): both built as their releases are but
# keeping their symbol tables (without -s -w), so that every symbol can
# be weighed. The modules both hold are mostly Helm's SDK and the
# Kubernetes client it brings; the rest is what ferry adds.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-15}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$work/ferry" ./cmd/ferry
helm=$(bench/lean/helm.sh helm.syms "")
go run ./bench/lean/modsize -n "$rows" "$work/ferry" "$helm"
