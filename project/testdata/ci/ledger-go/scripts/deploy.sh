#!/usr/bin/env bash
# Usage: scripts/deploy.sh <env> <tag>
set -euo pipefail
ENV="$1"
TAG="$2"
helm upgrade --install ledger charts/ledger \
  -n "ledger-${ENV}" \
  -f "charts/ledger/values-${ENV}.yaml" \
  --set image.tag="${TAG}" \
  --set-string podAnnotations.deployedBy=ci
