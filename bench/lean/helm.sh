#!/usr/bin/env bash
# helm.sh NAME [LDFLAGS] prints the path of a helm binary built from the
# Helm v4 module version ferry's go.mod requires, as Helm builds its
# releases (CGO_ENABLED=0, -trimpath; LDFLAGS default "-s -w"), cached
# under the user cache directory as NAME (the first build takes minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1 ldflags=${2--s -w}
helm_version=$(go list -m -f '{{.Version}}' helm.sh/helm/v4)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ferry/bench/helm-$helm_version
if [ ! -x "$cache/$name" ]; then
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  mkdir -p "$cache"
  printf 'module helmbuild\n\ngo 1.26.0\n\nrequire helm.sh/helm/v4 %s\n' "$helm_version" > "$work/go.mod"
  printf '//go:build tools\n\npackage helmbuild\n\nimport _ "helm.sh/helm/v4/cmd/helm"\n' > "$work/tools.go"
  (cd "$work" && GOWORK=off go mod tidy >/dev/null 2>&1 &&
    GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$cache/$name.tmp" helm.sh/helm/v4/cmd/helm) >&2
  mv "$cache/$name.tmp" "$cache/$name"
fi
echo "$cache/$name"
