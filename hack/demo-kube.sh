#!/usr/bin/env bash
# make demo-kube: the whole loop on Kubernetes with the bundled example,
# in the same checkout as make demo (whose .ferry/ it leaves alone),
# against a throwaway local control plane (internal/testcluster; built once
# into the cache, about 8.5 minutes the first time). kwok plays the
# kubelets, so pods become Ready and report the pinned digest but run no
# container: health is `readiness`. The cluster goes away at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/ferry-demo-kube.XXXXXX)
# The example's copy builds in a workspace beside it against this tree's
# kit and envfile, as the repository's go.work does.
demo=$work/examples/orders-api
up_pid=
build_pid=
cleanup() {
  [ -z "$build_pid" ] || kill "$build_pid" 2>/dev/null || true
  [ -z "$up_pid" ] || { kill "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf 'demo-kube: %s\n' "$*" >&2; }
. hack/demo-example.sh

go build -o bin/ferry ./cmd/ferry

# The control plane's binaries: built once (about 8.5 minutes on 2 idle
# cores), cached after, saying how far the build got while it runs.
build "the control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)" \
  "${XDG_CACHE_HOME:-$HOME/.cache}/ferry/testcluster" 5 go run ./hack/testcluster/build
go build -o "$work/up" ./hack/testcluster/up
"$work/up" -kubeconfig "$work/kubeconfig" -namespace staging -namespace prod \
  -secret staging/orders-api-db/password=demo-staging -secret prod/orders-api-db/password=demo-prod &
up_pid=$!
until [ -s "$work/kubeconfig" ]; do
  kill -0 "$up_pid" 2>/dev/null || { echo "demo-kube: the control plane did not start" >&2; exit 1; }
  sleep 0.5
done
export KUBECONFIG=$work/kubeconfig

copy_example "$work"
cat > "$demo/ferry.yaml" <<'YAML'
service: orders-api
main: .
chart: chart
image: orders-api
path: [staging, prod]
environments:
  staging: {target: kube, soak: 3s, health: readiness}
  prod:    {target: kube, health: readiness}
YAML
ferry() { ./bin/ferry -C "$demo" "$@"; }

set -x
ferry build --tag 1.0.0
ferry deploy staging
ferry verify staging
ferry promote staging prod --dry-run || true
sleep 3
ferry promote staging prod
ferry status
ferry history prod
ferry drift prod
