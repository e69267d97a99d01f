#!/usr/bin/env bash
# usage: helm-release.sh ENV NAMESPACE
set -euo pipefail
ENV="$1"
NS="${2:-search}"
helm upgrade --install "search-${ENV}" deploy/chart \
  --namespace "$NS" \
  -f "deploy/chart/values-${ENV}.yaml" \
  --set image.tag="${IMAGE_TAG}"
