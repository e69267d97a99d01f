#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
helm upgrade --install atlas ./chart \
  --namespace atlas-staging \
  -f chart/values-staging.yaml
