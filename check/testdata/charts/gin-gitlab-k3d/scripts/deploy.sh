#!/usr/bin/env bash
# Usage: scripts/deploy.sh ENV
set -euo pipefail
ENV=$1
# The secrets file exists only while the job runs.
sops --decrypt "deploy/helm/secrets-${ENV}.enc.yaml" > deploy/helm/secrets-prod.yaml
trap 'rm -f deploy/helm/secrets-prod.yaml' EXIT
helm upgrade --install billing deploy/helm \
  --namespace "billing-${ENV}" \
  -f deploy/helm/values-${ENV}.yaml \
  -f deploy/helm/secrets-prod.yaml \
  --set image.tag="${CI_COMMIT_TAG}"
