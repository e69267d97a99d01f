#!/usr/bin/env bash
# Deploy the demo install by hand from a laptop (same release CI deploys).
set -euo pipefail
cd "$(dirname "$0")/.."
helm upgrade --install atlas ./chart \
  --namespace atlas \
  -f chart/values-demo.yaml \
  --wait --timeout 10m
