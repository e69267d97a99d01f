#!/usr/bin/env bash
# The Kubernetes target's numbers, on the local test control plane
# (make testcluster first): verify and status of a 10-pod release (target
# ≤ 300 ms each) and ferry's deploy against a raw Helm SDK upgrade of the
# same chart with the same wait (target ratio ≤ 1.2).
set -euo pipefail
cd "$(dirname "$0")/../.."
go run ./hack/testcluster/build >/dev/null
go test -run '^$' -bench 'VerifyStatus10Pods|DeployOverHelmUpgrade' -benchtime "${BENCHTIME:-10x}" -count 1 ./platform/kube/ \
  | grep -E '^(Benchmark|ok|FAIL|goos|cpu)'
