#!/usr/bin/env bash
# Called by the release pipeline: deploy.sh <release> <namespace> <values file>
set -euo pipefail
RELEASE="$1"
NAMESPACE="$2"
VALUES="$3"
helm upgrade --install "$RELEASE" ./helm \
  -n "$NAMESPACE" \
  -f "$VALUES" \
  --set image.tag="$GIT_SHA"
