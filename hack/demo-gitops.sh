#!/usr/bin/env bash
# make demo-gitops: the whole loop through git with the bundled example,
# on a throwaway cluster — the test control plane (internal/testcluster),
# Flux's source-controller and kustomize-controller, and a deploy
# repository served over HTTP on 127.0.0.1 (hack/testcluster/gitopsup).
# ferry never writes the cluster: it commits rendered manifests, Flux
# applies them, ferry waits and verifies. prod is protected: its
# promotion goes to a review branch that the demo merges with git as a
# reviewer would, then `ferry promote --resume prod` finishes it.
# kwok plays the kubelets (pods become Ready on the pinned digest but run
# no container: health is `readiness`). It leaves the checkout alone (the
# example is copied, make demo's .ferry/ and bin/ untouched) and removes
# everything at the end. The binaries are built once into the user cache
# (the first time: about 8.5 minutes for the control plane on 2 idle
# cores, and for Flux's controllers more, up to half an hour on a loaded
# machine).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/ferry-demo-gitops.XXXXXX)
demo=$work/examples/orders-api
up_pid=
build_pid=
cleanup() {
  [ -z "$build_pid" ] || kill "$build_pid" 2>/dev/null || true
  [ -z "$up_pid" ] || { kill "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf 'demo-gitops: %s\n' "$*" >&2; }
. hack/demo-example.sh

mkdir -p "$work/bin"
say "building ferry and the demo's helper"
t0=$SECONDS
go build -o "$work/bin/ferry" ./cmd/ferry
go build -o "$work/bin/gitopsup" ./hack/testcluster/gitopsup
say "ferry and the helper built ($((SECONDS - t0))s)"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ferry
build "the control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)" "$cache/testcluster" 5 go run ./hack/testcluster/build
build "Flux (source-controller, kustomize-controller)" "$cache/flux" 2 go run ./hack/testcluster/fluxbuild

say "starting the cluster, Flux and the git server"
"$work/bin/gitopsup" -dir "$work" -env staging -env prod \
  -secret staging/orders-api-db/password=demo-staging -secret prod/orders-api-db/password=demo-prod 2>"$work/up.log" &
up_pid=$!
until [ -s "$work/kubeconfig" ]; do
  kill -0 "$up_pid" 2>/dev/null || { cat "$work/up.log" >&2; say "the cluster did not start"; exit 1; }
  sleep 0.5
done
grep '^gitopsup:' "$work/up.log" >&2 || true
export KUBECONFIG=$work/kubeconfig
url=$(cat "$work/repo-url")
repo=$(cat "$work/repo-path")

copy_example "$work"
cat > "$demo/ferry.yaml" <<YAML
service: orders-api
main: .
chart: chart
image: orders-api
path: [staging, prod]
environments:
  staging:
    target: gitops
    soak: 3s
    timeout: 2m
    health: readiness
    gitops:
      repository: $url
      directory: clusters/staging/orders-api
      object: {name: orders-api-staging}
      author: {name: ferry-demo, email: ferry-demo@localhost}
  prod:
    target: gitops
    timeout: 2m
    health: readiness
    gitops:
      repository: $url
      directory: clusters/prod/orders-api
      object: {name: orders-api-prod}
      author: {name: ferry-demo, email: ferry-demo@localhost}
      pullRequest: true
YAML

# step CMD…: runs a command, echoed, with how long it took.
step() {
  local start rc=0
  start=$(date +%s%N)
  if [ "$1" = must ]; then printf '\n$ %s\n' "${*:2}"; else printf '\n$ %s\n' "$*"; fi
  "$@" || rc=$?
  printf '  (%d ms, exit %d)\n' $((($(date +%s%N) - start) / 1000000)) "$rc"
}
ferry() { "$work/bin/ferry" -C "$demo" "$@"; }
must() { "$@" || { say "failed: $*"; exit 1; }; }

step must ferry build --tag 1.0.0
step must ferry deploy staging
step must ferry status
step ferry promote staging prod --dry-run
sleep 3
step must ferry promote staging prod
branch=$(git --git-dir "$repo" for-each-ref --format='%(refname:short)' 'refs/heads/ferry/prod/*' | head -n 1)
[ -n "$branch" ] || { say "no review branch for prod"; exit 1; }
step must ferry status prod
step ferry promote --resume prod
# The reviewer merges the branch (a merge commit) and pushes main.
git clone -q -b main "$url" "$work/review"
step must git -C "$work/review" -c user.name=rita-reviewer -c user.email=rita@localhost merge -q --no-ff "origin/$branch" -m "Merge branch '$branch'"
step must git -C "$work/review" push -q origin HEAD:main
step must ferry promote --resume prod
step must ferry status
# Someone edits prod's ConfigMap behind git's back: drift names them.
step must "$work/bin/gitopsup" edit -namespace prod -configmap orders-api-config LOG_LEVEL=DEBUG
step ferry drift prod
# A configuration change on staging, then the way back: a new commit.
sed -i 's/^  LOG_LEVEL: DEBUG$/  LOG_LEVEL: WARN/' "$demo/values-staging.yaml"
step must ferry deploy staging
step must ferry rollback staging
step must ferry history staging
step must git --git-dir "$repo" log --format='%h %an: %s' main
